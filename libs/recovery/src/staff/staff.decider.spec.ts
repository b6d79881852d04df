import { NotFound, TransitionNotAllowed } from '../shared/errors';
import { decideStaff } from './staff.decider';
import { evolveStaff, initialStaffState, type StaffEvent, type StaffState } from './staff.events';

const created: StaffEvent = { type: 'StaffCreated', data: { staffId: 's1', name: 'Ada', role: 'agent', tokenHash: 'h1' } };
const given = (...events: StaffEvent[]): StaffState => events.reduce((s, e) => evolveStaff(s, e), initialStaffState());

describe('staff decider', () => {
  it('creates, replaces the token, and deactivates', () => {
    expect(decideStaff({ type: 'CreateStaff', staffId: 's1', name: 'Ada', role: 'agent', tokenHash: 'h1' }, given())).toEqual([created]);
    const replaced = decideStaff({ type: 'ReplaceStaffToken', tokenHash: 'h2' }, given(created));
    expect(replaced).toEqual([{ type: 'StaffTokenReplaced', data: { staffId: 's1', tokenHash: 'h2' } }]);
    expect(given(created, ...replaced).staff).toEqual({ staffId: 's1', name: 'Ada', role: 'agent', tokenHash: 'h2', active: true });
    const deactivated = decideStaff({ type: 'DeactivateStaff' }, given(created, ...replaced));
    expect(deactivated).toEqual([{ type: 'StaffDeactivated', data: { staffId: 's1' } }]);
    expect(given(created, ...replaced, ...deactivated).staff).toMatchObject({ tokenHash: 'h2', active: false });
  });

  it('records nothing for a second deactivation, and gives a deactivated member no new token', () => {
    const gone = given(created, { type: 'StaffDeactivated', data: { staffId: 's1' } });
    expect(decideStaff({ type: 'DeactivateStaff' }, gone)).toEqual([]);
    expect(() => decideStaff({ type: 'ReplaceStaffToken', tokenHash: 'h3' }, gone)).toThrow(TransitionNotAllowed);
    expect(() => decideStaff({ type: 'ReplaceStaffToken', tokenHash: 'h3' }, gone)).toThrow('ReplaceStaffToken is not allowed while the staff member is deactivated');
  });

  it('gives another role, records nothing for the role held, and keeps a deactivated member in the role they left with', () => {
    const promoted = decideStaff({ type: 'ChangeStaffRole', role: 'supervisor' }, given(created));
    expect(promoted).toEqual([{ type: 'StaffRoleChanged', data: { staffId: 's1', role: 'supervisor', previousRole: 'agent' } }]);
    expect(given(created, ...promoted).staff).toMatchObject({ role: 'supervisor', active: true, tokenHash: 'h1' });
    expect(decideStaff({ type: 'ChangeStaffRole', role: 'supervisor' }, given(created, ...promoted))).toEqual([]);
    const gone = given(created, { type: 'StaffDeactivated', data: { staffId: 's1' } });
    expect(() => decideStaff({ type: 'ChangeStaffRole', role: 'admin' }, gone)).toThrow('ChangeStaffRole is not allowed while the staff member is deactivated');
    expect(() => decideStaff({ type: 'ChangeStaffRole', role: 'agent' }, gone)).toThrow(TransitionNotAllowed);
  });

  it('renames, records nothing for the name held, and keeps a deactivated member under the name they left with', () => {
    const renamed = decideStaff({ type: 'RenameStaff', name: 'Ada Lovelace' }, given(created));
    expect(renamed).toEqual([{ type: 'StaffRenamed', data: { staffId: 's1', name: 'Ada Lovelace', previousName: 'Ada' } }]);
    expect(given(created, ...renamed).staff).toMatchObject({ name: 'Ada Lovelace', role: 'agent', active: true });
    expect(decideStaff({ type: 'RenameStaff', name: 'Ada Lovelace' }, given(created, ...renamed))).toEqual([]);
    const gone = given(created, { type: 'StaffDeactivated', data: { staffId: 's1' } });
    expect(() => decideStaff({ type: 'RenameStaff', name: 'Ada L.' }, gone)).toThrow('RenameStaff is not allowed while the staff member is deactivated');
    expect(() => decideStaff({ type: 'RenameStaff', name: 'Ada L.' }, given())).toThrow(NotFound);
  });

  it('refuses changes to a staff member who does not exist', () => {
    expect(() => decideStaff({ type: 'ChangeStaffRole', role: 'agent' }, given())).toThrow(NotFound);
    expect(() => decideStaff({ type: 'DeactivateStaff' }, given())).toThrow(NotFound);
    expect(() => decideStaff({ type: 'ReplaceStaffToken', tokenHash: 'h' }, given())).toThrow(NotFound);
  });
});
