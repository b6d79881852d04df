import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ADMIN_TOKEN, client, createStaff, startServer, type Call, type RunningServer } from '../support/server';

/**
 * The server can die after a command is recorded and before its answer is kept for the
 * Idempotency-Key: the key is then claimed, with no answer. Turning kept answers back into bare
 * claims leaves the file as such a crash does; the retry with the same key must then answer
 * secrets that work, and another body with that key is still refused.
 */
describe('a retry whose first answer was lost (HTTP)', () => {
  let server: RunningServer;
  let call: Call;
  let integrator: string;
  beforeAll(async () => {
    server = await startServer({ RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true' });
    call = client(server.url);
    integrator = await createStaff(call, 'integrator');
  });
  afterAll(async () => {
    await server.stop();
    server.cleanUp();
  });

  const loseAnswers = () => {
    const file = new Database(join(server.dataDir, 'reclaim.sqlite'));
    expect(file.prepare("UPDATE idempotency_keys SET status = 0, body = '' WHERE status <> 0").run().changes).toBeGreaterThan(0);
    file.close();
  };
  /** Sends a POST, loses its answer, and sends it again with the same key and body. */
  const sentTwice = async (path: string, token: string | undefined, body?: unknown) => {
    const headers = { 'idempotency-key': randomUUID() };
    const first = await call('POST', path, { token, body, headers });
    expect(first.status).toBe(201);
    loseAnswers();
    const retried = await call('POST', path, { token, body, headers });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    return [first.body, retried.body];
  };
  const status = async (path: string, token: string) => (await call('GET', path, { token })).status;

  it('a new staff member gets a token that works; the lost one does not', async () => {
    const [first, retried] = await sentTwice('/v1/staff', ADMIN_TOKEN, { name: 'Ada', role: 'agent' });
    expect(retried.id).toBe(first.id);
    // (A token not known yet waits for the read models, so the new one works at once.)
    expect(await status('/v1/queues/submitted', retried.token)).toBe(200);
    expect(await status('/v1/queues/submitted', first.token)).toBe(401);
    const staff = (await call('GET', '/v1/staff', { token: ADMIN_TOKEN })).body.staff as Array<{ name: string }>;
    expect(staff.filter((member) => member.name === 'Ada')).toHaveLength(1);
  });

  it('a requester gets an access token that opens the ticket; the lost one does not', async () => {
    const body = { username: 'zoe', contactEmail: 'zoe@example.org', reason: 'lost-email', explanation: 'I lost my phone.' };
    const [first, retried] = await sentTwice('/v1/tickets', undefined, body);
    expect(retried).toMatchObject({ ticketId: first.ticketId, ticketNumber: first.ticketNumber, state: 'submitted' });
    // The new token works at once (the server waits for its read model when a token does not match)...
    expect(await status(`/v1/tickets/${first.ticketId}`, retried.accessToken)).toBe(200);
    // ...and the lost one no longer does.
    expect(await status(`/v1/tickets/${first.ticketId}?minPosition=${retried.position}`, first.accessToken)).toBe(401);
    // The replacement is in the history, without the token's hash.
    const history = (await call('GET', `/v1/tickets/${first.ticketId}/history`, { token: ADMIN_TOKEN })).body.events as Array<{ type: string; data: object }>;
    expect(history.map((event) => event.type)).toEqual(['TicketSubmitted', 'RequesterTokenReplaced']);
    expect(history[1]!.data).toEqual({});
  });

  it('a requester token the platform asked for opens the ticket; the lost one does not', async () => {
    const filed = (await call('POST', '/v1/tickets', { body: { username: 'yan', contactEmail: 'yan@example.org', reason: 'lost-email', explanation: 'Lost my link.' } })).body;
    const [first, retried] = await sentTwice(`/v1/tickets/${filed.ticketId}/access-token`, integrator);
    expect(retried.ticketId).toBe(filed.ticketId);
    expect(await status(`/v1/tickets/${filed.ticketId}`, retried.accessToken)).toBe(200);
    expect(await status(`/v1/tickets/${filed.ticketId}`, first.accessToken)).toBe(401);
  });

  it('recovery codes that work, and the TOTP secret that was kept', async () => {
    await call('PUT', '/v1/accounts/amy', { token: integrator, body: { primaryEmail: 'amy@example.org', emails: [], packages: [] } });
    const [firstCodes, codes] = await sentTwice('/v1/accounts/amy/recovery-codes', integrator);
    expect(codes.codes).not.toEqual(firstCodes.codes);
    const [firstTotp, totp] = await sentTwice('/v1/accounts/amy/totp', integrator);
    expect(totp).toMatchObject({ secret: firstTotp.secret, otpauthUri: firstTotp.otpauthUri });

    const submit = async (recoveryCode: string) =>
      (await call('POST', '/v1/tickets', { body: { username: 'amy', contactEmail: 'amy@example.org', reason: 'lost-email', explanation: 'Lost it.', recoveryCode } })).body.state;
    expect(await submit(firstCodes.codes[0])).toBe('submitted');
    expect(await submit(codes.codes[0])).toBe('verified');
  });

  it('another body with the key is refused (422) and applies nothing; the same body answers', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: 'bob', contactEmail: 'bob@example.org', reason: 'lost-email', explanation: 'Lost it.' } })).body;
    const agent = await createStaff(call, 'agent', 'Noah');
    const headers = { 'idempotency-key': randomUUID() };
    const path = `/v1/tickets/${ticketId}/notes`;
    const first = await call('POST', path, { token: agent, body: { body: 'called them' }, headers });
    expect(first.status).toBe(200);
    loseAnswers();
    const other = await call('POST', path, { token: agent, body: { body: 'something else' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.errors[0].field).toBe('Idempotency-Key');
    const retried = await call('POST', path, { token: agent, body: { body: 'called them' }, headers });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ ticketId, revision: first.body.revision });
    const history = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent })).body.events as Array<{ type: string; data: { body?: string } }>;
    expect(history.filter((event) => event.type === 'NoteAdded').map((event) => event.data.body)).toEqual(['called them']);
  });

  it('a webhook shows the secret it keeps', async () => {
    const [first, retried] = await sentTwice('/v1/webhooks', integrator, { url: 'http://127.0.0.1:9/hook' });
    expect(retried).toMatchObject({ id: first.id, secret: first.secret });
    const hooks = (await call('GET', '/v1/webhooks', { token: integrator })).body.webhooks as Array<{ id: string }>;
    expect(hooks.filter((hook) => hook.id === first.id)).toHaveLength(1);
    // A new secret likewise, until a later one replaces it.
    const headers = { 'idempotency-key': randomUUID() };
    const rotated = await call('POST', `/v1/webhooks/${first.id}/secret`, { token: integrator, headers });
    loseAnswers();
    const again = await call('POST', `/v1/webhooks/${first.id}/secret`, { token: integrator, headers });
    expect([again.status, again.body]).toEqual([201, rotated.body]);
    await call('POST', `/v1/webhooks/${first.id}/secret`, { token: integrator });
    loseAnswers();
    const replaced = await call('POST', `/v1/webhooks/${first.id}/secret`, { token: integrator, headers });
    expect([replaced.status, replaced.body.type]).toEqual([409, 'https://reclaim.dev/problems/secret-replaced']);
  });

  it('a claim of the next ticket gets the ticket the first try claimed, not another', async () => {
    const agent = await createStaff(call, 'agent', 'Claimer');
    // A reason no other test here files for: the queue holds these two alone.
    const file = async (username: string) =>
      (await call('POST', '/v1/tickets', { body: { username, contactEmail: 'c@example.org', reason: 'username-change', explanation: 'x' } })).body as { ticketId: string; position: string };
    const filed = [await file('next-1'), await file('next-2')];
    // Once the read models hold both, so that the claim finds them.
    await call('GET', `/v1/queues/submitted?minPosition=${filed[1]!.position}`, { token: agent });
    const claimNext = () => call('POST', '/v1/queues/submitted/claim-next', { token: agent, body: { reason: 'username-change' }, headers });
    const headers = { 'idempotency-key': randomUUID() };
    const first = await claimNext();
    expect([first.status, first.body.ticketId]).toEqual([200, filed[0]!.ticketId]);
    loseAnswers();
    const retried = await claimNext();
    expect([retried.status, retried.body.ticketId]).toEqual([200, filed[0]!.ticketId]);
    const second = await call('GET', `/v1/tickets/${filed[1]!.ticketId}?minPosition=${retried.body.position}`, { token: agent });
    expect(second.body.assignee).toBeUndefined();
  });
});
