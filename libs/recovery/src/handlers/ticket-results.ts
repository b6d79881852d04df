import { lifecycleState, type TicketState } from '../ticket/ticket.decider';
import type { TicketCommandResult } from './commands';

export function ticketResult(ticketId: string, state: TicketState, position: bigint): TicketCommandResult {
  return { ticketId, state: lifecycleState(state)!, revision: state.revision.toString(), position: position.toString() };
}

/** The answer to a requester, whose revision counts only what their view shows. */
export function requesterTicketResult(ticketId: string, state: TicketState, position: bigint): TicketCommandResult {
  return { ...ticketResult(ticketId, state, position), revision: state.requesterRevision.toString() };
}
