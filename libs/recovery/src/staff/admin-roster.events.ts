import { CommandIds } from '../shared/command-ids';
import type { Every } from '../shared/every';
import { foldBookkeeping } from '../shared/stream-runner';
import type { DecidedEvent, FoldableEvent } from '../shared/decided-event';

/**
 * Stream `admin-roster`: every admin's deactivation is recorded here first, then on the admin's
 * own stream. The last-admin check decides on this one stream, at its revision, so two
 * deactivations at once (from two servers, or two EventStoreDB clients) cannot both pass it: the
 * second append is refused by the revision, and decides again with the first one in view.
 */
export type AdminRosterEvent = DecidedEvent<'AdminRemoved', { staffId: string }>;

export interface AdminRosterState {
  revision: bigint;
  /** Admins whose deactivation has been recorded here; their own streams may not show it yet. */
  removed: readonly string[];
  commandIds: CommandIds;
}

export const initialAdminRosterState = (): AdminRosterState =>
  ({ revision: -1n, removed: [], commandIds: CommandIds.empty() }) satisfies Every<AdminRosterState>;

export function evolveAdminRoster(state: AdminRosterState, stored: FoldableEvent): AdminRosterState {
  const event = stored as AdminRosterEvent;
  return { ...state, ...foldBookkeeping(state, stored), removed: [...state.removed, event.data.staffId] };
}
