import { NotFound, TransitionNotAllowed } from '../shared/errors';
import type { StaffEvent, StaffRole, StaffState } from './staff.events';

export type StaffCommand =
  | { type: 'CreateStaff'; staffId: string; name: string; role: StaffRole; tokenHash: string }
  | { type: 'ReplaceStaffToken'; tokenHash: string }
  | { type: 'ChangeStaffRole'; role: StaffRole }
  | { type: 'RenameStaff'; name: string }
  | { type: 'DeactivateStaff' };

/** What a staff command records, or why it is refused. Pure. */
export function decideStaff(command: StaffCommand, state: StaffState): StaffEvent[] {
  if (command.type === 'CreateStaff') {
    const { type: _, ...data } = command;
    return [{ type: 'StaffCreated', data }];
  }
  const staff = state.staff;
  if (!staff) throw new NotFound('staff member');
  if (command.type === 'DeactivateStaff') {
    // Deactivating twice records nothing: the staff member is as asked.
    return staff.active ? [{ type: 'StaffDeactivated', data: { staffId: staff.staffId } }] : [];
  }
  // A deactivated staff member stays as they left: no new token (it would let them back in), and
  // the name and role they had.
  if (!staff.active) throw new TransitionNotAllowed(command.type, 'deactivated', `a deactivated staff member ${KEPT_WHEN_DEACTIVATED[command.type]}`, 'the staff member');
  switch (command.type) {
    case 'ReplaceStaffToken':
      return [{ type: 'StaffTokenReplaced', data: { staffId: staff.staffId, tokenHash: command.tokenHash } }];
    // The name or role asked for is the one held: the staff member is as asked, and nothing is recorded.
    case 'RenameStaff':
      return staff.name === command.name ? [] : [{ type: 'StaffRenamed', data: { staffId: staff.staffId, name: command.name, previousName: staff.name } }];
    case 'ChangeStaffRole':
      return staff.role === command.role ? [] : [{ type: 'StaffRoleChanged', data: { staffId: staff.staffId, role: command.role, previousRole: staff.role } }];
  }
}

const KEPT_WHEN_DEACTIVATED = {
  ReplaceStaffToken: 'gets no new token',
  RenameStaff: 'keeps the name they had',
  ChangeStaffRole: 'keeps the role they had',
} as const;
