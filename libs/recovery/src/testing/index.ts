export { TestClock } from './test-clock';
export { recoveryHarness, type RecoveryHarness } from './recovery-harness';
export { decideOrRefuse, HISTORY_POLICY, playTicketHistory, ticketHistory, type PlayedStep, type TicketHistory } from './random-ticket-histories';
