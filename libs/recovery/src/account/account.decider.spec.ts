import { CodeRefused, NotFound } from '../shared/errors';
import { decideAccount, evolveAccount, initialAccountState, type AccountState } from './account.decider';
import type { AccountEvent } from './account.events';

const profile = { primaryEmail: 'zoe@example.org', emails: ['zoe@example.org'], packages: ['left-pad'], critical: false, frozen: false };
const registered: AccountEvent = { type: 'AccountRegistered', data: { username: 'zoe', ...profile } };
const issued: AccountEvent = {
  type: 'RecoveryCodesIssued',
  data: { source: 'generated', codes: [{ id: 'c1', hash: 'h1', tag: 'aaaa' }, { id: 'c2', hash: 'h2', tag: 'bbbb' }] },
};
const given = (...events: AccountEvent[]): AccountState => events.reduce((s, e) => evolveAccount(s, e), initialAccountState());

describe('account decider', () => {
  it('registers, then updates, and records nothing for an unchanged profile', () => {
    expect(decideAccount({ type: 'UpsertAccount', username: 'zoe', ...profile }, given())).toEqual([registered]);
    expect(decideAccount({ type: 'UpsertAccount', username: 'zoe', ...profile }, given(registered))).toEqual([]);
    expect(decideAccount({ type: 'UpsertAccount', username: 'zoe', ...profile, frozen: true }, given(registered))).toEqual([
      { type: 'AccountUpdated', data: { username: 'zoe', ...profile, frozen: true } },
    ]);
  });

  it('refuses credentials for an unknown account', () => {
    expect(() => decideAccount({ type: 'EnrolTotp', sealedSecret: 's', source: 'generated' }, given())).toThrow(NotFound);
  });

  it('burns a code once; the same code cannot be used again', () => {
    const state = given(registered, issued);
    expect(decideAccount({ type: 'UseRecoveryCode', codeId: 'c1', codeHash: 'h1', ticketId: 't1' }, state)).toEqual([
      { type: 'RecoveryCodeUsed', data: { codeId: 'c1', ticketId: 't1' } },
    ]);
    const used = given(registered, issued, { type: 'RecoveryCodeUsed', data: { codeId: 'c1', ticketId: 't1' } });
    expect(() => decideAccount({ type: 'UseRecoveryCode', codeId: 'c1', codeHash: 'h1', ticketId: 't2' }, used)).toThrow(new CodeRefused('recoveryCode', 'already-used'));
    expect(used.usedCodes).toEqual(new Map([['c1', 't1']]));
  });

  it('a new set replaces the old one', () => {
    const replaced = given(registered, issued, { type: 'RecoveryCodeUsed', data: { codeId: 'c1', ticketId: 't' } }, {
      type: 'RecoveryCodesIssued',
      data: { source: 'imported', codes: [{ id: 'i1', hash: 'x' }] },
    });
    expect(replaced.codes.map((c) => c.id)).toEqual(['i1']);
    expect(replaced.usedCodes.size).toBe(0);
    // A code of the old set, matched just before the new set came (the append then meets the
    // newer revision and decides again), is refused: it no longer opens the account.
    expect(() => decideAccount({ type: 'UseRecoveryCode', codeId: 'c2', codeHash: 'h2', ticketId: 't2' }, replaced)).toThrow(new CodeRefused('recoveryCode', 'rejected'));
  });

  it('refuses a code of an old set under an id the new set uses again', () => {
    const reissued = given(registered, issued, { type: 'RecoveryCodesIssued', data: { source: 'generated', codes: [{ id: 'c1', hash: 'n1', tag: 'cccc' }] } });
    expect(() => decideAccount({ type: 'UseRecoveryCode', codeId: 'c1', codeHash: 'h1', ticketId: 't1' }, reissued)).toThrow(new CodeRefused('recoveryCode', 'rejected'));
    expect(decideAccount({ type: 'UseRecoveryCode', codeId: 'c1', codeHash: 'n1', ticketId: 't1' }, reissued)).toHaveLength(1);
  });

  it('accepts each TOTP step once, and never an older one', () => {
    const state = given(registered, { type: 'TotpEnrolled', data: { sealedSecret: 's' } }, { type: 'TotpStepAccepted', data: { step: 100, ticketId: 't' } });
    expect(() => decideAccount({ type: 'AcceptTotpStep', step: 100, sealedSecret: 's', ticketId: 't' }, state)).toThrow(new CodeRefused('totpCode', 'replayed'));
    expect(() => decideAccount({ type: 'AcceptTotpStep', step: 99, sealedSecret: 's', ticketId: 't' }, state)).toThrow(new CodeRefused('totpCode', 'replayed'));
    expect(decideAccount({ type: 'AcceptTotpStep', step: 101, sealedSecret: 's', ticketId: 't' }, state)).toHaveLength(1);
  });

  it('refuses a TOTP code checked against a secret that a new enrolment replaced since', () => {
    const reenrolled = given(registered, { type: 'TotpEnrolled', data: { sealedSecret: 's' } }, { type: 'TotpEnrolled', data: { sealedSecret: 'n' } });
    expect(() => decideAccount({ type: 'AcceptTotpStep', step: 100, sealedSecret: 's', ticketId: 't' }, reenrolled)).toThrow(new CodeRefused('totpCode', 'rejected'));
    expect(decideAccount({ type: 'AcceptTotpStep', step: 100, sealedSecret: 'n', ticketId: 't' }, reenrolled)).toHaveLength(1);
  });

  it('removes an account: its codes and TOTP secret stop working, and the username registers afresh', () => {
    const enrolled: AccountEvent = { type: 'TotpEnrolled', data: { sealedSecret: 's' } };
    const live = given(registered, issued, enrolled);
    expect(decideAccount({ type: 'RemoveAccount' }, live)).toEqual([{ type: 'AccountRemoved', data: { username: 'zoe' } }]);
    const removed = given(registered, issued, enrolled, { type: 'AccountRemoved', data: { username: 'zoe' } });
    expect(removed).toMatchObject({ revision: 3n, username: 'zoe', profile: undefined, codes: [], sealedTotpSecret: undefined });
    // A code or a TOTP code of the account as it was opens nothing.
    expect(() => decideAccount({ type: 'UseRecoveryCode', codeId: 'c1', codeHash: 'h1', ticketId: 't1' }, removed)).toThrow(NotFound);
    expect(() => decideAccount({ type: 'AcceptTotpStep', step: 1, sealedSecret: 's', ticketId: 't1' }, removed)).toThrow(NotFound);
    // Removed again: nothing more to record (a removal cut short goes on to its tickets); never fed: not found.
    expect(decideAccount({ type: 'RemoveAccount' }, removed)).toEqual([]);
    expect(() => decideAccount({ type: 'RemoveAccount' }, given())).toThrow(NotFound);
    // Registered again (the username given to someone else): a new account, with no codes of the one before.
    const again = given(registered, issued, enrolled, { type: 'AccountRemoved', data: { username: 'zoe' } }, registered);
    expect(decideAccount({ type: 'UpsertAccount', username: 'zoe', ...profile }, removed)).toEqual([registered]);
    expect(again).toMatchObject({ codes: [], sealedTotpSecret: undefined, usedCodes: new Map() });
    expect(() => decideAccount({ type: 'UseRecoveryCode', codeId: 'c1', codeHash: 'h1', ticketId: 't1' }, again)).toThrow(new CodeRefused('recoveryCode', 'rejected'));
  });
});
