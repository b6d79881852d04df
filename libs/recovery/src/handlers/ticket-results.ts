import { lifecycleState, type TicketState } from '../ticket/ticket.decider';
import type { TicketCommandResult } from './commands';

export function ticketResult(ticketId: string, state: TicketState, position: bigint): TicketCommandResult {
  return { ticketId, state: lifecycleState(state)!, revision: state.revision.toString(), position: position.toString() };
}
