export { TestClock } from './test-clock';
export { recoveryHarness, type RecoveryHarness } from './recovery-harness';
export { playTicketHistory, ticketHistory } from './random-ticket-histories';
export { codeStandsIn } from './code-in-text';
export { settlesWithin } from './settles-within';
