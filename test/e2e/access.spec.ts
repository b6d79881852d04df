import { ADMIN_TOKEN, client, createStaff, startServer, type Call, type RunningServer } from '../support/server';

/**
 * One table: every route of the contract against every kind of caller. `ok` means the caller gets
 * past authentication and authorisation (whatever the command then answers).
 */
type Caller = 'none' | 'unknown' | 'unknownRequester' | 'admin' | 'supervisor' | 'agent' | 'auditor' | 'integrator' | 'requester' | 'otherRequester';
const CALLERS: Caller[] = ['none', 'unknown', 'unknownRequester', 'admin', 'supervisor', 'agent', 'auditor', 'integrator', 'requester', 'otherRequester'];
type Outcome = 'ok' | 401 | 403 | 404;

interface Route {
  method: string;
  path: string;
  body?: unknown;
  allowed: Caller[];
}

const STAFF_WORK: Caller[] = ['admin', 'supervisor', 'agent'];
const READERS: Caller[] = ['admin', 'supervisor', 'agent', 'auditor'];
const STAFF: Caller[] = [...READERS, 'integrator'];

const ROUTES: Route[] = [
  { method: 'POST', path: '/v1/tickets', body: { username: 'probe', contactEmail: 'p@example.org', reason: 'other-bad', explanation: 'x' }, allowed: CALLERS },
  { method: 'GET', path: '/v1/tickets?username=probe', allowed: READERS },
  { method: 'GET', path: '/v1/tickets/{id}', allowed: [...READERS, 'requester'] },
  { method: 'POST', path: '/v1/tickets/{id}/replies', body: { message: 'hello' }, allowed: ['requester'] },
  { method: 'POST', path: '/v1/tickets/{id}/assign', allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/release', allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/request-info', body: { question: 'q?' }, allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/verify', body: { evidence: ['probe'], note: 'probe' }, allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/reject', body: { reason: 'other', note: 'probe' }, allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/notes', body: { body: 'n' }, allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/reject-open', body: { username: 'nobody-filed', reason: 'suspected-fraud', note: 'n' }, allowed: ['admin', 'supervisor'] },
  { method: 'GET', path: '/v1/tickets/{id}/history', allowed: READERS },
  { method: 'GET', path: '/v1/tickets/{id}?at=2026-01-01T00:00:00Z', allowed: READERS },
  { method: 'GET', path: '/v1/queues/submitted', allowed: READERS },
  { method: 'GET', path: '/v1/queues', allowed: READERS },
  // The overdue queue is empty here: nothing is claimed.
  { method: 'POST', path: '/v1/queues/overdue/claim-next', allowed: STAFF_WORK },
  { method: 'GET', path: '/v1/audit/verify', allowed: ['admin', 'supervisor', 'auditor'] },
  { method: 'PUT', path: '/v1/accounts/probe', body: { primaryEmail: 'p@example.org', emails: [], packages: [] }, allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/accounts', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/accounts/batch', body: { accounts: [{ username: 'probe', primaryEmail: 'p@example.org', emails: [], packages: [] }] }, allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/accounts/probe', allowed: [...READERS, 'integrator'] },
  { method: 'GET', path: '/v1/accounts/probe/history', allowed: [...READERS, 'integrator'] },
  { method: 'POST', path: '/v1/accounts/probe/recovery-codes', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/accounts/probe/recovery-codes/import', body: { hashes: ['x'] }, allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/accounts/probe/totp', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/accounts/probe/totp/import', body: { secret: 'RQQWJWK5D6XNNB3GTZQ7OCV2TGN7NKUI' }, allowed: ['admin', 'integrator'] },
  { method: 'DELETE', path: '/v1/accounts/never-fed', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/staff', body: { name: 'n', role: 'nope' }, allowed: ['admin'] },
  { method: 'GET', path: '/v1/staff', allowed: READERS },
  { method: 'GET', path: '/v1/staff/none', allowed: READERS },
  { method: 'GET', path: '/v1/staff/none/activity', allowed: ['admin', 'supervisor', 'auditor'] },
  { method: 'GET', path: '/v1/staff/none/history', allowed: ['admin', 'supervisor', 'auditor'] },
  { method: 'POST', path: '/v1/staff/none/token', allowed: ['admin'] },
  { method: 'DELETE', path: '/v1/staff/none', allowed: ['admin'] },
  { method: 'POST', path: '/v1/staff/none/role', body: { role: 'agent' }, allowed: ['admin'] },
  { method: 'POST', path: '/v1/staff/none/name', body: { name: 'n' }, allowed: ['admin'] },
  { method: 'GET', path: '/v1/events?types=nope', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/webhooks', body: { url: 'ftp://nope' }, allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/webhooks', allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/webhooks/none/deliveries', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/webhooks/none/secret', body: { previousSecretValidFor: 'soon' }, allowed: ['admin', 'integrator'] },
  { method: 'DELETE', path: '/v1/webhooks/none', allowed: ['admin', 'integrator'] },
  { method: 'PUT', path: '/v1/webhooks/none', body: { url: 'ftp://nope' }, allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/webhooks/none', allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/webhooks/none/history', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/webhooks/none/redeliver', body: { position: '1' }, allowed: ['admin', 'integrator'] },
  { method: 'DELETE', path: '/v1/webhooks/none/held/none', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/webhooks/none/ping', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/webhooks/none/enable', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/webhooks/none/disable', allowed: ['admin', 'integrator'] },
  // Routes with no rule are open to every caller, with or without a token.
  { method: 'GET', path: '/health', allowed: CALLERS },
  { method: 'GET', path: '/docs/openapi.json', allowed: CALLERS },
  // Last: it closes the ticket (a later command on it is refused, 409, which is no matter here).
  { method: 'POST', path: '/v1/tickets/{id}/withdraw', body: { message: 'got back in' }, allowed: ['requester'] },
  // On a ticket of its own, whose requester's token it replaces: to every requester here it is another's.
  { method: 'POST', path: '/v1/tickets/{spare}/access-token', allowed: ['admin', 'integrator'] },
];

let server: RunningServer;
let call: Call;
const tokens: Partial<Record<Caller, string>> = { unknown: 'rcl_' + 'x'.repeat(43), unknownRequester: 'rqt_' + 'x'.repeat(43), admin: ADMIN_TOKEN };
let ticketId: string;
let spareTicketId: string;

beforeAll(async () => {
  server = await startServer();
  call = client(server.url);
  for (const role of ['supervisor', 'agent', 'auditor', 'integrator'] as const) {
    tokens[role] = await createStaff(call, role);
  }
  await call('PUT', '/v1/accounts/probe', { token: ADMIN_TOKEN, body: { primaryEmail: 'p@example.org', emails: [], packages: [] } });
  const mine = (await call('POST', '/v1/tickets', { body: { username: 'probe', contactEmail: 'p@example.org', reason: 'lost-email', explanation: 'x' } })).body;
  const other = (await call('POST', '/v1/tickets', { body: { username: 'other', contactEmail: 'o@example.org', reason: 'lost-email', explanation: 'y' } })).body;
  ticketId = mine.ticketId;
  spareTicketId = (await call('POST', '/v1/tickets', { body: { username: 'spare', contactEmail: 's@example.org', reason: 'lost-email', explanation: 'z' } })).body.ticketId;
  tokens.requester = mine.accessToken;
  tokens.otherRequester = other.accessToken;
}, 60000);
afterAll(async () => {
  await server.stop();
  server.cleanUp();
});

function expected(route: Route, caller: Caller): Outcome {
  if (route.allowed.includes(caller)) return 'ok';
  if (caller === 'none' || caller === 'unknown' || caller === 'unknownRequester') return 401;
  // Only a route on another ticket hides it; a route of no ticket has nothing to hide.
  if (caller === 'otherRequester' && route.path.includes('{id}')) return 404;
  if ((caller === 'requester' || caller === 'otherRequester') && route.path.includes('{spare}')) return 404;
  return 403;
}

describe('access control: every route against every caller', () => {
  const cases = ROUTES.flatMap((route) => CALLERS.map((caller) => [`${route.method} ${route.path}`, caller, route] as const));
  it.each(cases)('%s as %s', async (_name, caller, route) => {
    const answer = await call(route.method, route.path.replace('{id}', ticketId).replace('{spare}', spareTicketId), { token: tokens[caller], body: route.body });
    const outcome = expected(route, caller);
    if (outcome === 'ok') {
      expect([401, 403]).not.toContain(answer.status);
      // Allowed callers may still meet a 404 where the thing asked about does not exist.
      if (answer.status === 404) expect(['/v1/tickets/{id}?at=2026-01-01T00:00:00Z', '/v1/webhooks/none/deliveries', '/v1/webhooks/none/history', '/v1/webhooks/none', '/v1/webhooks/none/redeliver', '/v1/webhooks/none/held/none', '/v1/webhooks/none/ping', '/v1/webhooks/none/enable', '/v1/webhooks/none/disable', '/v1/staff/none/token', '/v1/staff/none', '/v1/staff/none/role', '/v1/staff/none/name', '/v1/staff/none/history', '/v1/accounts/never-fed']).toContain(route.path);
    } else {
      expect(answer.status).toBe(outcome);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: outcome, title: expect.any(String), detail: expect.any(String) });
      // A staff member is told which of their roles falls short.
      if (outcome === 403 && STAFF.includes(caller)) expect(answer.body.detail).toBe(`The ${caller} role may not do this.`);
    }
    if (outcome === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('the Authorization header', () => {
  it('takes the Bearer scheme in any case and after more than one space, as RFC 9110 has it, and no other scheme', async () => {
    const asked = (authorization: string) => call('GET', '/v1/queues/submitted', { headers: { authorization } });
    for (const scheme of ['Bearer ', 'bearer ', 'BEARER ', 'Bearer   ']) expect([scheme, (await asked(`${scheme}${tokens.agent}`)).status]).toEqual([scheme, 200]);
    // Shorter or longer than any token issued (16 to 256 characters) is not taken for one either.
    const [tooShort, tooLong] = [`Bearer ${'a'.repeat(15)}`, `Bearer ${'a'.repeat(257)}`];
    for (const refused of [`Basic ${tokens.agent}`, `Bearer${tokens.agent}`, `Bearer ${tokens.agent} extra`, tokens.agent!, tooShort, tooLong]) {
      const answer = await asked(refused);
      expect([answer.status, answer.body.detail]).toEqual([401, 'The Authorization header is not a Bearer token.']);
    }
  });
});

describe('staff tokens: replaced, staff given another role, and staff deactivated', () => {
  it('lists staff without secrets; a replaced token stops working at once, the new one works', async () => {
    const created = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Rotating', role: 'agent' } })).body;
    expect(created).toEqual({ id: expect.any(String), name: 'Rotating', role: 'agent', active: true, revision: '0', token: expect.stringMatching(/^rcl_/), position: expect.any(String) });
    expect((await call('GET', '/v1/queues/submitted', { token: created.token })).status).toBe(200);
    const listed = await call('GET', '/v1/staff', { token: ADMIN_TOKEN });
    expect(listed.status).toBe(200);
    expect(listed.body.staff).toContainEqual({ id: created.id, name: 'Rotating', role: 'agent', active: true, createdAt: expect.any(String), revision: '0' });
    expect(JSON.stringify(listed.body)).not.toMatch(/rcl_|token|hash/i);
    const createdTimes = listed.body.staff.map((member: { createdAt: string }) => member.createdAt);
    expect(createdTimes).toEqual([...createdTimes].sort()); // oldest first
    // One member alone, as the list shows them, to whoever may read the list.
    const one = await call('GET', `/v1/staff/${created.id}`, { token: tokens.agent });
    expect([one.status, one.body]).toEqual([200, listed.body.staff.find((member: { id: string }) => member.id === created.id)]);
    const nobody = await call('GET', '/v1/staff/00000000-0000-0000-0000-000000000000', { token: tokens.agent });
    expect([nobody.status, nobody.body.detail]).toEqual([404, 'The staff member was not found.']);
    expect((await call('GET', '/v1/staff/not%20an%20id', { token: tokens.agent })).body.errors).toEqual([{ field: 'id', message: 'id must be a staff id' }]);

    const replaced = await call('POST', `/v1/staff/${created.id}/token`, { token: ADMIN_TOKEN });
    expect(replaced.status).toBe(201);
    expect(replaced.body).toEqual({ id: created.id, name: 'Rotating', role: 'agent', active: true, revision: '1', token: expect.stringMatching(/^rcl_/), position: expect.any(String) });
    expect(replaced.body.token).not.toBe(created.token);
    expect((await call('GET', '/v1/queues/submitted', { token: created.token })).status).toBe(401);
    expect((await call('GET', '/v1/queues/submitted', { token: replaced.body.token })).status).toBe(200);
  });

  it('keeps one active admin: the last cannot be deactivated or given another role, also when two are deactivated at once', async () => {
    const admin = async (name: string) => (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name, role: 'admin' } })).body as { id: string; token: string };
    const deactivate = (id: string) => call('DELETE', `/v1/staff/${id}`, { token: ADMIN_TOKEN });
    const admins = [];
    for (let i = 1; i <= 6; i++) admins.push(await admin(`Admin ${i}`));
    const answers = await Promise.all(admins.map((member) => deactivate(member.id)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 200, 200, 409]);
    const refused = answers.findIndex((answer) => answer.status === 409);
    expect(answers[refused]!.body).toMatchObject({ type: expect.stringContaining('last-admin'), detail: expect.stringContaining('last active admin') });
    const activeAdmins = async () =>
      (await call('GET', '/v1/staff', { token: ADMIN_TOKEN })).body.staff.filter((member: { role: string; active: boolean }) => member.role === 'admin' && member.active);
    const [last] = await activeAdmins();
    expect(last.id).toBe(admins[refused]!.id);

    // With another admin made first, the last one can go.
    const third = await admin('Third admin');
    expect((await deactivate(last.id)).status).toBe(200);
    expect((await activeAdmins()).map((member: { id: string }) => member.id)).toEqual([third.id]);
    expect((await deactivate(third.id)).status).toBe(409);

    // Nor can the last be given another role; one made an admin by a role change counts, and so
    // does one made an admin again.
    const role = (id: string, to: string) => call('POST', `/v1/staff/${id}/role`, { token: ADMIN_TOKEN, body: { role: to } });
    const demoted = await role(third.id, 'agent');
    expect([demoted.status, demoted.body.type]).toEqual([409, expect.stringContaining('last-admin')]);
    const next = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Next admin', role: 'supervisor' } })).body;
    expect((await role(next.id, 'admin')).status).toBe(200);
    expect((await role(third.id, 'supervisor')).status).toBe(200);
    expect((await role(next.id, 'agent')).status).toBe(409);
    expect((await role(third.id, 'admin')).status).toBe(200);
    expect((await role(next.id, 'agent')).status).toBe(200);
    expect((await role(third.id, 'auditor')).status).toBe(409);
    expect((await deactivate(third.id)).status).toBe(409);
    expect((await activeAdmins()).map((member: { id: string }) => member.id)).toEqual([third.id]);
  });

  it('deactivates a staff member: their token stops at once, their open tickets go back to the queue, nothing is assigned to them, and it cannot be undone by a new token', async () => {
    const created = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Leaving', role: 'agent' } })).body;
    const submit = async () => (await call('POST', '/v1/tickets', { body: { username: 'leaving', contactEmail: 'l@example.org', reason: 'lost-email', explanation: 'x' } })).body.ticketId as string;
    const [ticket, decided] = [await submit(), await submit()];
    for (const id of [ticket, decided]) expect((await call('POST', `/v1/tickets/${id}/assign`, { token: created.token })).status).toBe(200);
    const rejected = await call('POST', `/v1/tickets/${decided}/reject`, { token: created.token, body: { reason: 'other', note: 'done' } });
    expect(rejected.status).toBe(200);
    // A team lead sees one person's open tickets.
    const theirs = await call('GET', `/v1/queues/mine?assignee=${created.id}&minPosition=${rejected.body.position}`, { token: ADMIN_TOKEN });
    expect(theirs.body.items.map((item: { ticketId: string }) => item.ticketId)).toEqual([ticket]);

    const deactivated = await call('DELETE', `/v1/staff/${created.id}`, { token: ADMIN_TOKEN });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toEqual({ id: created.id, name: 'Leaving', role: 'agent', active: false, revision: '1', position: expect.any(String) });
    const refused = await call('GET', '/v1/queues/submitted', { token: created.token });
    expect(refused.status).toBe(401);
    // Their open ticket is no one's again, and the history says who had it and who gave it back;
    // the closed one keeps its record of who decided it.
    const released = await call('GET', `/v1/tickets/${ticket}`, { token: tokens.agent });
    expect(released.body.assignee).toBeUndefined();
    const history = (await call('GET', `/v1/tickets/${ticket}/history`, { token: tokens.agent })).body.events;
    expect(history.at(-1)).toMatchObject({ type: 'TicketReleased', actor: { kind: 'staff' }, data: { previousAssignee: created.id, because: 'assignee-deactivated' } });
    expect(BigInt(history.at(-1).position)).toBeLessThanOrEqual(BigInt(deactivated.body.position));
    expect((await call('GET', `/v1/tickets/${decided}`, { token: tokens.agent })).body).toMatchObject({ state: 'rejected', assignee: created.id });
    const queued = (await call('GET', '/v1/queues/submitted', { token: tokens.agent })).body.items.find((item: { ticketId: string }) => item.ticketId === ticket);
    expect(queued.assignee).toBeNull();
    expect((await call('GET', `/v1/queues/mine?assignee=${created.id}`, { token: ADMIN_TOKEN })).body.items).toEqual([]);
    const notMine = await call('GET', `/v1/queues/submitted?assignee=${created.id}`, { token: ADMIN_TOKEN });
    expect(notMine.status).toBe(400);
    expect(notMine.body.errors).toEqual([{ field: 'assignee', message: 'assignee is taken only by the mine queue' }]);
    const badId = await call('GET', '/v1/queues/mine?assignee=not%20an%20id', { token: ADMIN_TOKEN });
    expect(badId.status).toBe(400);
    expect(badId.body.errors).toEqual([{ field: 'assignee', message: 'assignee must be a staff id' }]);
    const gone = { id: created.id, name: 'Leaving', role: 'agent', active: false, createdAt: expect.any(String), deactivatedAt: expect.any(String), revision: '1' };
    expect((await call('GET', '/v1/staff', { token: ADMIN_TOKEN })).body.staff).toContainEqual(gone);
    expect((await call('GET', `/v1/staff/${created.id}`, { token: ADMIN_TOKEN })).body).toEqual(gone);

    const head = async () => (await call('GET', '/health')).body.head as string;
    const before = await head();
    const assign = await call('POST', `/v1/tickets/${ticket}/assign`, { token: ADMIN_TOKEN, body: { assignee: created.id } });
    expect(assign.status).toBe(422);
    expect(assign.body.errors).toEqual([{ field: 'assignee', message: 'assignee is deactivated' }]);
    const newToken = await call('POST', `/v1/staff/${created.id}/token`, { token: ADMIN_TOKEN });
    expect(newToken.status).toBe(409);
    expect(newToken.body.detail).toMatch(/deactivated/);
    // Deactivating again records nothing and answers the staff member as they are.
    const again = await call('DELETE', `/v1/staff/${created.id}`, { token: ADMIN_TOKEN });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...deactivated.body, position: expect.any(String) });
    expect(await head()).toBe(before);

    expect((await call('DELETE', '/v1/staff/00000000-0000-0000-0000-000000000000', { token: ADMIN_TOKEN })).status).toBe(404);
    const bad = await call('DELETE', '/v1/staff/not%20an%20id', { token: ADMIN_TOKEN });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'id', message: 'id must be a staff id' }]);
    expect(await head()).toBe(before);

    // It is claimed as any free ticket is.
    const claimed = await call('POST', `/v1/tickets/${ticket}/assign`, { token: tokens.agent });
    expect(claimed.status).toBe(200);
    const view = await call('GET', `/v1/tickets/${ticket}?minPosition=${claimed.body.position}`, { token: tokens.agent });
    expect(view.body.assignee).toEqual(expect.any(String));
    expect(view.body.assignee).not.toBe(created.id);
  });

  it("gives a staff member another role: their token opens what the new role may do at once, a role that works no tickets gives theirs back, and a deactivated member keeps theirs", async () => {
    const role = (id: string, to: string) => call('POST', `/v1/staff/${id}/role`, { token: ADMIN_TOKEN, body: { role: to } });
    const moving = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Moving', role: 'agent' } })).body;
    expect((await call('GET', '/v1/audit/verify', { token: moving.token })).status).toBe(403);
    const promoted = await role(moving.id, 'supervisor');
    expect([promoted.status, promoted.body]).toEqual([200, { id: moving.id, name: 'Moving', role: 'supervisor', active: true, revision: '1', position: expect.any(String) }]);
    // The same token, no new one: what it opens follows the role.
    expect((await call('GET', '/v1/audit/verify', { token: moving.token })).status).toBe(200);
    expect((await call('GET', `/v1/staff/${moving.id}`, { token: ADMIN_TOKEN })).body).toMatchObject({ role: 'supervisor', active: true });

    // Moved to auditing: their open ticket goes back to the queue, they read but no longer work tickets.
    const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: 'moving', contactEmail: 'm@example.org', reason: 'lost-email', explanation: 'x' } })).body;
    expect((await call('POST', `/v1/tickets/${ticketId}/assign`, { token: moving.token })).status).toBe(200);
    const audits = await role(moving.id, 'auditor');
    expect([audits.status, audits.body.role]).toEqual([200, 'auditor']);
    const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${audits.body.position}`, { token: moving.token });
    expect([view.status, view.body.assignee]).toEqual([200, undefined]);
    const history = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: moving.token })).body.events;
    expect(history.at(-1)).toMatchObject({ type: 'TicketReleased', data: { previousAssignee: moving.id, because: 'assignee-role-changed' } });
    expect((await call('POST', `/v1/tickets/${ticketId}/notes`, { token: moving.token, body: { body: 'n' } })).body.detail).toBe('The auditor role may not do this.');
    const assign = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: ADMIN_TOKEN, body: { assignee: moving.id } });
    expect([assign.status, assign.body.errors]).toEqual([422, [{ field: 'assignee', message: 'assignee must be the id of an agent, supervisor or admin' }]]);
    // Who changed it, from what to what, is in the staff member's history of the reviewers.
    const changes = (await call('GET', `/v1/staff/bootstrap-admin/activity?limit=200&minPosition=${audits.body.position}`, { token: tokens.auditor })).body.events
      .filter((entry: { type: string; about: { id: string } }) => entry.type === 'StaffRoleChanged' && entry.about.id === moving.id);
    expect(changes.map((entry: { data: unknown }) => entry.data)).toEqual([
      { staffId: moving.id, role: 'supervisor', previousRole: 'agent' },
      { staffId: moving.id, role: 'auditor', previousRole: 'supervisor' },
    ]);

    // A name changed (a typo, a new name): the id, the token and the record stay.
    const renamed = await call('POST', `/v1/staff/${moving.id}/name`, { token: ADMIN_TOKEN, body: { name: '  Moving Still  ' } });
    expect([renamed.status, renamed.body]).toEqual([200, { id: moving.id, name: 'Moving Still', role: 'auditor', active: true, revision: '3', position: expect.any(String) }]);
    expect((await call('GET', `/v1/staff/${moving.id}`, { token: moving.token })).body.name).toBe('Moving Still');
    const unnamed = await call('POST', `/v1/staff/${moving.id}/name`, { token: ADMIN_TOKEN, body: { name: ' ' } });
    expect([unnamed.status, unnamed.body.errors]).toEqual([400, [{ field: 'name', message: 'name must not be empty' }]]);

    // The role held records nothing; a bad role, an unknown or deactivated member change nothing.
    const head = async () => (await call('GET', '/health')).body.head as string;
    const before = await head();
    expect([(await role(moving.id, 'auditor')).status, await head()]).toEqual([200, before]);
    const bad = await role(moving.id, 'root');
    expect([bad.status, bad.body.errors]).toEqual([400, [{ field: 'role', message: 'role must be one of admin, supervisor, agent, auditor, integrator' }]]);
    expect((await role('00000000-0000-0000-0000-000000000000', 'agent')).status).toBe(404);
    expect((await call('DELETE', `/v1/staff/${moving.id}`, { token: ADMIN_TOKEN })).status).toBe(200);
    const after = await head();
    const gone = await role(moving.id, 'agent');
    expect([gone.status, gone.body.detail]).toEqual([409, expect.stringContaining('deactivated')]);
    expect((await call('POST', `/v1/staff/${moving.id}/name`, { token: ADMIN_TOKEN, body: { name: 'Gone' } })).status).toBe(409);
    expect(await head()).toBe(after);

    // The staff member's own record: which roles they held, when, and who gave them; never a token.
    const record = await call('GET', `/v1/staff/${moving.id}/history`, { token: tokens.auditor });
    expect(record.body.events.map((entry: { type: string; actor: { id: string }; data: unknown }) => [entry.type, entry.actor.id, entry.data])).toEqual([
      ['StaffCreated', 'bootstrap-admin', { staffId: moving.id, name: 'Moving', role: 'agent' }],
      ['StaffRoleChanged', 'bootstrap-admin', { staffId: moving.id, role: 'supervisor', previousRole: 'agent' }],
      ['StaffRoleChanged', 'bootstrap-admin', { staffId: moving.id, role: 'auditor', previousRole: 'supervisor' }],
      ['StaffRenamed', 'bootstrap-admin', { staffId: moving.id, name: 'Moving Still', previousName: 'Moving' }],
      ['StaffDeactivated', 'bootstrap-admin', { staffId: moving.id }],
    ]);
    expect(JSON.stringify(record.body)).not.toMatch(/tokenHash|rcl_/);
    const page = await call('GET', `/v1/staff/${moving.id}/history?limit=2`, { token: tokens.supervisor });
    expect([page.body.events.length, page.body.next]).toEqual([2, expect.any(String)]);
    expect((await call('GET', '/v1/staff/00000000-0000-0000-0000-000000000000/history', { token: tokens.auditor })).status).toBe(404);
    expect((await call('GET', `/v1/staff/${moving.id}/history`, { token: tokens.agent })).status).toBe(403);
  });

  it("takes If-Match of a staff member's revision: a change made on a member another admin changed since is refused (412) and records nothing, on the admin roster neither", async () => {
    const member = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Kept', role: 'admin' } })).body;
    expect(member.revision).toBe('0');
    const seen = await call('GET', `/v1/staff/${member.id}`, { token: ADMIN_TOKEN });
    expect([seen.body.revision, seen.headers.get('etag')]).toEqual(['0', '"0"']);
    // Another admin renames them meanwhile, with the revision they saw.
    const renamed = await call('POST', `/v1/staff/${member.id}/name`, { token: ADMIN_TOKEN, body: { name: 'Kept Still' }, headers: { 'if-match': '"0"' } });
    expect([renamed.status, renamed.body.revision]).toEqual([200, '1']);
    expect((await call('GET', `/v1/staff?minPosition=${renamed.body.position}`, { token: ADMIN_TOKEN })).body.staff).toContainEqual(expect.objectContaining({ id: member.id, revision: '1' }));

    const head = async () => (await call('GET', '/health')).body.head as string;
    const before = await head();
    const changes: Array<[string, string, object | undefined]> = [
      ['POST', `/v1/staff/${member.id}/name`, { name: 'Other' }],
      ['POST', `/v1/staff/${member.id}/role`, { role: 'agent' }],
      ['DELETE', `/v1/staff/${member.id}`, undefined],
      ['POST', `/v1/staff/${member.id}/token`, undefined],
    ];
    for (const [method, path, body] of changes) {
      const stale = await call(method, path, { token: ADMIN_TOKEN, body, headers: { 'if-match': '0' } });
      expect([path, stale.status, stale.body.detail]).toEqual([path, 412, 'If-Match 0 is stale: the staff member is at revision 1.']);
    }
    // Nothing recorded: the role change and the deactivation were refused before the roster counted the admin gone.
    expect(await head()).toBe(before);
    expect((await call('GET', '/v1/audit/verify', { token: member.token })).status).toBe(200);

    const demoted = await call('POST', `/v1/staff/${member.id}/role`, { token: ADMIN_TOKEN, body: { role: 'agent' }, headers: { 'if-match': '1' } });
    expect([demoted.status, demoted.body.role, demoted.body.revision]).toEqual([200, 'agent', '2']);
    const gone = await call('DELETE', `/v1/staff/${member.id}`, { token: ADMIN_TOKEN, headers: { 'if-match': '"2"' } });
    expect([gone.status, gone.body.active, gone.body.revision]).toEqual([200, false, '3']);
    // No member, no revision of theirs to be stale: 404.
    expect((await call('POST', '/v1/staff/00000000-0000-0000-0000-000000000000/name', { token: ADMIN_TOKEN, body: { name: 'x' }, headers: { 'if-match': '0' } })).status).toBe(404);
  });
});
