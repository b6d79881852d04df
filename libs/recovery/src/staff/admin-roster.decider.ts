import { LastAdmin } from '../shared/errors';
import type { AdminRosterEvent, AdminRosterState } from './admin-roster.events';

/**
 * Whether a staff member may be deactivated without leaving no active admin, and what the roster
 * records for it. Pure. `activeAdmins` is what the read models knew once they had caught up with
 * the log: every admin created before the request, less those deactivated on their own streams.
 * An admin the roster has removed counts as gone even where their own stream lags behind.
 */
export function decideAdminRemoval(staffId: string, activeAdmins: readonly string[], roster: AdminRosterState): AdminRosterEvent[] {
  const remaining = activeAdmins.filter((id) => !roster.removed.includes(id));
  // Not an admin, or removed already (a retry, or a deactivation cut short): nothing to check.
  if (!remaining.includes(staffId)) return [];
  if (remaining.length === 1) throw new LastAdmin(staffId);
  return [{ type: 'AdminRemoved', data: { staffId } }];
}
