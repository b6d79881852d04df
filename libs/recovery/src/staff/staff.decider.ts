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
  if (command.type === 'RenameStaff') {
    // A deactivated staff member's record stays as they left it, their name included.
    if (!staff.active) throw new TransitionNotAllowed('RenameStaff', 'deactivated', 'a deactivated staff member keeps the name they had', 'the staff member');
    return staff.name === command.name ? [] : [{ type: 'StaffRenamed', data: { staffId: staff.staffId, name: command.name, previousName: staff.name } }];
  }
  if (command.type === 'ChangeStaffRole') {
    // A deactivated staff member stays so, in the role they left with.
    if (!staff.active) throw new TransitionNotAllowed('ChangeStaffRole', 'deactivated', 'a deactivated staff member keeps the role they had', 'the staff member');
    // The role asked for is the one held: the staff member is as asked, and nothing is recorded.
    return staff.role === command.role ? [] : [{ type: 'StaffRoleChanged', data: { staffId: staff.staffId, role: command.role, previousRole: staff.role } }];
  }
  // A deactivated staff member stays so: a new token would let them back in.
  if (!staff.active) throw new TransitionNotAllowed('ReplaceStaffToken', 'deactivated', 'a deactivated staff member gets no new token', 'the staff member');
  return [{ type: 'StaffTokenReplaced', data: { staffId: staff.staffId, tokenHash: command.tokenHash } }];
}
