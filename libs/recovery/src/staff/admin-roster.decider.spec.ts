import { LastAdmin } from '../shared/errors';
import { decideAdminRemoval, decideAdminRestoral } from './admin-roster.decider';
import { evolveAdminRoster, initialAdminRosterState, type AdminRosterEvent } from './admin-roster.events';

const removed = (staffId: string): AdminRosterEvent => ({ type: 'AdminRemoved', data: { staffId } });
const restored = (staffId: string): AdminRosterEvent => ({ type: 'AdminRestored', data: { staffId } });
const roster = (...events: AdminRosterEvent[]) => events.reduce((state, event) => evolveAdminRoster(state, event), initialAdminRosterState());

describe('admin roster decider', () => {
  it('records the removal of an admin while another remains', () => {
    expect(decideAdminRemoval('a1', ['a1', 'a2'], roster())).toEqual([removed('a1')]);
    expect(roster(removed('a1'))).toMatchObject({ revision: 0n, removed: ['a1'] });
  });

  it('refuses the last active admin, counting those the roster removed as gone though their own stream lags', () => {
    expect(() => decideAdminRemoval('a1', ['a1'], roster())).toThrow(LastAdmin);
    // a2's deactivation is on the roster (another server's, still in flight): a1 is the last.
    expect(() => decideAdminRemoval('a1', ['a1', 'a2'], roster(removed('a2')))).toThrow('a1 is the last active admin');
    expect(decideAdminRemoval('a1', ['a1', 'a2', 'a3'], roster(removed('a2')))).toEqual([removed('a1')]);
  });

  it('records nothing for a staff member who is not an active admin, or whose removal is recorded', () => {
    expect(decideAdminRemoval('agent', ['a1'], roster())).toEqual([]);
    // A retry, or a deactivation cut short between the roster and the admin's own stream.
    expect(decideAdminRemoval('a1', ['a1', 'a2'], roster(removed('a1')))).toEqual([]);
  });

  it('restores an admin it removed who is made an admin again, who then counts, and is never the last unchecked', () => {
    expect(decideAdminRestoral('a1', roster(removed('a1')))).toEqual([restored('a1')]);
    // Never removed (a new admin, or a retry after the restoral): nothing to record.
    expect(decideAdminRestoral('a1', roster())).toEqual([]);
    expect(decideAdminRestoral('a1', roster(removed('a1'), restored('a1')))).toEqual([]);
    const back = roster(removed('a1'), removed('a2'), restored('a1'));
    expect(back.removed).toEqual(['a2']);
    // a1 counts again: with a2 gone, a1 is the last, whose removal is checked, not passed over.
    expect(() => decideAdminRemoval('a1', ['a1', 'a2'], back)).toThrow(LastAdmin);
    expect(decideAdminRemoval('a1', ['a1', 'a3'], back)).toEqual([removed('a1')]);
  });
});
