import bcrypt from 'bcrypt';
import { createHash } from 'node:crypto';
import { generateSync } from 'otplib';
import { SecretReplaced } from '../shared/errors';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { recoveryHarness, type RecoveryHarness } from '../testing/recovery-harness';
import {
  CreateStaffCommand,
  EnrolTotpCommand,
  IssueRecoveryCodesCommand,
  ReplaceRequesterTokenCommand,
  ReplaceStaffTokenCommand,
  SubmitTicketCommand,
  UpsertAccountCommand,
} from './commands';
import { accountFold, staffFold, ticketFold } from './folds';

const admin = { kind: 'staff', id: 'admin' } as const;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A retry of a command whose first answer was lost (the process died after the append, before
 * the Idempotency-Key answer was kept) runs the handler again with the same command id. These
 * tests run each secret-issuing command twice with one id, as that retry does.
 */
describe('a retry whose first answer was lost', () => {
  let h: RecoveryHarness;
  let runner: StreamRunner;
  beforeEach(async () => {
    h = await recoveryHarness();
    runner = h.moduleRef.get(StreamRunner);
  });
  afterEach(async () => h.close());

  const types = async (stream: string) => (await h.store.readStream(stream)).map((event) => event.type);
  const submit = (username: string, evidence: { recoveryCode?: string; totpCode?: string } = {}, meta = h.meta()) =>
    h.bus.execute(
      new SubmitTicketCommand({ username, contactEmail: 'me@example.org', previousEmails: [], reason: 'lost-email', explanation: 'I lost my phone', packages: [], ...evidence }, meta),
    );
  const registerAccount = () =>
    h.bus.execute(new UpsertAccountCommand('zoe', { primaryEmail: 'zoe@example.org', emails: [], packages: [], critical: false, frozen: false }, h.meta(admin)));
  const storedStaffTokenHash = async (staffId: string) => (await runner.load(streams.staff(staffId), staffFold)).state.staff!.tokenHash;

  it('creating a staff member answers a token that is stored, in place of the lost one', async () => {
    const create = new CreateStaffCommand('Ada', 'agent', h.meta(admin));
    const first = await h.bus.execute(create);
    const retried = await h.bus.execute(create);
    expect(retried).toMatchObject({ id: first.id, name: 'Ada', role: 'agent', active: true });
    expect(retried.token).toMatch(/^rcl_/);
    expect(retried.token).not.toBe(first.token);
    expect(await storedStaffTokenHash(first.id)).toBe(sha256(retried.token));
    // A retry of the retry (its answer lost too) replaces the replacement.
    const again = await h.bus.execute(create);
    expect(await storedStaffTokenHash(first.id)).toBe(sha256(again.token));
    expect(await types(streams.staff(first.id))).toEqual(['StaffCreated', 'StaffTokenReplaced', 'StaffTokenReplaced']);
  });

  it('a token change answers a stored token, and does not undo a later change', async () => {
    const { id } = await h.bus.execute(new CreateStaffCommand('Ada', 'agent', h.meta(admin)));
    const change = new ReplaceStaffTokenCommand(id, h.meta(admin));
    await h.bus.execute(change);
    const retried = await h.bus.execute(change);
    expect(await storedStaffTokenHash(id)).toBe(sha256(retried.token));

    const later = await h.bus.execute(new ReplaceStaffTokenCommand(id, h.meta(admin)));
    await expect(h.bus.execute(change)).rejects.toBeInstanceOf(SecretReplaced);
    expect(await storedStaffTokenHash(id)).toBe(sha256(later.token));
  });

  it('recovery codes: a new set that works takes the lost set`s place; a later set stays', async () => {
    await registerAccount();
    const issue = new IssueRecoveryCodesCommand('zoe', h.meta(admin));
    const first = await h.bus.execute(issue);
    const retried = await h.bus.execute(issue);
    expect(retried.codes).toHaveLength(8);
    expect(retried.codes).not.toEqual(first.codes);
    expect((await submit('zoe', { recoveryCode: first.codes![0] })).state).toBe('submitted');
    expect((await submit('zoe', { recoveryCode: retried.codes![0] })).state).toBe('verified');

    const later = await h.bus.execute(new IssueRecoveryCodesCommand('zoe', h.meta(admin)));
    await expect(h.bus.execute(issue)).rejects.toBeInstanceOf(SecretReplaced);
    expect((await submit('zoe', { recoveryCode: later.codes![0] })).state).toBe('verified');
  });

  it('imported recovery codes are applied once and answer no codes', async () => {
    await registerAccount();
    const hashes = [await bcrypt.hash('0123456789abcdef', 4)];
    const importing = new IssueRecoveryCodesCommand('zoe', h.meta(admin), hashes);
    await h.bus.execute(importing);
    expect((await h.bus.execute(importing)).codes).toBeUndefined();
    expect((await types(streams.account('zoe'))).filter((type) => type === 'RecoveryCodesIssued')).toHaveLength(1);
  });

  it('a TOTP enrolment shows the secret that was kept, and not once a later enrolment replaced it', async () => {
    await registerAccount();
    const enrol = new EnrolTotpCommand('zoe', h.meta(admin));
    const first = await h.bus.execute(enrol);
    const retried = await h.bus.execute(enrol);
    expect(retried.secret).toBe(first.secret);
    expect(retried.otpauthUri).toBe(first.otpauthUri);
    expect((await types(streams.account('zoe'))).filter((type) => type === 'TotpEnrolled')).toHaveLength(1);
    const code = generateSync({ secret: retried.secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    const ticket = await submit('zoe', { totpCode: code });
    expect((await h.store.readStream(streams.ticket(ticket.ticketId))).map((event) => event.data)).toContainEqual({ kind: 'totp', outcome: 'accepted', via: 'submission' });

    await h.bus.execute(new EnrolTotpCommand('zoe', h.meta(admin)));
    await expect(h.bus.execute(enrol)).rejects.toBeInstanceOf(SecretReplaced);
    expect((await runner.load(streams.account('zoe'), accountFold)).state.totpEnrolledBy).not.toBe(enrol.meta.commandId);
  });

  it('a submission answers an access token that is stored, in place of the lost one', async () => {
    const meta = h.meta();
    const first = await submit('zoe', {}, meta);
    const retried = await submit('zoe', {}, meta);
    expect(retried).toMatchObject({ ticketId: first.ticketId, ticketNumber: first.ticketNumber, state: 'submitted' });
    expect(retried.accessToken).toMatch(/^rqt_/);
    expect(retried.accessToken).not.toBe(first.accessToken);
    expect((await runner.load(streams.ticket(first.ticketId), ticketFold)).state.requesterTokenHash).toBe(sha256(retried.accessToken));
    expect(await types(streams.ticket(first.ticketId))).toEqual(['TicketSubmitted', 'RequesterTokenReplaced']);
    // Again, after the platform gave the requester a new token: the retry does not take it from them.
    const given = await h.bus.execute(new ReplaceRequesterTokenCommand(first.ticketId, h.meta(admin)));
    await expect(submit('zoe', {}, meta)).rejects.toBeInstanceOf(SecretReplaced);
    expect((await runner.load(streams.ticket(first.ticketId), ticketFold)).state.requesterTokenHash).toBe(sha256(given.accessToken));
  });

  it('a requester token the platform asked for answers a stored token, and does not undo a later one', async () => {
    const { ticketId } = await submit('zoe');
    const change = new ReplaceRequesterTokenCommand(ticketId, h.meta(admin));
    const first = await h.bus.execute(change);
    const retried = await h.bus.execute(change);
    expect([retried.ticketId, retried.accessToken === first.accessToken]).toEqual([ticketId, false]);
    const stored = async () => (await runner.load(streams.ticket(ticketId), ticketFold)).state.requesterTokenHash;
    expect(await stored()).toBe(sha256(retried.accessToken));
    const later = await h.bus.execute(new ReplaceRequesterTokenCommand(ticketId, h.meta(admin)));
    await expect(h.bus.execute(change)).rejects.toBeInstanceOf(SecretReplaced);
    expect(await stored()).toBe(sha256(later.accessToken));
  });
});
