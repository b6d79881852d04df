export { TestClock } from './test-clock';
export { recoveryHarness, type RecoveryHarness } from './recovery-harness';
