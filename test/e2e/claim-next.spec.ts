import { ADMIN_TOKEN, client, createStaff, startServer, type Call, type RunningServer } from '../support/server';

// A server of its own: its queues hold only the tickets these tests file.
let server: RunningServer;
let call: Call;
let agent: string;
let colleague: string;

beforeAll(async () => {
  server = await startServer();
  call = client(server.url);
  [agent, colleague] = [await createStaff(call, 'agent'), await createStaff(call, 'agent')];
}, 60000);
afterAll(async () => {
  await server.stop();
  server.cleanUp();
});

const file = async (username: string, reason = 'lost-email') =>
  (await call('POST', '/v1/tickets', { body: { username, contactEmail: `${username}@example.org`, reason, explanation: 'I lost my phone.' } })).body as { ticketId: string; position: string };
const claimNext = (token: string, queue = 'submitted', headers: Record<string, string> = {}, body?: unknown) => call('POST', `/v1/queues/${queue}/claim-next`, { token, headers, body });
/** Who holds the ticket, read once the read models hold `position`. */
const holder = async (ticketId: string, position = '0') => (await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: ADMIN_TOKEN })).body.assignee;

describe('claiming the next ticket of a queue', () => {
  it('gives each caller the oldest ticket waiting that no one holds, passing over those held, the caller\'s own too, and those waiting for their requester, and 204 once none waits', async () => {
    expect((await claimNext(agent)).status).toBe(204);
    const [first, second, asked, third] = [await file('ann'), await file('bob'), await file('cat'), await file('dan')];
    await call('POST', `/v1/tickets/${asked.ticketId}/request-info`, { token: colleague, body: { question: 'Which phone?' } });
    const held = await call('POST', `/v1/tickets/${first.ticketId}/assign`, { token: colleague });
    await holder(first.ticketId, held.body.position);
    const theirs = await claimNext(colleague);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toMatchObject({ ticketId: second.ticketId, state: 'submitted' });
    expect(await holder(second.ticketId, theirs.body.position)).toBeDefined();
    expect((await claimNext(agent)).body).toMatchObject({ ticketId: third.ticketId });
    expect((await claimNext(agent)).status).toBe(204);
    expect(await holder(asked.ticketId)).toBeUndefined();
  });

  it('gives two staff asking at the same moment a ticket each, never the same one', async () => {
    const filed = [await file('eve'), await file('fay')];
    const [one, two] = await Promise.all([claimNext(agent), claimNext(colleague)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect([one.body.ticketId, two.body.ticketId].sort()).toEqual(filed.map((t) => t.ticketId).sort());
  });

  it('answers a retry with the same Idempotency-Key with the ticket it claimed, not another', async () => {
    const filed = [await file('gus'), await file('hal')];
    const first = await claimNext(agent, 'submitted', { 'idempotency-key': 'claim-next-1' });
    const again = await claimNext(agent, 'submitted', { 'idempotency-key': 'claim-next-1' });
    expect(first.body.ticketId).toBe(filed[0]!.ticketId);
    expect(again.body).toEqual(first.body);
    expect(await holder(filed[1]!.ticketId, first.body.position)).toBeUndefined();
  });

  it('takes only the queues whose tickets wait for staff, and refuses the bootstrap admin, who holds no tickets', async () => {
    const refused = await claimNext(agent, 'verified');
    expect([refused.status, refused.body.errors]).toEqual([400, [{ field: 'queue', message: 'queue must be one of submitted, unclaimed, overdue, high-priority' }]]);
    expect((await claimNext(agent, 'high-priority')).status).toBe(204);
    // Nothing waited (once the one left by the test before is taken): a retry with the same key
    // is told so again, as it was, though a ticket waits by then.
    expect((await claimNext(agent, 'unclaimed')).status).toBe(200);
    const nothing = await claimNext(agent, 'unclaimed', { 'idempotency-key': 'claim-next-2' });
    await file('ivy');
    const replayed = await claimNext(agent, 'unclaimed', { 'idempotency-key': 'claim-next-2' });
    expect([nothing.status, replayed.status, replayed.headers.get('idempotent-replayed')]).toEqual([204, 204, 'true']);
    expect((await claimNext(agent, 'unclaimed')).status).toBe(200);
    expect((await claimNext(ADMIN_TOKEN)).status).toBe(422);
  });

  it('lets a team that works one reason list and claim only its tickets', async () => {
    // What the tests before left waiting is taken first.
    while ((await claimNext(colleague, 'unclaimed')).status === 200) continue;
    const [email, factor, another] = [await file('jay'), await file('kim', 'lost-2fa'), await file('lou', 'lost-2fa')];
    const listed = await call('GET', `/v1/queues/unclaimed?reason=lost-2fa&minPosition=${another.position}`, { token: agent });
    expect(listed.body.items.map((item: { ticketId: string }) => item.ticketId)).toEqual([factor.ticketId, another.ticketId]);
    expect((await claimNext(agent, 'unclaimed', {}, { reason: 'lost-2fa' })).body).toMatchObject({ ticketId: factor.ticketId });
    expect((await claimNext(agent, 'submitted', {}, { reason: 'username-change' })).status).toBe(204);
    expect((await claimNext(agent, 'unclaimed')).body).toMatchObject({ ticketId: email.ticketId });
    const refused = await call('GET', '/v1/queues/submitted?reason=lost', { token: agent });
    expect([refused.status, refused.body.errors]).toEqual([400, [{ field: 'reason', message: 'reason must be one of lost-email, forgotten-password, account-compromise, username-change, lost-2fa' }]]);
    expect((await claimNext(agent, 'unclaimed', {}, { reason: 'lost' })).body.errors).toEqual([{ field: 'reason', message: 'reason must be one of lost-email, forgotten-password, account-compromise, username-change, lost-2fa' }]);
  });
});
