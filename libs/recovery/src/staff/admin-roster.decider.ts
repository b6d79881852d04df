import { LastAdmin } from '../shared/errors';
import type { AdminRosterEvent, AdminRosterState } from './admin-roster.events';

/**
 * Whether a staff member may be deactivated, or given another role, without leaving no active
 * admin, and what the roster records for it. Pure. `activeAdmins` is what the read models knew
 * once they had caught up with the log: the staff members who were active admins on their own
 * streams before the request.
 * An admin the roster has removed counts as gone even where their own stream lags behind.
 */
export function decideAdminRemoval(staffId: string, activeAdmins: readonly string[], roster: AdminRosterState): AdminRosterEvent[] {
  const remaining = activeAdmins.filter((id) => !roster.removed.includes(id));
  // Not an admin, or removed already (a retry, or a deactivation or role change cut short): nothing to check.
  if (!remaining.includes(staffId)) return [];
  if (remaining.length === 1) throw new LastAdmin(staffId);
  return [{ type: 'AdminRemoved', data: { staffId } }];
}

/**
 * What the roster records when a staff member becomes an admin: the end of an earlier removal, if
 * it recorded one, so that the last-admin check counts them again once their own stream says so.
 */
export function decideAdminRestoral(staffId: string, roster: AdminRosterState): AdminRosterEvent[] {
  return roster.removed.includes(staffId) ? [{ type: 'AdminRestored', data: { staffId } }] : [];
}
