import { CommandIds } from '../shared/command-ids';
import type { Every } from '../shared/every';
import { foldBookkeeping } from '../shared/stream-runner';
import type { DecidedEvent, FoldableEvent } from '../shared/decided-event';

/**
 * Stream `requests-<username>`: what happened under one username, whether or not an account of
 * that name exists, so that limits and duplicate links never reveal whether it does.
 */
export type RequesterEvent =
  | DecidedEvent<'TicketFiled', { ticketId: string }>
  | DecidedEvent<'CodeAttemptFailed', { kind: 'recovery-code' | 'totp'; ticketId: string; outcome: string }>;

export interface RequesterState {
  revision: bigint;
  ticketIds: string[];
  failures: Date[];
  commandIds: CommandIds;
}

export const initialRequesterState = (): RequesterState =>
  ({ revision: -1n, ticketIds: [], failures: [], commandIds: CommandIds.empty() }) satisfies Every<RequesterState>;

export function evolveRequester(state: RequesterState, stored: FoldableEvent): RequesterState {
  const event = stored as RequesterEvent;
  const next = {
    ...state,
    ...foldBookkeeping(state, stored),
  };
  if (event.type === 'TicketFiled') return { ...next, ticketIds: [...state.ticketIds, event.data.ticketId] };
  // Only the last hour matters to any limit; older failures are dropped from the state.
  const at = new Date(stored.metadata?.occurredAt ?? 0);
  const recent = state.failures.filter((failure) => at.getTime() - failure.getTime() < 3_600_000);
  return { ...next, failures: [...recent, at] };
}
