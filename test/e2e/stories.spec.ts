import { codeStandsIn } from '@reclaim/recovery/testing';
import bcrypt from 'bcrypt';
import { generateSync } from 'otplib';
import { ADMIN_TOKEN, client, eventually, startServer, type Call, type RunningServer } from '../support/server';

let server: RunningServer;
let call: Call;
const staff: Record<string, { id: string; token: string }> = {};

beforeAll(async () => {
  server = await startServer();
  call = client(server.url);
  for (const [name, role] of [['agent', 'agent'], ['agent2', 'agent'], ['supervisor', 'supervisor'], ['integrator', 'integrator'], ['auditor', 'auditor']]) {
    const created = await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name, role } });
    expect(created.status).toBe(201);
    staff[name!] = created.body;
  }
}, 60000);
afterAll(async () => {
  await server.stop();
  server.cleanUp();
});

let counter = 0;
const request = (username: string, extra: Record<string, unknown> = {}) => ({
  username,
  contactEmail: `${username}@example.org`,
  reason: 'lost-email',
  explanation: 'I lost my phone and my email password.',
  ...extra,
});
const unique = (name: string) => `${name}${++counter}`;
/** A staff approval of a ticket, with the token of whoever gives it. */
const approve = (ticketId: string, token: string) => call('POST', `/v1/tickets/${ticketId}/verify`, { token, body: { evidence: ['call-back'], note: 'checked' } });
const bcryptOf = (code: string) => bcrypt.hash(code, 4);

async function account(username: string, extra: Record<string, unknown> = {}) {
  const put = await call('PUT', `/v1/accounts/${username}`, {
    token: staff.integrator!.token,
    body: { primaryEmail: `${username}@example.org`, emails: [`${username}@example.org`], packages: ['left-pad'], ...extra },
  });
  expect(put.status).toBe(201);
  const codes = await call('POST', `/v1/accounts/${username}/recovery-codes`, { token: staff.integrator!.token });
  expect(codes.status).toBe(201);
  return codes.body.codes as string[];
}

describe('stories, end to end over HTTP', () => {
  it('an account fed again takes the new details and keeps its codes and its TOTP enrolment', async () => {
    const name = unique('refed');
    await account(name);
    expect((await call('POST', `/v1/accounts/${name}/totp`, { token: staff.integrator!.token })).status).toBe(201);
    const email = `new-${name}@example.org`;
    const put = await call('PUT', `/v1/accounts/${name}`, { token: staff.integrator!.token, body: { primaryEmail: email, emails: [email], packages: [], critical: true } });
    expect(put.status).toBe(200);
    const acct = await call('GET', `/v1/accounts/${name}?minPosition=${put.body.position}`, { token: staff.agent!.token });
    expect(acct.body).toEqual({ username: name, primaryEmail: email, emails: [email], packages: [], critical: true, frozen: false, recoveryCodesRemaining: 8, totpEnrolled: true, recoveries: 0 });
    // In the contract's order, as a person reading the JSON expects it, then the additions.
    expect(Object.keys(acct.body)).toEqual(['username', 'primaryEmail', 'emails', 'packages', 'critical', 'frozen', 'recoveryCodesRemaining', 'totpEnrolled', 'recoveries']);
  });

  it('a recovery by code', async () => {
    const name = unique('code');
    const codes = await account(name);
    expect(codes).toHaveLength(8);
    const submitted = await call('POST', '/v1/tickets', { body: request(name, { recoveryCode: codes[2] }) });
    expect(submitted.status).toBe(201);
    // The requester's revision counts what they see: their request and the decision, not the code's check.
    expect(submitted.body).toEqual({ ticketId: expect.any(String), ticketNumber: expect.any(Number), state: 'verified', accessToken: expect.stringMatching(/^rqt_/), revision: '1', position: expect.stringMatching(/^\d+$/) });
    const { ticketId, accessToken, position } = submitted.body;
    const mine = await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: accessToken });
    expect(mine.status).toBe(200);
    expect(mine.body.state).toBe('verified');
    const acct = await call('GET', `/v1/accounts/${name}?minPosition=${position}`, { token: staff.agent!.token });
    expect(acct.body).toMatchObject({ username: name, recoveryCodesRemaining: 7, totpEnrolled: false });
    expect(JSON.stringify(acct.body)).not.toMatch(/\$2[aby]\$/);
    const history = await call('GET', `/v1/tickets/${ticketId}/history`, { token: staff.auditor!.token });
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'TicketVerified']);
    expect(JSON.stringify(history.body)).not.toContain(codes[2]);
    const again = await call('POST', '/v1/tickets', { body: request(name, { recoveryCode: codes[2] }) });
    expect(again.body.state).toBe('submitted');
  });

  it('a recovery by an agent after a question and a reply', async () => {
    const name = unique('asked');
    const { ticketId, accessToken } = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const agent = staff.agent!.token;
    const claimed = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ ticketId, state: 'submitted', revision: '1' });
    // Claiming it again changes nothing and answers where the ticket stands.
    const again = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(claimed.body);
    // Another agent's claim does not take it from its holder; nothing is recorded.
    const taken = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: staff.agent2!.token });
    expect(taken.status).toBe(409);
    expect(taken.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(taken.body).toMatchObject({ type: expect.stringContaining('already-assigned'), detail: expect.stringContaining(staff.agent!.id) });
    const unchanged = await call('GET', `/v1/tickets/${ticketId}`, { token: agent });
    expect(unchanged.body).toMatchObject({ assignee: staff.agent!.id, revision: '1' });
    // The SLA clock runs (RECLAIM_SLA_RESPONSE, 7 days by default) while the ticket waits for staff.
    const DAY = 86_400_000;
    expect(unchanged.body.overdueAt).toBe(new Date(Date.parse(unchanged.body.submittedAt) + 7 * DAY).toISOString());
    // A queue's item tells the same time, so an agent sees in the queue which tickets are about to run out.
    const listed = (await call('GET', `/v1/queues/mine`, { token: agent })).body.items.find((item: { ticketId: string }) => item.ticketId === ticketId);
    expect(listed).toMatchObject({ overdueAt: unchanged.body.overdueAt });
    const asked = await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: agent, body: { question: 'Which packages do you maintain?' } });
    expect(asked.body.state).toBe('awaiting-info');
    await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'internal only: check the package list' } });
    const seen = await call('GET', `/v1/tickets/${ticketId}?minPosition=${asked.body.position}`, { token: accessToken });
    expect(seen.body.openQuestion).toMatchObject({ question: 'Which packages do you maintain?' });
    expect(seen.body).not.toHaveProperty('noResponseAt');
    // While the question waits, the SLA pauses, and an unanswered question rejects the ticket after RECLAIM_REPLY_TIMEOUT (14 days).
    const waiting = (await call('GET', `/v1/tickets/${ticketId}`, { token: agent })).body;
    expect(waiting).not.toHaveProperty('overdueAt');
    expect(waiting.noResponseAt).toBe(new Date(Date.parse(waiting.openQuestion.askedAt) + 14 * DAY).toISOString());
    const [found] = (await call('GET', `/v1/tickets?username=${name}`, { token: agent })).body.items;
    expect(found).toMatchObject({ noResponseAt: waiting.noResponseAt });
    expect(found).not.toHaveProperty('overdueAt');
    // The requester is told the same time, as the day to answer by.
    expect(seen.body.openQuestion).toEqual({ question: 'Which packages do you maintain?', askedAt: waiting.openQuestion.askedAt, replyBy: waiting.noResponseAt });
    expect(JSON.stringify(seen.body)).not.toContain('internal only');
    // Nor do its revision, ETag and time: the claim and the note are not the requester's to see.
    expect([seen.body.revision, seen.headers.get('etag'), seen.body.updatedAt]).toEqual(['1', '"1"', seen.body.openQuestion.askedAt]);
    const replied = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: '  left-pad and is-odd  ' } });
    expect(replied.status).toBe(200);
    expect(replied.body.state).toBe('submitted');
    const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${replied.body.position}`, { token: agent });
    expect(view.body.messages.map((m: { body: string }) => m.body)).toEqual(['Which packages do you maintain?', 'left-pad and is-odd']);
    expect(view.body).toMatchObject({ assignee: staff.agent!.id, notes: [{ body: 'internal only: check the package list' }] });
    // The requester's answer tells the revision they know (request, question, answer); staff's counts all five events.
    expect([replied.body.revision, view.headers.get('etag')]).toEqual(['2', '"4"']);
    const verified = await call('POST', `/v1/tickets/${ticketId}/verify`, {
      token: agent,
      body: { evidence: ['package list matches'], note: 'ok' },
      headers: { 'if-match': view.headers.get('etag')! },
    });
    expect(verified.status).toBe(200);
    expect(verified.body.state).toBe('verified');
  });

  it('a follow-up while the ticket waits for staff is recorded, and the ticket keeps its place in the queue and its SLA clock', async () => {
    const first = (await call('POST', '/v1/tickets', { body: request(unique('followup')) })).body;
    const second = (await call('POST', '/v1/tickets', { body: request(unique('followup')) })).body;
    const agent = staff.agent!.token;
    const before = (await call('GET', `/v1/tickets/${first.ticketId}?minPosition=${second.position}`, { token: agent })).body;
    const placeBefore = (await call('GET', `/v1/tickets/${first.ticketId}`, { token: first.accessToken })).body.queuePosition;

    const followed = await call('POST', `/v1/tickets/${first.ticketId}/replies`, { token: first.accessToken, body: { message: 'My old address was on example.net.' } });
    expect([followed.status, followed.body.state]).toEqual([200, 'submitted']);
    const after = (await call('GET', `/v1/tickets/${first.ticketId}?minPosition=${followed.body.position}`, { token: agent })).body;
    expect(after.messages).toEqual([{ id: expect.any(String), from: 'requester', kind: 'follow-up', body: 'My old address was on example.net.', at: expect.any(String) }]);
    expect(after.overdueAt).toBe(before.overdueAt);
    const mine = (await call('GET', `/v1/tickets/${first.ticketId}`, { token: first.accessToken })).body;
    expect(mine.messages.map((m: { kind: string }) => m.kind)).toEqual(['follow-up']);
    expect(mine.queuePosition).toBe(placeBefore);
    // Still ahead of the ticket filed after it.
    let path = `/v1/queues/submitted?limit=200`;
    const order: string[] = [];
    for (;;) {
      const page = (await call('GET', path, { token: agent })).body;
      order.push(...page.items.map((item: { ticketId: string }) => item.ticketId));
      if (!page.next) break;
      path = `/v1/queues/submitted?limit=200&after=${page.next}`;
    }
    expect(order.indexOf(first.ticketId)).toBeLessThan(order.indexOf(second.ticketId));
  });

  it('a ticket claimed by mistake goes back to the queue for anyone to claim', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: request(unique('handback')) })).body;
    const [agent, agent2] = [staff.agent!, staff.agent2!];
    await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent.token });
    // Only its holder's hand-back takes it back: another's, naming no one, is refused and records nothing.
    const notTheirs = await call('POST', `/v1/tickets/${ticketId}/release`, { token: agent2.token });
    expect(notTheirs.status).toBe(409);
    expect(notTheirs.body).toMatchObject({ type: expect.stringContaining('already-assigned'), detail: expect.stringContaining(agent.id) });
    const released = await call('POST', `/v1/tickets/${ticketId}/release`, { token: agent.token });
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ ticketId, state: 'submitted', revision: '2', position: expect.any(String) });
    const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${released.body.position}`, { token: agent2.token });
    expect(view.body.assignee).toBeUndefined();
    const queued = (await call('GET', '/v1/queues/submitted?limit=200', { token: agent2.token })).body.items.find((item: { ticketId: string }) => item.ticketId === ticketId);
    expect(queued).toMatchObject({ assignee: null });
    expect((await call('GET', '/v1/queues/mine', { token: agent.token })).body.items.map((item: { ticketId: string }) => item.ticketId)).not.toContain(ticketId);
    const history = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: staff.auditor!.token })).body.events;
    expect(history.at(-1)).toMatchObject({ type: 'TicketReleased', actor: { kind: 'staff', id: agent.id }, data: { previousAssignee: agent.id, because: 'handed-back' } });
    // Given back already: the same hand-back records nothing more.
    expect((await call('POST', `/v1/tickets/${ticketId}/release`, { token: agent.token })).body).toEqual(released.body);
    // Anyone may now claim it; a supervisor gives it back from its holder by naming them.
    expect((await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent2.token })).status).toBe(200);
    const byLead = await call('POST', `/v1/tickets/${ticketId}/release`, { token: staff.supervisor!.token, body: { from: agent2.id } });
    expect(byLead.body).toMatchObject({ state: 'submitted', revision: '4' });
    const bad = await call('POST', `/v1/tickets/${ticketId}/release`, { token: agent.token, body: { from: 'not a staff id' } });
    expect([bad.status, bad.body.errors]).toEqual([400, [{ field: 'from', message: 'from must be a staff id' }]]);
    // A decided ticket keeps its holder.
    await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent.token });
    await call('POST', `/v1/tickets/${ticketId}/reject`, { token: agent.token, body: { reason: 'other', note: 'done' } });
    const closed = await call('POST', `/v1/tickets/${ticketId}/release`, { token: agent.token });
    expect([closed.status, closed.body.detail]).toEqual([409, expect.stringContaining('rejected')]);
  });

  it("a reviewer reads one staff member's work across every ticket, oldest first", async () => {
    const { token, id } = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Reviewed', role: 'agent' } })).body;
    const first = (await call('POST', '/v1/tickets', { body: request(unique('reviewed')) })).body;
    const second = (await call('POST', '/v1/tickets', { body: request(unique('reviewed')) })).body;
    await call('POST', `/v1/tickets/${first.ticketId}/assign`, { token });
    await call('POST', `/v1/tickets/${second.ticketId}/notes`, { token, body: { body: 'looked at the packages' } });
    // Someone else's work on the same ticket is theirs, not this member's.
    await call('POST', `/v1/tickets/${first.ticketId}/notes`, { token: staff.agent!.token, body: { body: 'not theirs' } });
    const last = await call('POST', `/v1/tickets/${first.ticketId}/verify`, { token, body: { evidence: ['call-back'], note: 'confirmed by phone' } });
    const entries: Array<{ ticketId: string; about: unknown; type: string; actor: { id: string }; data: Record<string, unknown> }> = [];
    let path = `/v1/staff/${id}/activity?limit=2&minPosition=${last.body.position}`;
    for (;;) {
      const page = await call('GET', path, { token: staff.auditor!.token });
      expect(page.status).toBe(200);
      entries.push(...page.body.events);
      if (!page.body.next) break;
      path = `/v1/staff/${id}/activity?limit=2&after=${page.body.next}`;
    }
    expect(entries.map(({ ticketId, type }) => [ticketId, type])).toEqual([
      [first.ticketId, 'TicketAssigned'],
      [second.ticketId, 'NoteAdded'],
      [first.ticketId, 'TicketVerified'],
    ]);
    expect(entries.every((entry) => entry.actor.id === id)).toBe(true);
    for (const entry of entries) expect(entry.about).toEqual({ kind: 'ticket', id: entry.ticketId });
    expect(entries[2]!.data).toMatchObject({ note: 'confirmed by phone', evidence: ['call-back'] });
    // An id that names no one has done nothing; peers may not read each other's work.
    expect((await call('GET', '/v1/staff/no-such-member/activity', { token: staff.supervisor!.token })).body).toEqual({ events: [] });
    expect((await call('GET', `/v1/staff/${id}/activity`, { token: staff.agent!.token })).status).toBe(403);
  });

  it("a reviewer reads a staff member's work on accounts and staff too: codes issued, staff created and deactivated; never a secret, never a webhook", async () => {
    const admin = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Second admin', role: 'admin' } })).body;
    const feeder = (await call('POST', '/v1/staff', { token: admin.token, body: { name: 'Feeder', role: 'integrator' } })).body;
    const name = unique('activity');
    expect((await call('PUT', `/v1/accounts/${name}`, { token: feeder.token, body: { primaryEmail: `${name}@example.org`, emails: [], packages: [] } })).status).toBe(201);
    const { codes } = (await call('POST', `/v1/accounts/${name}/recovery-codes`, { token: feeder.token })).body;
    const { secret } = (await call('POST', `/v1/accounts/${name}/totp`, { token: feeder.token })).body;
    expect((await call('POST', '/v1/webhooks', { token: feeder.token, body: { url: 'https://192.0.2.10/reclaim?key=credential' } })).status).toBe(201);
    const replaced = (await call('POST', `/v1/staff/${feeder.id}/token`, { token: admin.token })).body;
    const last = (await call('DELETE', `/v1/staff/${feeder.id}`, { token: admin.token })).body;
    const activity = async (id: string) =>
      (await call('GET', `/v1/staff/${id}/activity?limit=200&minPosition=${last.position}`, { token: staff.auditor!.token })).body.events as Array<{ about: unknown; ticketId?: string; type: string; data: unknown }>;

    const fed = await activity(feeder.id);
    const account = { kind: 'account', id: name };
    expect(fed.map(({ about, ticketId, type, data }) => ({ about, ticketId, type, data }))).toEqual([
      { about: account, ticketId: undefined, type: 'AccountRegistered', data: expect.objectContaining({ username: name, primaryEmail: `${name}@example.org` }) },
      { about: account, ticketId: undefined, type: 'RecoveryCodesIssued', data: { source: 'generated', count: 8 } },
      { about: account, ticketId: undefined, type: 'TotpEnrolled', data: { source: 'generated' } },
    ]);
    const administered = await activity(admin.id);
    const member = { kind: 'staff', id: feeder.id };
    expect(administered.map(({ about, type }) => ({ about, type }))).toEqual([
      { about: member, type: 'StaffCreated' },
      { about: member, type: 'StaffTokenReplaced' },
      { about: member, type: 'StaffDeactivated' },
    ]);
    const text = JSON.stringify([fed, administered]);
    for (const plain of [...codes, secret, feeder.token, replaced.token, 'credential']) expect(text).not.toContain(plain);
    expect(text).not.toMatch(/\$2[aby]\$|sealed|tokenHash/i);
  });

  it('a critical account needs two approvers', async () => {
    const name = unique('vip');
    await account(name, { critical: true });
    const { ticketId } = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const verify = (who: string) => approve(ticketId, staff[who]!.token);
    const first = await verify('agent');
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('submitted');
    const sameAgain = await verify('agent');
    expect(sameAgain.status).toBe(409);
    expect(sameAgain.headers.get('content-type')).toContain('application/problem+json');
    expect(sameAgain.body.detail).toContain('submitted');
    expect((await verify('agent2')).status).toBe(409);
    const second = await verify('supervisor');
    expect(second.body.state).toBe('verified');
  });

  it("a critical account's first approval no longer counts once its approver is deactivated", async () => {
    const name = unique('vip-left');
    await account(name, { critical: true });
    const { ticketId } = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const leaving = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Leaving', role: 'agent' } })).body;
    const verify = (token: string) => approve(ticketId, token);
    expect((await verify(leaving.token)).body.state).toBe('submitted');
    const gone = await call('DELETE', `/v1/staff/${leaving.id}`, { token: ADMIN_TOKEN });
    expect(gone.status).toBe(200);
    // Withdrawn at once, by the deactivation: the ticket shows that two approvals are still needed.
    const waiting = (await call('GET', `/v1/tickets/${ticketId}?minPosition=${gone.body.position}`, { token: staff.auditor!.token })).body;
    expect([waiting.state, waiting.approvals]).toEqual(['submitted', []]);
    // The supervisor's approval is the first again: the ticket waits for another.
    const first = await verify(staff.supervisor!.token);
    expect([first.status, first.body.state]).toEqual([200, 'submitted']);
    const view = (await call('GET', `/v1/tickets/${ticketId}?minPosition=${first.body.position}`, { token: staff.auditor!.token })).body;
    expect(view.approvals.map((approval: { approver: string }) => approval.approver)).toEqual([staff.supervisor!.id]);
    expect(view.evidence.map((item: { by: string }) => item.by)).toEqual([leaving.id, staff.supervisor!.id]);
    const history = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: staff.auditor!.token })).body.events;
    expect(history.map((event: { type: string }) => event.type)).toEqual(['TicketSubmitted', 'ApprovalRecorded', 'ApprovalWithdrawn', 'ApprovalRecorded']);
    expect(history[2]).toMatchObject({ actor: { kind: 'staff', id: 'bootstrap-admin' }, data: { approver: leaving.id, because: 'deactivated' } });
    expect(BigInt(history[2].position)).toBeLessThanOrEqual(BigInt(gone.body.position));
    expect((await verify(staff.agent!.token)).status).toBe(409);
    expect((await verify(ADMIN_TOKEN)).body.state).toBe('verified');
    // Nor can tickets be given to them.
    const other = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const assigned = await call('POST', `/v1/tickets/${other.ticketId}/assign`, { token: staff.supervisor!.token, body: { assignee: leaving.id } });
    expect([assigned.status, assigned.body.errors]).toEqual([422, [{ field: 'assignee', message: 'assignee is deactivated' }]]);
  });

  it("the bootstrap admin's first approval of a critical account counts: it is no staff member, so none that was deactivated", async () => {
    const name = unique('vip-boot');
    await account(name, { critical: true });
    const { ticketId } = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const verify = (token: string) => approve(ticketId, token);
    expect((await verify(ADMIN_TOKEN)).body.state).toBe('submitted');
    expect((await verify(staff.supervisor!.token)).body.state).toBe('verified');
  });

  it('a rejection, after which the ticket refuses replies, and burns no code sent with a late one', async () => {
    const name = unique('rej');
    const codes = await account(name);
    const { ticketId, accessToken } = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const missingReason = await call('POST', `/v1/tickets/${ticketId}/reject`, { token: staff.agent!.token, body: { note: 'x' } });
    expect(missingReason.status).toBe(400);
    expect(missingReason.body.errors).toEqual([{ field: 'reason', message: 'reason is required' }]);
    const rejected = await call('POST', `/v1/tickets/${ticketId}/reject`, { token: staff.agent!.token, body: { reason: 'insufficient-evidence', note: 'no proof' } });
    expect(rejected.body.state).toBe('rejected');
    // The decision says what it was and why, to staff and to compliance.
    const decided = await call('GET', `/v1/tickets/${ticketId}?minPosition=${rejected.body.position}`, { token: staff.agent!.token });
    expect(decided.body.decision).toMatchObject({ reason: 'insufficient-evidence', note: 'no proof' });
    const late = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'wait!', recoveryCode: codes[0] } });
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('rejected');
    // The code is still the account's to use: it was not checked, so neither burned nor counted.
    const head = (await call('GET', '/health')).body.head as string;
    expect((await call('GET', `/v1/accounts/${name}?minPosition=${head}`, { token: staff.agent!.token })).body.recoveryCodesRemaining).toBe(8);
    expect((await call('GET', `/v1/accounts/${name}/history`, { token: staff.agent!.token })).body.events.map((e: { type: string }) => e.type)).not.toContain('RecoveryCodeUsed');
  });

  it('a requester who got back in on their own withdraws the request; nobody else may', async () => {
    const name = unique('withdrawn');
    const mine = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const other = (await call('POST', '/v1/tickets', { body: request(unique('other')) })).body;
    const withdraw = (token: string, headers: Record<string, string> = {}) =>
      call('POST', `/v1/tickets/${mine.ticketId}/withdraw`, { token, headers, body: { message: 'I found my old phone.' } });
    expect((await withdraw(staff.agent!.token)).status).toBe(403);
    expect((await withdraw(other.accessToken)).status).toBe(404);
    // A note staff add does not make the requester's If-Match stale; a revision they never saw is.
    await call('POST', `/v1/tickets/${mine.ticketId}/notes`, { token: staff.agent!.token, body: { body: 'called them' } });
    expect((await withdraw(mine.accessToken, { 'if-match': '"1"' })).status).toBe(412);
    const withdrawn = await withdraw(mine.accessToken, { 'if-match': '"0"' });
    expect([withdrawn.status, withdrawn.body]).toEqual([200, { ticketId: mine.ticketId, state: 'rejected', revision: '1', position: expect.any(String) }]);
    const staffView = (await call('GET', `/v1/tickets/${mine.ticketId}?minPosition=${withdrawn.body.position}`, { token: staff.agent!.token })).body;
    expect(staffView.decision).toMatchObject({ state: 'rejected', reason: 'other', by: { kind: 'requester', id: mine.ticketId }, note: 'I found my old phone.' });
    const theirs = (await call('GET', `/v1/tickets/${mine.ticketId}`, { token: mine.accessToken })).body;
    expect([theirs.state, theirs.rejectionReason, theirs.revision]).toEqual(['rejected', 'withdrawn', '1']);
    // Decided: nothing more to withdraw or answer.
    expect((await withdraw(mine.accessToken)).status).toBe(409);
    expect((await call('POST', `/v1/tickets/${mine.ticketId}/replies`, { token: mine.accessToken, body: { message: 'oops' } })).status).toBe(409);
  });

  it('a requester who lost their token gets a new one through the platform; the old one stops working', async () => {
    const filed = (await call('POST', '/v1/tickets', { body: request(unique('lost-token')) })).body;
    const asked = (token: string, ticketId = filed.ticketId, headers: Record<string, string> = {}) => call('POST', `/v1/tickets/${ticketId}/access-token`, { token, headers });
    expect((await asked(staff.agent!.token)).status).toBe(403);
    // As every command on a ticket, it takes If-Match of the ticket's revision.
    expect((await asked(staff.integrator!.token, filed.ticketId, { 'if-match': '"9"' })).status).toBe(412);
    expect((await asked(staff.integrator!.token, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const given = await asked(staff.integrator!.token);
    expect([given.status, given.body]).toEqual([201, { ticketId: filed.ticketId, accessToken: expect.stringMatching(/^rqt_/), position: expect.any(String) }]);
    // At once, as answered: the new token opens the ticket, the old one nothing.
    expect((await call('GET', `/v1/tickets/${filed.ticketId}`, { token: filed.accessToken })).status).toBe(401);
    const theirs = await call('GET', `/v1/tickets/${filed.ticketId}`, { token: given.body.accessToken });
    expect([theirs.status, theirs.body.revision]).toEqual([200, '0']);
    expect((await call('POST', `/v1/tickets/${filed.ticketId}/replies`, { token: given.body.accessToken, body: { message: 'found it' } })).status).toBe(200);
    // The history says that it was replaced and by whom, never the token or its hash.
    const history = (await call('GET', `/v1/tickets/${filed.ticketId}/history`, { token: staff.auditor!.token })).body.events;
    const replaced = history.find((event: { type: string }) => event.type === 'RequesterTokenReplaced');
    expect(replaced).toMatchObject({ actor: { kind: 'integrator', id: staff.integrator!.id } });
    expect(JSON.stringify(history)).not.toContain(given.body.accessToken);
  });

  it("a requester's reply takes If-Match of the revision they see: a stale one is refused before its code is checked", async () => {
    const name = unique('ifmatch');
    const codes = await account(name, { critical: true });
    const { ticketId, accessToken, position } = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const seen = await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: accessToken });
    expect(seen.headers.get('etag')).toBe('"0"');
    // Work the requester cannot see leaves what they saw current.
    const noted = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: staff.agent!.token, body: { body: 'meanwhile' } });
    const followUp = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'any news?' }, headers: { 'if-match': '"0"' } });
    expect([followUp.status, followUp.body.revision]).toEqual([200, '1']);
    const asked = await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: staff.agent!.token, body: { question: 'Your code?' }, headers: { 'if-match': noted.body.revision } });
    expect([asked.status, asked.body.revision]).toEqual([412, undefined]); // the follow-up moved staff's revision
    const question = await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: staff.agent!.token, body: { question: 'Your code?' } });
    expect(question.body.revision).toBe('3');
    // What a refusal must not write: the ticket's events, and the account's (a code burned). Not the
    // log's head: earlier stories leave the server work that may append meanwhile (a webhook of a
    // deactivated owner is disabled on the dispatcher's next turn).
    const written = async () => [
      (await call('GET', `/v1/tickets/${ticketId}/history`, { token: staff.auditor!.token })).body.events.length,
      (await call('GET', `/v1/accounts/${name}/history`, { token: staff.auditor!.token })).body.events.length,
    ];
    const before = await written();
    // The question is the requester's to see: what they saw before it is stale.
    const stale = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'my code', recoveryCode: codes[0] }, headers: { 'if-match': '"1"' } });
    expect([stale.status, stale.body.type, stale.body.detail]).toEqual([412, 'https://reclaim.dev/problems/stale-revision', 'If-Match 1 is stale: the ticket is at revision 2.']);
    expect(await written()).toEqual(before);
    const malformed = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'my code' }, headers: { 'if-match': 'soon' } });
    expect([malformed.status, malformed.body.errors?.[0]?.field]).toEqual([400, 'If-Match']);
    expect(await written()).toEqual(before);
    const current = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'my code', recoveryCode: codes[0] }, headers: { 'if-match': '2' } });
    expect([current.status, current.body.revision]).toEqual([200, '3']); // the answer; not its code's check, nor the high priority
  });

  it('an account frozen after its ticket was filed is not recovered by a code, and one made critical takes two approvers', async () => {
    const feed = (username: string, status: object) =>
      call('PUT', `/v1/accounts/${username}`, { token: staff.integrator!.token, body: { primaryEmail: `${username}@example.org`, emails: [`${username}@example.org`], packages: ['left-pad'], ...status } });
    const frozenName = unique('frozenlater');
    const codes = await account(frozenName);
    const filed = (await call('POST', '/v1/tickets', { body: request(frozenName) })).body;
    expect((await feed(frozenName, { frozen: true })).status).toBe(200);
    const reply = await call('POST', `/v1/tickets/${filed.ticketId}/replies`, { token: filed.accessToken, body: { message: 'my code', recoveryCode: codes[0] } });
    expect([reply.status, reply.body.state]).toEqual([200, 'submitted']);
    const view = await call('GET', `/v1/tickets/${filed.ticketId}?minPosition=${reply.body.position}`, { token: staff.agent!.token });
    expect(view.body.priority).toBe('high');
    const history = (await call('GET', `/v1/tickets/${filed.ticketId}/history`, { token: staff.auditor!.token })).body.events;
    expect(history.map((e: { type: string }) => e.type)).toEqual(['TicketSubmitted', 'AccountStatusNoted', 'FollowUpReceived', 'EvidenceRecorded', 'TicketPrioritised']);
    expect(history[1]).toMatchObject({ data: { critical: false, frozen: true }, actor: { kind: 'requester' } });

    const criticalName = unique('criticallater');
    await account(criticalName);
    const second = (await call('POST', '/v1/tickets', { body: request(criticalName) })).body;
    expect((await feed(criticalName, { critical: true })).status).toBe(200);
    const verify = (role: 'agent' | 'supervisor') => approve(second.ticketId, staff[role]!.token);
    expect((await verify('agent')).body.state).toBe('submitted');
    expect((await verify('supervisor')).body.state).toBe('verified');
  });

  it('a lead rejects a flood of requests for one username at once: each open one rejected once, with its own event, a retry changes nothing, an agent may not', async () => {
    const name = unique('flood');
    const decided = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    await call('POST', `/v1/tickets/${decided.ticketId}/reject`, { token: staff.agent!.token, body: { reason: 'other', note: 'filed by mistake' } });
    const flood: Array<{ ticketId: string; accessToken: string }> = [];
    for (let i = 0; i < 5; i++) flood.push((await call('POST', '/v1/tickets', { body: request(name) })).body);
    await call('POST', `/v1/tickets/${flood[1]!.ticketId}/request-info`, { token: staff.agent!.token, body: { question: 'Who are you?' } });
    const other = (await call('POST', '/v1/tickets', { body: request(unique('bystander')) })).body;
    const body = { username: name, reason: 'suspected-fraud', note: 'a flood of requests, none from the owner' };

    expect((await call('POST', '/v1/tickets/reject-open', { token: staff.agent!.token, body })).status).toBe(403);
    const key = { 'idempotency-key': `flood-${name}` };
    const answer = await call('POST', '/v1/tickets/reject-open', { token: staff.supervisor!.token, body, headers: key });
    expect([answer.status, answer.body]).toEqual([200, { username: name, rejected: 5, position: expect.any(String) }]);
    const history = async (ticketId: string) => (await call('GET', `/v1/tickets/${ticketId}/history`, { token: staff.auditor!.token })).body.events as Array<{ type: string; actor: { id: string }; data: Record<string, unknown> }>;
    for (const { ticketId, accessToken } of flood) {
      const view = (await call('GET', `/v1/tickets/${ticketId}?minPosition=${answer.body.position}`, { token: staff.agent!.token })).body;
      expect([view.state, view.decision]).toEqual(['rejected', { state: 'rejected', reason: 'suspected-fraud', note: body.note, by: { kind: 'staff', id: staff.supervisor!.id }, at: expect.any(String) }]);
      expect((await history(ticketId)).filter(({ type }) => type === 'TicketRejected')).toHaveLength(1);
      // The requester is told no more than for any rejection by staff.
      expect((await call('GET', `/v1/tickets/${ticketId}`, { token: accessToken })).body).not.toHaveProperty('rejectionReason');
    }
    expect((await history(decided.ticketId)).filter(({ type }) => type === 'TicketRejected')).toHaveLength(1);
    expect((await call('GET', `/v1/tickets/${other.ticketId}`, { token: staff.agent!.token })).body.state).toBe('submitted');

    // Sent again, with the same key or without one: nothing more is recorded.
    expect((await call('POST', '/v1/tickets/reject-open', { token: staff.supervisor!.token, body, headers: key })).body).toEqual(answer.body);
    const again = await call('POST', '/v1/tickets/reject-open', { token: ADMIN_TOKEN, body });
    expect(again.body).toMatchObject({ username: name, rejected: 0 });
    for (const { ticketId } of flood) expect((await history(ticketId)).filter(({ type }) => type === 'TicketRejected')).toHaveLength(1);
    const refused = await call('POST', '/v1/tickets/reject-open', { token: staff.supervisor!.token, body: { username: name, reason: 'because', note: 'x' } });
    expect([refused.status, refused.body.errors.map((error: { field: string }) => error.field)]).toEqual([400, ['reason']]);
  });

  it('a duplicate is linked to the first open ticket', async () => {
    const name = unique('dup');
    const first = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const second = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const view = await call('GET', `/v1/tickets/${second.ticketId}?minPosition=${second.position}`, { token: staff.agent!.token });
    expect(view.body.duplicateOf).toBe(first.ticketId);
    const original = await call('GET', `/v1/tickets/${first.ticketId}`, { token: staff.agent!.token });
    expect(original.body.duplicates).toEqual([second.ticketId]);
    const requesterView = await call('GET', `/v1/tickets/${second.ticketId}`, { token: second.accessToken });
    expect(requesterView.body).not.toHaveProperty('duplicateOf');
  });

  it('once access is restored through one request, the others filed before it close as duplicates, a report of a compromise is raised, and one filed later stays open', async () => {
    const name = unique('restored');
    const mine = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const another = (await call('POST', '/v1/tickets', { body: request(name, { contactEmail: 'not-the-owner@example.net' }) })).body;
    const report = (await call('POST', '/v1/tickets', { body: request(name, { reason: 'account-compromise' }) })).body;
    const verified = await approve(mine.ticketId, staff.agent!.token);
    expect(verified.body.state).toBe('verified');
    const staffView = (id: string) => call('GET', `/v1/tickets/${id}`, { token: staff.agent!.token });
    const number = (await staffView(mine.ticketId)).body.ticketNumber;
    // In the moment before the system closes it, the other request is still open, but verifying
    // it is refused, naming the ticket through which access was restored (or, once it has closed,
    // refused as rejected).
    const meanwhile = await approve(another.ticketId, staff.agent2!.token);
    expect(meanwhile.status).toBe(409);
    if (meanwhile.body.type.endsWith('/recovered-elsewhere')) expect(meanwhile.body.detail).toContain(`restored through ticket ${number},`);
    else expect(meanwhile.body.detail).toContain('Current state: rejected.');
    const later = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    expect(await eventually(async () => (await staffView(another.ticketId)).body.state === 'rejected', 10000)).toBe(true);
    expect((await staffView(another.ticketId)).body.decision).toMatchObject({ reason: 'duplicate', by: { kind: 'system', id: 'account-recovered' }, note: expect.stringContaining(`ticket ${number}`) });
    // The other requester hears that it was rejected, not why.
    const theirs = (await call('GET', `/v1/tickets/${another.ticketId}`, { token: another.accessToken })).body;
    expect([theirs.state, theirs.rejectionReason]).toEqual(['rejected', undefined]);
    // A report of a compromise stays open, raised for a person to read: it may be about that very recovery.
    expect(await eventually(async () => (await staffView(report.ticketId)).body.priority === 'high', 10000)).toBe(true);
    expect((await staffView(report.ticketId)).body.state).toBe('submitted');
    // Nothing more can verify it, and the request filed after the recovery is one of its own.
    expect((await approve(another.ticketId, staff.agent2!.token)).status).toBe(409);
    expect((await staffView(later.ticketId)).body.state).toBe('submitted');
  });

  it('an attempt flood hits 429 with Retry-After, and is recorded on the ticket', async () => {
    const name = unique('flood');
    await account(name);
    const { ticketId, accessToken } = (await call('POST', '/v1/tickets', { body: request(name) })).body;
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<Call>> | undefined;
    for (let i = 0; i < 7; i++) {
      const answer = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: `try ${i}`, recoveryCode: 'deadbeefdeadbeef' } });
      statuses.push(answer.status);
      if (answer.status === 429) limited ??= answer;
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[5]).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    const history = await call('GET', `/v1/tickets/${ticketId}/history`, { token: staff.agent!.token });
    expect(history.body.events.at(-1).data).toEqual({ kind: 'recovery-code', outcome: 'rate-limited', via: 'reply' });
    // Each code sent past the limit is recorded as what it was.
    const both = await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'both', recoveryCode: 'deadbeefdeadbeef', totpCode: '123456' } });
    expect(both.status).toBe(429);
    const after = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: staff.agent!.token })).body.events;
    expect(after.slice(-2).map((e: { data: object }) => e.data)).toEqual([
      { kind: 'recovery-code', outcome: 'rate-limited', via: 'reply' },
      { kind: 'totp', outcome: 'rate-limited', via: 'reply' },
    ]);
  });

  it("an account's history tells who fed it, who issued its codes and enrolled TOTP, and which ticket used a code; never a hash or a secret", async () => {
    const name = unique('history');
    const codes = await account(name);
    const updated = await call('PUT', `/v1/accounts/${name}`, { token: ADMIN_TOKEN, body: { primaryEmail: `${name}@example.net`, emails: [], packages: [], critical: true } });
    expect(updated.status).toBe(200);
    const imported = await call('POST', `/v1/accounts/${name}/recovery-codes/import`, { token: staff.integrator!.token, body: { hashes: [await bcryptOf('0123456789abcdef')] } });
    expect([imported.status, imported.body]).toEqual([201, { imported: 1, position: expect.any(String) }]);
    // An account the platform never fed is not found, nor its history.
    for (const path of [`/v1/accounts/${name}-unfed`, `/v1/accounts/${name}-unfed/history`]) {
      const unfed = await call('GET', path, { token: staff.agent!.token });
      expect([path, unfed.status, unfed.body.detail]).toEqual([path, 404, 'The account was not found.']);
    }
    const { secret } = (await call('POST', `/v1/accounts/${name}/totp`, { token: staff.integrator!.token })).body;
    const submitted = (await call('POST', '/v1/tickets', { body: request(name, { recoveryCode: '0123456789abcdef' }) })).body;

    const history = await call('GET', `/v1/accounts/${name}/history`, { token: staff.agent!.token });
    expect(history.status).toBe(200);
    const integrator = { kind: 'integrator', id: staff.integrator!.id };
    expect(history.body.events.map(({ type, actor, data }: { type: string; actor: unknown; data: unknown }) => ({ type, actor, data }))).toEqual([
      { type: 'AccountRegistered', actor: integrator, data: { username: name, primaryEmail: `${name}@example.org`, emails: [`${name}@example.org`], packages: ['left-pad'], critical: false, frozen: false } },
      { type: 'RecoveryCodesIssued', actor: integrator, data: { source: 'generated', count: 8 } },
      { type: 'AccountUpdated', actor: expect.objectContaining({ kind: 'staff' }), data: { username: name, primaryEmail: `${name}@example.net`, emails: [], packages: [], critical: true, frozen: false } },
      { type: 'RecoveryCodesIssued', actor: integrator, data: { source: 'imported', count: 1 } },
      { type: 'TotpEnrolled', actor: integrator, data: { source: 'generated' } },
      { type: 'RecoveryCodeUsed', actor: { kind: 'public', id: expect.any(String) }, data: { codeId: expect.any(String), ticketId: submitted.ticketId } },
    ]);
    for (const entry of history.body.events) expect(entry).toMatchObject({ position: expect.stringMatching(/^\d+$/), occurredAt: expect.any(String), recordedAt: expect.any(String) });
    const text = JSON.stringify(history.body);
    for (const plain of [...codes, '0123456789abcdef', secret]) expect(text).not.toContain(plain);
    expect(text).not.toMatch(/\$2[aby]\$|sealed/i);

    // Those who read accounts read their histories (every caller: access.spec.ts); an account never fed has none.
    for (const reader of ['supervisor', 'auditor', 'integrator']) expect((await call('GET', `/v1/accounts/${name}/history`, { token: staff[reader]!.token })).status).toBe(200);
    expect((await call('GET', `/v1/accounts/${unique('never')}/history`, { token: staff.agent!.token })).status).toBe(404);
    const refused = await call('GET', '/v1/accounts/Not%20A%20Name/history', { token: staff.agent!.token });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'username' })]);
  });

  it('records TOTP evidence for staff', async () => {
    const name = unique('totp');
    await account(name);
    const enrolled = await call('POST', `/v1/accounts/${name}/totp`, { token: staff.integrator!.token });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.otpauthUri).toContain('otpauth://totp/');
    const code = generateSync({ secret: enrolled.body.secret });
    // Typed as the authenticator app shows it, in two groups of three.
    const shown = `${code.slice(0, 3)} ${code.slice(3)}`;
    const { ticketId, position } = (await call('POST', '/v1/tickets', { body: request(name, { totpCode: shown }) })).body;
    const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: staff.agent!.token });
    expect(view.body.evidence).toEqual([expect.objectContaining({ source: 'engine', kind: 'totp', outcome: 'accepted' })]);
    expect(codeStandsIn(JSON.stringify(view.body), code)).toBe(false);
    expect(JSON.stringify(view.body)).not.toContain(shown);
  });

  it('takes the TOTP secret the platform enrolled its user with, and checks the codes of the app they already use against it', async () => {
    const name = unique('totpimport');
    await account(name);
    const importing = (secret: unknown) => call('POST', `/v1/accounts/${name}/totp/import`, { token: staff.integrator!.token, body: { secret } });
    // Not base32 as otplib reads it, or under RFC 4226's 128 bits: refused, naming the field and never echoing the value.
    for (const bad of ['JBSWY3DPEHPK3PXP', 'RQQWJWK5D6XNNB3GTZQ7OCV2TGN7NKU1', 'RQQWJWK5D6XNNB3GTZQ7OCV2TG', 'RQQW JWK5 D6XN NB3G TZQ7 OCV2 TGN7 NKUI', 42]) {
      const refused = await importing(bad);
      expect([bad, refused.status, refused.body.errors.map((e: { field: string }) => e.field)]).toEqual([bad, 400, ['secret']]);
      expect(JSON.stringify(refused.body)).not.toContain(String(bad));
    }
    const secret = 'RQQWJWK5D6XNNB3GTZQ7OCV2TGN7NKUI';
    const imported = await importing(secret);
    expect([imported.status, imported.body]).toEqual([201, { imported: true, position: expect.any(String) }]);
    expect((await call('GET', `/v1/accounts/${name}?minPosition=${imported.body.position}`, { token: staff.agent!.token })).body.totpEnrolled).toBe(true);
    const { ticketId, position } = (await call('POST', '/v1/tickets', { body: request(name, { totpCode: generateSync({ secret }) }) })).body;
    const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: staff.agent!.token });
    expect(view.body.evidence).toEqual([expect.objectContaining({ source: 'engine', kind: 'totp', outcome: 'accepted' })]);
    // The account's history says it was imported, and by whom; never the secret, sealed or not.
    const history = (await call('GET', `/v1/accounts/${name}/history`, { token: staff.auditor!.token })).body.events;
    expect(history.find((event: { type: string }) => event.type === 'TotpEnrolled')).toMatchObject({ data: { source: 'imported' }, actor: { kind: 'integrator' } });
    expect(JSON.stringify(history)).not.toContain(secret);
    expect((await call('POST', '/v1/accounts/never-fed-totp/totp/import', { token: staff.integrator!.token, body: { secret } })).status).toBe(404);
  });

  it('a new set of recovery codes replaces the old one: an old code no longer verifies, a new one does', async () => {
    const name = unique('reissued');
    const old = await account(name);
    const reissued = await call('POST', `/v1/accounts/${name}/recovery-codes`, { token: staff.integrator!.token });
    expect(reissued.status).toBe(201);
    const fresh = reissued.body.codes as string[];
    expect(fresh.filter((code) => old.includes(code))).toEqual([]);
    const withOld = (await call('POST', '/v1/tickets', { body: request(name, { recoveryCode: old[0] }) })).body;
    expect(withOld.state).toBe('submitted');
    const view = (await call('GET', `/v1/tickets/${withOld.ticketId}?minPosition=${withOld.position}`, { token: staff.agent!.token })).body;
    expect(view.evidence).toEqual([expect.objectContaining({ kind: 'recovery-code', outcome: 'rejected' })]);
    // Written down in groups and typed back in capitals, it is the same code.
    const grouped = fresh[0]!.toUpperCase().replace(/(.{4})(?!$)/g, '$1-');
    const withNew = (await call('POST', '/v1/tickets', { body: request(name, { recoveryCode: grouped }) })).body;
    expect(withNew.state).toBe('verified');
    expect((await call('GET', `/v1/accounts/${name}?minPosition=${withNew.position}`, { token: staff.agent!.token })).body.recoveryCodesRemaining).toBe(7);
  });

  it('imports recovery codes issued elsewhere', async () => {
    const bcrypt = await import('bcrypt');
    const name = unique('imported');
    await account(name);
    const hash = await bcrypt.hash('0a1b2c3d4e5f6071', 4);
    const bad = await call('POST', `/v1/accounts/${name}/recovery-codes/import`, { token: staff.integrator!.token, body: { hashes: [hash, 'plain'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'hashes.1', message: 'hashes.1 must be a bcrypt hash ($2a$, $2b$ or $2y$)' }]);
    // One hash twice (PHP's $2y$ is $2b$) would store one code that can be used twice.
    const twice = await call('POST', `/v1/accounts/${name}/recovery-codes/import`, { token: staff.integrator!.token, body: { hashes: [hash, hash.replace('$2b$', '$2y$')] } });
    expect(twice.status).toBe(400);
    expect(twice.body.errors).toEqual([{ field: 'hashes.1', message: 'hashes.1 repeats hashes.0: each code is imported once' }]);
    // A cost bcrypt does not take never matches, and a very high one holds the server on every attempt.
    const costly = await call('POST', `/v1/accounts/${name}/recovery-codes/import`, {
      token: staff.integrator!.token,
      body: { hashes: [hash.replace('$04$', '$16$'), hash.replace('$04$', '$03$'), hash.replace('$04$', '$17$'), hash.replace('$04$', '$32$')] },
    });
    expect(costly.status).toBe(400);
    expect(costly.body.errors).toEqual([
      { field: 'hashes.1', message: 'hashes.1 has cost 3, which bcrypt does not take: its code could never be used; imported hashes must have a cost from 4 to 16' },
      { field: 'hashes.2', message: 'hashes.2 has cost 17, at which each code attempt would hold the server too long; imported hashes must have a cost from 4 to 16' },
      { field: 'hashes.3', message: 'hashes.3 has cost 32, which bcrypt does not take: its code could never be used; imported hashes must have a cost from 4 to 16' },
    ]);
    const none = await call('POST', `/v1/accounts/${name}/recovery-codes/import`, { token: staff.integrator!.token, body: { hashes: [] } });
    expect(none.body.errors).toEqual([{ field: 'hashes', message: 'hashes must list at least one hash' }]);
    expect((await call('GET', `/v1/accounts/${name}`, { token: staff.integrator!.token })).body.recoveryCodesRemaining).toBe(8); // the generated set stands
    const imported = await call('POST', `/v1/accounts/${name}/recovery-codes/import`, { token: staff.integrator!.token, body: { hashes: [hash.replace('$2b$', '$2y$')] } });
    expect(imported.status).toBe(201);
    const submitted = await call('POST', '/v1/tickets', { body: request(name, { recoveryCode: '0a1b2c3d4e5f6071' }) });
    expect(submitted.body.state).toBe('verified');

    // A platform's codes in its own form (not 16 hex characters) are taken as the requester types them.
    const own = unique('platform-form');
    await account(own);
    const platformHashes = await Promise.all(['k7q2m-x9p4z', 'b3n8t-w6r1y'].map((code) => bcrypt.hash(code, 4)));
    expect((await call('POST', `/v1/accounts/${own}/recovery-codes/import`, { token: staff.integrator!.token, body: { hashes: platformHashes } })).status).toBe(201);
    const wrong = await call('POST', '/v1/tickets', { body: request(own, { recoveryCode: 'k7q2m-x9p4y' }) });
    expect([wrong.status, wrong.body.state]).toEqual([201, 'submitted']);
    const right = await call('POST', '/v1/tickets', { body: request(own, { recoveryCode: ' b3n8t-w6r1y ' }) });
    expect(right.body.state).toBe('verified');
    expect((await call('GET', `/v1/accounts/${own}?minPosition=${right.body.position}`, { token: staff.agent!.token })).body.recoveryCodesRemaining).toBe(1);
  });

  it('an auditor records the log digest, and later checks the log through that position against it', async () => {
    const auditor = staff.auditor!.token;
    const anchor = await call('GET', '/v1/audit/verify', { token: auditor });
    expect(anchor.status).toBe(200);
    expect(anchor.body).toEqual({ ok: true, streams: expect.any(Number), events: expect.any(Number), position: expect.stringMatching(/^\d+$/), digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await call('POST', '/v1/tickets', { body: request(unique('later')) });
    const now = await call('GET', '/v1/audit/verify', { token: auditor });
    expect(BigInt(now.body.position)).toBeGreaterThan(BigInt(anchor.body.position));
    expect(now.body.digest).not.toBe(anchor.body.digest);
    const then = await call('GET', `/v1/audit/verify?through=${anchor.body.position}`, { token: auditor });
    expect(then.body).toEqual(anchor.body);
    const bad = await call('GET', '/v1/audit/verify?through=yesterday', { token: auditor });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'through', message: 'through must be a position: a decimal number' }]);
  });
});
