import { CommandIds } from '../shared/command-ids';
import type { Every } from '../shared/every';
import { foldBookkeeping } from '../shared/stream-runner';
import type { DecidedEvent, FoldableEvent } from '../shared/decided-event';

/**
 * Stream `admin-roster`: every admin's deactivation or change to another role is recorded here
 * first, then on the admin's own stream; so is a return to the admin role of one removed before. The last-admin check decides on this one stream, at its revision, so two
 * deactivations at once (from two servers, or two EventStoreDB clients) cannot both pass it: the
 * second append is refused by the revision, and decides again with the first one in view.
 */
export type AdminRosterEvent =
  | DecidedEvent<'AdminRemoved', { staffId: string }>
  /** One removed before is an admin again: they count among the admins once their own stream says so. */
  | DecidedEvent<'AdminRestored', { staffId: string }>;

export interface AdminRosterState {
  revision: bigint;
  /** Admins whose removal has been recorded here, and not undone; their own streams may not show it yet. */
  removed: readonly string[];
  commandIds: CommandIds;
}

export const initialAdminRosterState = (): AdminRosterState =>
  ({ revision: -1n, removed: [], commandIds: CommandIds.empty() }) satisfies Every<AdminRosterState>;

export function evolveAdminRoster(state: AdminRosterState, stored: FoldableEvent): AdminRosterState {
  const event = stored as AdminRosterEvent;
  const others = state.removed.filter((staffId) => staffId !== event.data.staffId);
  return { ...state, ...foldBookkeeping(state, stored), removed: event.type === 'AdminRemoved' ? [...others, event.data.staffId] : others };
}
