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
  | DecidedEvent<'CodeAttemptFailed', { kind: 'recovery-code' | 'totp'; ticketId: string; outcome: string }>
  /** A verification of the ticket is about to be recorded (see `recovery-claim.ts`). */
  | DecidedEvent<'RecoveryClaimed', { ticketId: string }>;

/** A verification claimed: `filedBefore` counts the tickets filed under the username until then. */
export interface RecoveryClaim {
  ticketId: string;
  filedBefore: number;
  at: number;
}

export interface RequesterState {
  revision: bigint;
  ticketIds: string[];
  failures: Date[];
  claims: RecoveryClaim[];
  commandIds: CommandIds;
}

export const initialRequesterState = (): RequesterState =>
  ({ revision: -1n, ticketIds: [], failures: [], claims: [], commandIds: CommandIds.empty() }) satisfies Every<RequesterState>;

export function evolveRequester(state: RequesterState, stored: FoldableEvent): RequesterState {
  const event = stored as RequesterEvent;
  const next = {
    ...state,
    ...foldBookkeeping(state, stored),
  };
  const at = new Date(stored.metadata?.occurredAt ?? 0);
  switch (event.type) {
    case 'TicketFiled':
      return { ...next, ticketIds: [...state.ticketIds, event.data.ticketId] };
    case 'RecoveryClaimed':
      return { ...next, claims: [...state.claims, { ticketId: event.data.ticketId, filedBefore: state.ticketIds.length, at: at.getTime() }] };
    case 'CodeAttemptFailed': {
      // Only the last hour matters to any limit; older failures are dropped from the state.
      const recent = state.failures.filter((failure) => at.getTime() - failure.getTime() < 3_600_000);
      return { ...next, failures: [...recent, at] };
    }
    default:
      return next;
  }
}
