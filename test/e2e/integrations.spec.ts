import { CloudEvent } from 'cloudevents';
import { EventSource } from 'eventsource';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { defaultWebhookSettings, MOST_HELD_TICKETS, MOST_WEBHOOKS, PUBLIC_EVENT_TYPES } from '@reclaim/integrations';
import { settlesWithin } from '@reclaim/recovery/testing';
import { undocumentedEvent } from '../support/documented-answers';
import { signedBy } from '../support/webhook-signature';
import { ADMIN_TOKEN, client, createStaff, startServer, waitFor, withServer, type Call, type RunningServer } from '../support/server';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';
/** Deliveries a subscription has under way at once, as RECLAIM_WEBHOOK_CONCURRENCY is by default. */
const CONCURRENCY = defaultWebhookSettings.concurrency;
const FAST_RETRIES = { RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true', RECLAIM_WEBHOOK_RETRY_BASE: '50ms', RECLAIM_WEBHOOK_RETRY_MAX: '300ms' };

/** Events received, on the feed or by a webhook, that are not as docs/openapi.json says. */
const undocumentedEvents: string[] = [];
const checkDocumented = (event: { type?: unknown }) => {
  const problem = undocumentedEvent(event);
  if (problem) undocumentedEvents.push(problem);
};
afterEach(() => expect(undocumentedEvents.splice(0)).toEqual([]));

/** A webhook receiver of our own: it fails every other request, and records what it accepts. */
class Receiver {
  readonly accepted: Array<{ headers: Record<string, string>; body: string; path: string }> = [];
  requests = 0;
  failing: 'half' | 'all' | 'none' = 'half';
  /** The status of a failing answer. */
  failStatus = 500;
  /** When each request came (ms since the epoch). */
  readonly arrivals: number[] = [];
  /** How long each answer takes: a receiver that is slow but answers 2xx. */
  delayMs = 0;
  /** Events it refuses whatever `failing` says, as a receiver with a bug about some tickets does. */
  refuses: (event: { subject: string; data: Record<string, unknown> }) => boolean = () => false;
  /** The most requests it had under way at once, and the tickets of which it had two under way at once. */
  mostAtOnce = 0;
  readonly ticketsTwiceAtOnce = new Set<string>();
  private readonly underWay: string[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const event = JSON.parse(body);
        if (this.underWay.includes(event.subject)) this.ticketsTwiceAtOnce.add(event.subject);
        this.underWay.push(event.subject);
        this.mostAtOnce = Math.max(this.mostAtOnce, this.underWay.length);
        setTimeout(() => this.answer(event, body, request, response), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  private answer(event: { type: string; subject: string; data: Record<string, unknown> }, body: string, request: IncomingMessage, response: ServerResponse): void {
    this.requests++;
    this.arrivals.push(Date.now());
    checkDocumented(event);
    const fail = this.failing === 'all' || (this.failing === 'half' && this.requests % 2 === 1) || this.refuses(event);
    if (!fail) this.accepted.push({ headers: request.headers as Record<string, string>, body, path: request.url ?? '' });
    this.underWay.splice(this.underWay.indexOf(event.subject), 1);
    response.writeHead(fail ? this.failStatus : 204).end();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }
}

/** Runs `test` against a server of its own and a receiver, which starts failing as told; stops both after. */
async function withReceiver(failing: Receiver['failing'], env: Record<string, string>, test: (server: RunningServer, receiver: Receiver) => Promise<void>): Promise<void> {
  const receiver = new Receiver();
  receiver.failing = failing;
  await receiver.start();
  try {
    await withServer(env, (server) => test(server, receiver));
  } finally {
    await receiver.stop();
  }
}

async function story(call: Call, agent: string, name: string): Promise<string> {
  const { ticketId, accessToken } = (await call('POST', '/v1/tickets', { body: { username: name, contactEmail: `${name}@example.org`, reason: 'lost-email', explanation: 'x' } })).body;
  await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent });
  await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'SECRET-INTERNAL-NOTE' } });
  await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: agent, body: { question: 'Which package?' } });
  await call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'left-pad' } });
  await call('POST', `/v1/tickets/${ticketId}/verify`, { token: agent, body: { evidence: ['packages'], note: 'ok' } });
  return ticketId;
}

const EXPECTED_PER_TICKET = [
  'recovery.ticket.submitted.v1',
  'recovery.ticket.assigned.v1',
  'recovery.ticket.info-requested.v1',
  'recovery.ticket.info-provided.v1',
  'recovery.ticket.verified.v1',
];

describe('webhooks', () => {
  it('delivers every event, signed, in order per ticket, across failures and a crash of the server', async () => {
    const receiver = new Receiver();
    await receiver.start();
    let server = await startServer(FAST_RETRIES);
    try {
      let call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const integrator = await createStaff(call, 'integrator', 'Platform');
      await call('POST', '/v1/tickets', { body: { username: 'before', contactEmail: 'b@example.org', reason: 'lost-email', explanation: 'x' } });
      const created = await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url } });
      expect([created.status, created.headers.get('location')]).toEqual([201, `/v1/webhooks/${created.body.id}`]);
      expect(created.body.secret).toMatch(/^whsec_/);
      // Every public type is shown as null, never as the empty list a create refuses.
      expect(created.body.types).toBeNull();
      expect((await call('GET', `/v1/webhooks/${created.body.id}`, { token: integrator })).body.types).toBeNull();
      const tickets = [await story(call, agent, 'first'), await story(call, agent, 'second')];

      // Crash in the middle of deliveries, then carry on.
      await waitFor(() => receiver.accepted.length >= 2);
      await server.stop('SIGKILL');
      server = await startServer(FAST_RETRIES, server.dataDir);
      call = client(server.url);
      tickets.push(await story(call, agent, 'third'));

      const verifier = new Webhook(created.body.secret);
      const delivered = () => receiver.accepted.map(({ headers, body }) => verifier.verify(body, headers) as CloudEvent & { subject: string; type: string; id: string });
      await waitFor(() => new Set(delivered().map((e) => e.id)).size >= tickets.length * EXPECTED_PER_TICKET.length, 30000);
      const events = delivered();
      for (const event of events) expect(() => new CloudEvent(event as never)).not.toThrow();
      expect(events.some((e) => JSON.stringify(e).includes('SECRET-INTERNAL-NOTE'))).toBe(false);
      expect(events.some((e) => JSON.stringify(e.data ?? {}).includes('before@'))).toBe(false); // recorded before the subscription
      for (const ticketId of tickets) {
        const firstSeen: string[] = [];
        for (const event of events.filter((e) => e.subject === ticketId)) if (!firstSeen.includes(event.id)) firstSeen.push(event.id);
        const types = firstSeen.map((id) => events.find((e) => e.id === id)!.type);
        expect(types).toEqual(EXPECTED_PER_TICKET);
      }
      const verified = events.find((e) => e.type === 'recovery.ticket.verified.v1' && e.subject === tickets[0])!;
      expect(verified.data).toMatchObject({ username: 'first', contactEmail: 'first@example.org' });
      const log = await call('GET', `/v1/webhooks/${created.body.id}/deliveries?limit=500`, { token: integrator });
      // Unasked, the latest 100 attempts.
      const unasked = await call('GET', `/v1/webhooks/${created.body.id}/deliveries`, { token: integrator });
      expect(log.body.deliveries.length).toBeGreaterThan(10);
      expect(unasked.body.deliveries).toEqual(log.body.deliveries.slice(0, 100));
      expect(log.body.deliveries.some((d: { statusCode: number; error: string }) => d.statusCode === 500 && d.error === 'HTTP 500')).toBe(true);
      expect(log.body.deliveries.some((d: { statusCode: number }) => d.statusCode === 204)).toBe(true);
      // Its progress is past every event its receiver took.
      const lastTaken = Math.max(...log.body.deliveries.filter((d: { statusCode: number }) => d.statusCode === 204).map((d: { position: string }) => Number(d.position)));
      await waitFor(async () => Number((await call('GET', `/v1/webhooks/${created.body.id}`, { token: integrator })).body.deliveredUpTo) >= lastTaken);
    } finally {
      await server.stop();
      server.cleanUp();
      await receiver.stop();
    }
  }, 90000);

  it("holds back a ticket whose event its receiver keeps refusing, sends the other tickets' events meanwhile, and then the held ones in order", () =>
    withReceiver('none', FAST_RETRIES, async (server, receiver) => {
      const call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url } })).body;
      // The receiver has a bug about one user's tickets: it refuses each of their events.
      const poisoned = new Set<string>();
      let mended = false;
      receiver.refuses = (event) => {
        if (event.data.username === 'poison') poisoned.add(event.subject);
        return !mended && poisoned.has(event.subject);
      };
      const submit = async (username: string) => (await call('POST', '/v1/tickets', { body: { username, contactEmail: `${username}@example.org`, reason: 'lost-email', explanation: 'x' } })).body;
      const poison = await submit('poison');
      await call('POST', `/v1/tickets/${poison.ticketId}/assign`, { token: agent });
      await call('POST', `/v1/tickets/${poison.ticketId}/request-info`, { token: agent, body: { question: 'Which package?' } });
      const others = [await submit('other1'), await submit('other2'), await submit('other3')];
      const typesOf = (ticketId: string) => receiver.accepted.map(({ body }) => JSON.parse(body)).filter((event) => event.subject === ticketId).map((event) => event.type);
      await waitFor(() => others.every(({ ticketId }) => typesOf(ticketId).length === 1));
      const shown = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
      const held = (await shown()).heldTickets;
      expect(held).toEqual([{ ticketId: poison.ticketId, heldSince: expect.any(String), failingAttempts: expect.any(Number), nextAttemptAt: expect.any(String), lastError: 'HTTP 500' }]);
      expect(held[0].failingAttempts).toBeGreaterThanOrEqual(1);
      expect(typesOf(poison.ticketId)).toEqual([]);
      // Only the first of the held ticket's events was tried: the later ones wait behind it. Each
      // attempt names its ticket.
      const tried = (await call('GET', `/v1/webhooks/${hook.id}/deliveries?limit=500`, { token: integrator })).body.deliveries as Array<{ id: number; position: string; statusCode: number; type: string; ticketId: string }>;
      const failed = tried.filter(({ statusCode }) => statusCode === 500);
      expect(new Set(failed.map(({ type, ticketId }) => `${type} ${ticketId}`))).toEqual(new Set([`recovery.ticket.submitted.v1 ${poison.ticketId}`]));
      expect(new Set(tried.filter(({ statusCode }) => statusCode === 204).map(({ ticketId }) => ticketId))).toEqual(new Set(others.map(({ ticketId }) => ticketId)));
      // The attempts at one ticket's events, or at one event, where asked: the same as in the whole list.
      const attemptsOf = async (query: string) => (await call('GET', `/v1/webhooks/${hook.id}/deliveries?limit=500&${query}`, { token: integrator })).body.deliveries as typeof tried;
      const triedAfter = (await attemptsOf('')).filter(({ id }) => id <= tried[0]!.id);
      const ofPoison = tried.filter(({ ticketId }) => ticketId === poison.ticketId);
      expect((await attemptsOf(`ticketId=${poison.ticketId}`)).filter(({ id }) => id <= tried[0]!.id)).toEqual(ofPoison);
      expect(ofPoison.length).toBeGreaterThanOrEqual(1);
      const other = tried.find(({ ticketId }) => ticketId === others[0]!.ticketId)!;
      expect(await attemptsOf(`position=${other.position}`)).toEqual(triedAfter.filter(({ position }) => position === other.position));
      expect(await attemptsOf('position=18446744073709551616')).toEqual([]);
      expect(await attemptsOf('ticketId=no-such-ticket')).toEqual([]);
      for (const [query, field] of [['ticketId=a%20b', 'ticketId'], ['position=-1', 'position']]) {
        expect((await call('GET', `/v1/webhooks/${hook.id}/deliveries?${query}`, { token: integrator })).body.errors?.map((e: { field: string }) => e.field)).toEqual([field]);
      }

      mended = true;
      await waitFor(() => typesOf(poison.ticketId).length === 3);
      expect(typesOf(poison.ticketId)).toEqual(['recovery.ticket.submitted.v1', 'recovery.ticket.assigned.v1', 'recovery.ticket.info-requested.v1']);
      await waitFor(async () => (await shown()).heldTickets.length === 0);
      expect(await shown()).toMatchObject({ failingAttempts: 0, nextAttemptAt: null });
      // Back in log order: its next event follows.
      await call('POST', `/v1/tickets/${poison.ticketId}/replies`, { token: poison.accessToken, body: { message: 'left-pad' } });
      await waitFor(() => typesOf(poison.ticketId).length === 4);
      expect(typesOf(poison.ticketId)[3]).toBe('recovery.ticket.info-provided.v1');
      expect(receiver.accepted).toHaveLength(3 + 4);
    }), 60000);

  it("gives up a held ticket's events on request: they are not sent, and the ticket's later events go in log order", () =>
    withReceiver('none', FAST_RETRIES, async (server, receiver) => {
      const call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url } })).body;
      // A receiver that cannot take one ticket's events, and will not for a long while.
      let refused = '';
      receiver.refuses = (event) => event.subject === refused;
      const submit = async (username: string) => (await call('POST', '/v1/tickets', { body: { username, contactEmail: `${username}@example.org`, reason: 'lost-email', explanation: 'x' } })).body;
      const stuck = await submit('stuck');
      refused = stuck.ticketId;
      await call('POST', `/v1/tickets/${stuck.ticketId}/request-info`, { token: agent, body: { question: 'Which package?' } });
      const other = await submit('flowing');
      const typesOf = (ticketId: string) => receiver.accepted.map(({ body }) => JSON.parse(body)).filter((event) => event.subject === ticketId).map((event) => event.type);
      await waitFor(() => typesOf(other.ticketId).length === 1);
      const shown = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
      await waitFor(async () => (await shown()).heldTickets.length === 1);

      const giveUp = (webhookId: string, ticketId: string) => call('DELETE', `/v1/webhooks/${webhookId}/held/${ticketId}`, { token: integrator });
      const skipped = await giveUp(hook.id, stuck.ticketId);
      expect(skipped.status).toBe(200);
      expect(skipped.body).toEqual({ id: hook.id, ticketId: stuck.ticketId, skippedAfter: expect.any(String), skippedUpTo: (await shown()).deliveredUpTo });
      expect(BigInt(skipped.body.skippedAfter)).toBeLessThan(BigInt(stuck.position));
      expect(BigInt(skipped.body.skippedUpTo)).toBeGreaterThanOrEqual(BigInt(other.position));
      expect((await shown()).heldTickets).toEqual([]);
      // Once: it is held no more; nor is a ticket never held, and another webhook's is not this one's.
      for (const [webhookId, ticketId] of [[hook.id, stuck.ticketId], [hook.id, other.ticketId], ['none', stuck.ticketId]]) {
        expect(await giveUp(webhookId!, ticketId!)).toMatchObject({ status: 404, body: { status: 404 } });
      }
      expect(await giveUp(hook.id, 'not a ticket')).toMatchObject({ status: 400, body: { errors: [{ field: 'ticketId', message: 'ticketId must be a ticket id' }] } });
      // The subscription's history says who gave them up, once.
      const recorded = (await call('GET', `/v1/webhooks/${hook.id}/history`, { token: ADMIN_TOKEN })).body.events.filter(({ type }: { type: string }) => type === 'WebhookHeldTicketSkipped');
      expect(recorded).toEqual([expect.objectContaining({ actor: { kind: 'integrator', id: expect.any(String) }, data: { ticketId: stuck.ticketId, after: skipped.body.skippedAfter, upTo: skipped.body.skippedUpTo } })]);

      // The receiver mended: the ticket's skipped events never come, its next one does, in log order.
      refused = '';
      await call('POST', `/v1/tickets/${stuck.ticketId}/replies`, { token: stuck.accessToken, body: { message: 'left-pad' } });
      await waitFor(() => typesOf(stuck.ticketId).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(typesOf(stuck.ticketId)).toEqual(['recovery.ticket.info-provided.v1']);
      expect((await shown()).heldTickets).toEqual([]);
    }), 60000);

  it(`holds at most ${MOST_HELD_TICKETS} tickets: a receiver that refuses everything makes the subscription wait at the next, and it catches up once the receiver takes them`, () =>
    withReceiver('all', { ...FAST_RETRIES, RECLAIM_METRICS_TOKEN: METRICS_TOKEN }, async (server, receiver) => {
      const call = client(server.url);
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      const tickets = [];
      for (let i = 0; i < MOST_HELD_TICKETS + 2; i++) {
        tickets.push((await call('POST', '/v1/tickets', { body: { username: `down${i}`, contactEmail: 'd@example.org', reason: 'lost-email', explanation: 'x' } })).body);
      }
      const attempts = async () => (await call('GET', `/v1/webhooks/${hook.id}/deliveries?limit=500`, { token: integrator })).body.deliveries as Array<{ position: string }>;
      const waiting = tickets[MOST_HELD_TICKETS]!;
      // The first after the held ones is tried again where it is, and the one after it not at all.
      await waitFor(async () => (await attempts()).filter(({ position }) => position === waiting.position).length >= 3);
      const shown = (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
      expect(shown.heldTickets.map(({ ticketId }: { ticketId: string }) => ticketId)).toEqual(tickets.slice(0, MOST_HELD_TICKETS).map(({ ticketId }) => ticketId));
      expect(BigInt(shown.deliveredUpTo)).toBeLessThan(BigInt(waiting.position));
      expect(new Set((await attempts()).map(({ position }) => position))).toEqual(new Set(tickets.slice(0, MOST_HELD_TICKETS + 1).map(({ position }) => position)));
      const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      expect(metrics).toContain(`reclaim_webhook_held_tickets{webhook="${hook.id}"} ${MOST_HELD_TICKETS}\n`);

      receiver.failing = 'none';
      await waitFor(() => receiver.accepted.length === tickets.length);
      expect(new Set(receiver.accepted.map(({ body }) => JSON.parse(body).subject))).toEqual(new Set(tickets.map(({ ticketId }) => ticketId)));
      await waitFor(async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body.heldTickets.length === 0);
    }), 60000);

  it('catches up the held tickets several at once once the receiver takes them again, each ticket\'s events in order', () =>
    withReceiver('all', FAST_RETRIES, async (server, receiver) => {
      const call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url } })).body;
      // The receiver is down: each ticket's first event is refused, and the ticket held.
      const tickets: string[] = [];
      for (let i = 0; i < 6; i++) {
        const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: `outage${i}`, contactEmail: 'o@example.org', reason: 'lost-email', explanation: 'x' } })).body;
        await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent });
        tickets.push(ticketId);
      }
      const shown = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
      await waitFor(async () => (await shown()).heldTickets.length === tickets.length);
      // Back, and slow; enabled again, every held ticket is due at once.
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
      receiver.failing = 'none';
      receiver.delayMs = 100;
      receiver.mostAtOnce = 0;
      await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      await waitFor(() => receiver.accepted.length === 2 * tickets.length);
      expect(receiver.mostAtOnce).toBe(tickets.length);
      expect([...receiver.ticketsTwiceAtOnce]).toEqual([]);
      const typesOf = (ticketId: string) => receiver.accepted.map(({ body }) => JSON.parse(body)).filter((event) => event.subject === ticketId).map((event) => event.type);
      for (const ticketId of tickets) expect(typesOf(ticketId)).toEqual(EXPECTED_PER_TICKET.slice(0, 2));
      await waitFor(async () => (await shown()).heldTickets.length === 0);
    }), 60000);

  it('disables a subscription that keeps failing, resumes when enabled, and redelivers on request', () =>
    withReceiver('all', { ...FAST_RETRIES, RECLAIM_WEBHOOK_DISABLE_AFTER: '1s', RECLAIM_METRICS_TOKEN: METRICS_TOKEN }, async (server, receiver) => {
      const call = client(server.url);
      // What /metrics tells of this webhook: whether it sends, and its failed attempts in a row.
      const gauges = async () => {
        const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
        const gauge = (name: string) => Number(text.split('\n').find((line) => line.startsWith(`${name}{webhook="${hook.id}"} `))?.split(' ')[1]);
        return { enabled: gauge('reclaim_webhook_enabled'), failing: gauge('reclaim_webhook_failing_attempts') };
      };
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      const submitted = (await call('POST', '/v1/tickets', { body: { username: 'z', contactEmail: 'z@example.org', reason: 'lost-email', explanation: 'x' } })).body;
      await waitFor(async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body.enabled === false);
      const disabled = await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator });
      expect(disabled.body.types).toEqual(['recovery.ticket.submitted.v1']);
      expect(disabled.body.disabledReason).toContain('disabled after failing');
      const failed = await gauges();
      expect(failed.enabled).toBe(0);
      expect(failed.failing).toBeGreaterThanOrEqual(2);
      // Disabling it again, by anyone, records nothing: the reason it was disabled for stays.
      const again = await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: ADMIN_TOKEN });
      expect(again.status).toBe(200);
      const still = await call('GET', `/v1/webhooks/${hook.id}?minPosition=${again.body.position}`, { token: integrator });
      expect(still.body.disabledReason).toBe(disabled.body.disabledReason);
      // Enabled again while the receiver still fails: it gets a whole RECLAIM_WEBHOOK_DISABLE_AFTER
      // again, not the failing streak it was disabled for.
      const before = receiver.requests;
      const enabledAt = Date.now();
      const reenabled = (await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator })).body;
      await waitFor(async () => (await call('GET', `/v1/webhooks/${hook.id}?minPosition=${reenabled.position}`, { token: integrator })).body.enabled === false);
      expect(Date.now() - enabledAt).toBeGreaterThanOrEqual(1000);
      expect(receiver.requests - before).toBeGreaterThanOrEqual(2);
      receiver.failing = 'none';
      const enabled = await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      expect(enabled.status).toBe(200);
      const shown = await call('GET', `/v1/webhooks/${hook.id}?minPosition=${enabled.body.position}`, { token: integrator });
      expect(shown.body).toMatchObject({ enabled: true, disabledReason: null });
      await waitFor(() => receiver.accepted.length === 1);
      expect(JSON.parse(receiver.accepted[0]!.body)).toMatchObject({ type: 'recovery.ticket.submitted.v1', subject: submitted.ticketId });
      // The attempt is recorded a moment after the receiver answered it.
      await waitFor(async () => (await gauges()).failing === 0);
      expect((await gauges()).enabled).toBe(1);
      // Disabled by hand, here by an admin: the reason says how, the log says who.
      const byHand = await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: ADMIN_TOKEN });
      expect((await call('GET', `/v1/webhooks/${hook.id}?minPosition=${byHand.body.position}`, { token: integrator })).body).toMatchObject({ enabled: false, disabledReason: 'disabled by hand' });
      // A disabled webhook sends nothing, not even an event asked for again meanwhile: that one
      // waits until it is enabled.
      expect((await call('POST', `/v1/webhooks/${hook.id}/redeliver`, { token: integrator, body: { position: submitted.position } })).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // four polls
      expect(receiver.accepted).toHaveLength(1);
      expect((await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator })).status).toBe(200);
      await waitFor(() => receiver.accepted.length === 2);
      // Only an event this webhook sends: not a number no event has, nor an event it does not send
      // (one never published, one of a type it did not ask for).
      const rejected = (await call('POST', `/v1/tickets/${submitted.ticketId}/reject`, { token: ADMIN_TOKEN, body: { reason: 'other', note: 'n' } })).body;
      for (const position of [String(BigInt(submitted.position) + 1000n), hook.position, rejected.position]) {
        const refused = await call('POST', `/v1/webhooks/${hook.id}/redeliver`, { token: integrator, body: { position } });
        expect([position, refused.status, refused.body.errors]).toEqual([position, 400, [expect.objectContaining({ field: 'position' })]]);
      }
      const queued = await call('POST', `/v1/webhooks/${hook.id}/redeliver`, { token: integrator, body: { position: `00${submitted.position}` } });
      expect([queued.status, queued.body.position]).toEqual([202, submitted.position]); // the event's position, as the log writes it
      await waitFor(() => receiver.accepted.length === 3);
      expect(new Set(receiver.accepted.map(({ headers }) => headers['webhook-id'])).size).toBe(1);
      // Asked for once, sent once: what comes next is the next event, not the same one again.
      const next = (await call('POST', '/v1/tickets', { body: { username: 'y', contactEmail: 'y@example.org', reason: 'lost-email', explanation: 'x' } })).body;
      await waitFor(() => receiver.accepted.length >= 4);
      expect(receiver.accepted.map(({ body }) => JSON.parse(body).subject)).toEqual([submitted.ticketId, submitted.ticketId, submitted.ticketId, next.ticketId]);
      // Each redelivery asked for is in the subscription's history, with who asked; a refused one is not.
      const asked = (await call('GET', `/v1/webhooks/${hook.id}/history`, { token: integrator })).body.events.filter(({ type }: { type: string }) => type === 'WebhookRedeliveryRequested');
      expect(asked.map(({ data }: { data: unknown }) => data)).toEqual([{ position: submitted.position }, { position: submitted.position }]);
    }), 60000);

  it('takes only a 2xx as delivered (a redirect or a 4xx is tried again), and waits between tries as the backoff says', () =>
    withReceiver('all', { ...FAST_RETRIES, RECLAIM_WEBHOOK_RETRY_BASE: '1s', RECLAIM_WEBHOOK_RETRY_MAX: '1s' }, async (server, receiver) => {
      const call = client(server.url);
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      receiver.failStatus = 410;
      await call('POST', '/v1/tickets', { body: { username: 'z', contactEmail: 'z@example.org', reason: 'lost-email', explanation: 'x' } });
      await waitFor(() => receiver.requests === 2);
      receiver.failStatus = 302;
      await waitFor(() => receiver.requests === 3);
      receiver.failing = 'none';
      await waitFor(() => receiver.accepted.length === 1);
      // Each wait is drawn between half the base and the ceiling (1 s here): never the 250 ms poll.
      const waits = receiver.arrivals.slice(1).map((at, i) => at - receiver.arrivals[i]!);
      expect(waits.every((wait) => wait >= 500)).toBe(true);
      const log = (await call('GET', `/v1/webhooks/${hook.id}/deliveries`, { token: integrator })).body.deliveries as Array<{ statusCode: number; error: string | null; attempt: number }>;
      expect(log.map(({ statusCode, error, attempt }) => ({ statusCode, error, attempt })).sort((a, b) => a.attempt - b.attempt)).toEqual([
        { statusCode: 410, error: 'HTTP 410', attempt: 1 },
        { statusCode: 410, error: 'HTTP 410', attempt: 2 },
        { statusCode: 302, error: 'HTTP 302', attempt: 3 },
        { statusCode: 204, error: null, attempt: 4 },
      ]);
      // Delivered at last: the subscription no longer shows itself failing.
      const shown = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
      await waitFor(async () => (await shown()).nextAttemptAt === null);
      expect(await shown()).toMatchObject({ failingAttempts: 0, nextAttemptAt: null, secretLost: false });
    }), 60000);

  it('rotates a secret: both sign for the overlap asked for, and a leaked one can stop at once', () =>
    withReceiver('none', FAST_RETRIES, async (server, receiver) => {
      const call = client(server.url);
      const integrator = await createStaff(call, 'integrator', 'P');
      const other = await createStaff(call, 'integrator', 'Q');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      const submit = async (name: string) => {
        const before = receiver.accepted.length;
        await call('POST', '/v1/tickets', { body: { username: name, contactEmail: `${name}@example.org`, reason: 'lost-email', explanation: 'x' } });
        await waitFor(() => receiver.accepted.length === before + 1);
        return receiver.accepted[before]!;
      };
      expect(signedBy(hook.secret, await submit('rot1'))).toBe(true);

      // Rotated by another integrator, with the overlap left to its default of a day.
      const rotated = await call('POST', `/v1/webhooks/${hook.id}/secret`, { token: other });
      expect(rotated.status).toBe(201);
      expect(rotated.body).toEqual({ id: hook.id, secret: expect.stringMatching(/^whsec_/), previousSecretValidUntil: expect.any(String), position: expect.stringMatching(/^\d+$/) });
      expect(rotated.body.secret).not.toBe(hook.secret);
      expect(Date.parse(rotated.body.previousSecretValidUntil) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
      const both = await submit('rot2');
      expect([signedBy(hook.secret, both), signedBy(rotated.body.secret, both)]).toEqual([true, true]);
      expect(both.headers['webhook-signature']!.split(' ')).toHaveLength(2);
      // A new secret is no takeover: the webhook keeps its owner, and says until when the old secret signs.
      const shown = (await call('GET', `/v1/webhooks/${hook.id}?minPosition=${rotated.body.position}`, { token: integrator })).body;
      const owner = (await call('GET', '/v1/staff', { token: ADMIN_TOKEN })).body.staff.find((s: { name: string }) => s.name === 'P').id;
      expect(shown).toMatchObject({ ownerId: owner, enabled: true, previousSecretValidUntil: rotated.body.previousSecretValidUntil });

      // A leaked secret stops at once; a disabled webhook stays disabled.
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
      const leaked = await call('POST', `/v1/webhooks/${hook.id}/secret`, { token: integrator, body: { previousSecretValidFor: '0s' } });
      expect(leaked.status).toBe(201);
      const after = (await call('GET', `/v1/webhooks/${hook.id}?minPosition=${leaked.body.position}`, { token: integrator })).body;
      expect(after).toMatchObject({ enabled: false, previousSecretValidUntil: null });
      await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      const only = await submit('rot3');
      expect([signedBy(rotated.body.secret, only), signedBy(leaked.body.secret, only)]).toEqual([false, true]);

      // The same key gets the same secret again; bad input and unknown webhooks change nothing.
      const once = await call('POST', `/v1/webhooks/${hook.id}/secret`, { token: integrator, headers: { 'idempotency-key': 'rotate-once' } });
      const again = await call('POST', `/v1/webhooks/${hook.id}/secret`, { token: integrator, headers: { 'idempotency-key': 'rotate-once' } });
      expect(again.body).toEqual(once.body);
      const refusals: Array<[object, string]> = [
        [{ previousSecretValidFor: '8d' }, 'previousSecretValidFor must be at most 7d'],
        [{ previousSecretValidFor: 'soon' }, 'previousSecretValidFor must be a duration such as 0s, 30m, 24h or 7d'],
        [{ previousSecretValidFor: 24 }, 'previousSecretValidFor must be a string'],
      ];
      for (const [body, message] of refusals) {
        const refused = await call('POST', `/v1/webhooks/${hook.id}/secret`, { token: integrator, body });
        expect([refused.status, refused.body.errors]).toEqual([400, [{ field: 'previousSecretValidFor', message }]]);
      }
      expect((await call('POST', '/v1/webhooks/nothing-here/secret', { token: integrator })).status).toBe(404);
      const last = receiver.accepted.length;
      const still = await submit('rot4');
      expect(signedBy(once.body.secret, still)).toBe(true);
      expect(receiver.accepted.length).toBe(last + 1);

    }), 60000);

  it('starts again at once when enabled, without waiting out the retries it had before', () =>
    withReceiver('all', { ...FAST_RETRIES, RECLAIM_WEBHOOK_RETRY_BASE: '1h', RECLAIM_WEBHOOK_RETRY_MAX: '1h' }, async (server, receiver) => {
      const call = client(server.url);
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      const shown = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
      await call('POST', '/v1/tickets', { body: { username: 'again', contactEmail: 'again@example.org', reason: 'lost-email', explanation: 'x' } });
      await waitFor(async () => (await shown()).failingAttempts === 1);
      // The next retry is half an hour away or more.
      expect(Date.parse((await shown()).nextAttemptAt) - Date.now()).toBeGreaterThan(25 * 60_000);
      // The receiver is mended; the integrator turns the subscription off and on rather than wait.
      receiver.failing = 'none';
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
      await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      await waitFor(() => receiver.accepted.length === 1);
      expect(await shown()).toMatchObject({ enabled: true, failingAttempts: 0, nextAttemptAt: null });
      // Counted afresh: the delivery after enabling is its first attempt again.
      const [latest] = (await call('GET', `/v1/webhooks/${hook.id}/deliveries`, { token: integrator })).body.deliveries;
      expect(latest).toMatchObject({ statusCode: 204, attempt: 1 });
    }), 60000);

  it('deletes a subscription for good: it sends nothing more, and every route of it answers 404 but its history', () =>
    withReceiver('none', FAST_RETRIES, async (server, receiver) => {
      const call = client(server.url);
      const integrator = await createStaff(call, 'integrator', 'P');
      const create = async (path: string) => (await call('POST', '/v1/webhooks', { token: integrator, body: { url: `${receiver.url}${path}`, types: ['recovery.ticket.submitted.v1'] } })).body;
      const [ended, kept] = [await create('?ended'), await create('?kept')];
      const submit = (name: string) => call('POST', '/v1/tickets', { body: { username: name, contactEmail: `${name}@example.org`, reason: 'lost-email', explanation: 'x' } });
      const sentTo = (path: string) => receiver.accepted.filter((delivery) => delivery.path.endsWith(path)).length;
      await submit('del1');
      await waitFor(() => sentTo('?ended') === 1 && sentTo('?kept') === 1);

      const deleted = await call('DELETE', `/v1/webhooks/${ended.id}`, { token: integrator });
      expect([deleted.status, deleted.body]).toEqual([200, { id: ended.id, deleted: true, position: expect.stringMatching(/^\d+$/) }]);
      const listed = (await call('GET', `/v1/webhooks?minPosition=${deleted.body.position}`, { token: integrator })).body.webhooks.map((hook: { id: string }) => hook.id);
      expect(listed).toEqual([kept.id]);
      for (const [method, path, body] of [
        ['GET', `/v1/webhooks/${ended.id}`],
        ['GET', `/v1/webhooks/${ended.id}/deliveries`],
        ['POST', `/v1/webhooks/${ended.id}/enable`],
        ['POST', `/v1/webhooks/${ended.id}/secret`],
        ['POST', `/v1/webhooks/${ended.id}/redeliver`, { position: '1' }],
        ['DELETE', `/v1/webhooks/${ended.id}`],
        ['PUT', `/v1/webhooks/${ended.id}`, { url: receiver.url }],
      ] as Array<[string, string, object?]>) {
        expect([method, path, (await call(method, path, { token: integrator, body })).status]).toEqual([method, path, 404]);
      }
      // Who set it up, changed it and ended it stays for review, with no secret in it.
      await call('POST', `/v1/webhooks/${kept.id}/secret`, { token: integrator });
      await call('PUT', `/v1/webhooks/${kept.id}`, { token: ADMIN_TOKEN, body: { url: `${receiver.url}?kept`, concurrency: 2 } });
      const historyOf = async (id: string, token = ADMIN_TOKEN) => (await call('GET', `/v1/webhooks/${id}/history`, { token })).body.events as Array<{ type: string; actor: { kind: string; id: string }; data: Record<string, unknown> }>;
      const integratorId = (await historyOf(ended.id))[0]!.actor.id;
      expect((await historyOf(ended.id)).map(({ type, actor, data }) => [type, actor.id, data])).toEqual([
        ['WebhookCreated', integratorId, { webhookId: ended.id, url: `${receiver.url}?ended`, types: ['recovery.ticket.submitted.v1'] }],
        ['WebhookDeleted', integratorId, {}],
      ]);
      expect((await historyOf(kept.id, integrator)).map(({ type, actor, data }) => [type, actor.id, type === 'WebhookSecretRotated' ? Object.keys(data) : data])).toEqual([
        ['WebhookCreated', integratorId, { webhookId: kept.id, url: `${receiver.url}?kept`, types: ['recovery.ticket.submitted.v1'] }],
        ['WebhookSecretRotated', integratorId, ['previousValidUntil']],
        ['WebhookChanged', 'bootstrap-admin', { types: [], concurrency: 2 }],
      ]);
      // Not to those who read no webhooks: a URL may carry an integrator's credentials.
      const auditor = await createStaff(call, 'auditor', 'Reviewer');
      expect((await call('GET', `/v1/webhooks/${kept.id}/history`, { token: auditor })).status).toBe(403);
      expect((await call('GET', '/v1/webhooks/never-made/history', { token: integrator })).status).toBe(404);
      // The one kept still sends; the deleted one sends nothing more.
      await submit('del2');
      await waitFor(() => sentTo('?kept') === 2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sentTo('?ended')).toBe(1);
    }), 60000);

  // One delivery at a time, so that "the delivery under way" is one; with several at once, the
  // next test shows the same of each.
  it('acts on a new secret, a disabling or a deletion from the next delivery, also in the middle of a backlog', () =>
    withReceiver('none', { ...FAST_RETRIES, RECLAIM_SUBMISSION_LIMIT: '1000/h', RECLAIM_WEBHOOK_CONCURRENCY: '1' }, async (server, receiver) => {
      const call = client(server.url);
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      // A backlog of 60 events, answered slowly: the receiver takes 40 ms an event.
      receiver.delayMs = 40;
      for (let i = 0; i < 60; i++) await call('POST', '/v1/tickets', { body: { username: `backlog${i}`, contactEmail: 'b@example.org', reason: 'lost-email', explanation: 'x' } });
      await waitFor(() => receiver.accepted.length >= 3);

      // A secret replaced at once (it leaked): only the delivery already under way may carry the old one.
      const rotated = (await call('POST', `/v1/webhooks/${hook.id}/secret`, { token: integrator, body: { previousSecretValidFor: '0s' } })).body;
      const sentBeforeRotation = receiver.accepted.length;
      await waitFor(() => receiver.accepted.length >= sentBeforeRotation + 4);
      const afterRotation = receiver.accepted.slice(sentBeforeRotation + 1);
      expect(afterRotation.map((delivery) => [signedBy(rotated.secret, delivery), signedBy(hook.secret, delivery)])).toEqual(afterRotation.map(() => [true, false]));

      /** After `stop`, nothing more arrives than the delivery already under way; answers how many had arrived. */
      const sendsNothingMoreAfter = async (stop: () => Promise<unknown>) => {
        await stop();
        const sentBefore = receiver.accepted.length;
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(receiver.accepted.length).toBeLessThanOrEqual(sentBefore + 1);
        return sentBefore;
      };

      // Disabled, then deleted: nothing more after the delivery under way.
      const sentBeforeDisabling = await sendsNothingMoreAfter(() => call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator }));
      await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      await waitFor(() => receiver.accepted.length >= sentBeforeDisabling + 3);
      await sendsNothingMoreAfter(() => call('DELETE', `/v1/webhooks/${hook.id}`, { token: integrator }));
      expect(receiver.accepted.length).toBeLessThan(60);

      // Its owner deactivated: nothing more after the delivery under way, backlog or not.
      const owner = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Owner', role: 'integrator' } })).body;
      await call('POST', '/v1/webhooks', { token: owner.token, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } });
      for (let i = 0; i < 30; i++) await call('POST', '/v1/tickets', { body: { username: `owned${i}`, contactEmail: 'o@example.org', reason: 'lost-email', explanation: 'x' } });
      const sentBeforeOwner = receiver.accepted.length;
      await waitFor(() => receiver.accepted.length >= sentBeforeOwner + 3);
      await sendsNothingMoreAfter(() => call('DELETE', `/v1/staff/${owner.id}`, { token: ADMIN_TOKEN }));
    }), 60000);

  it('stops a webhook once the staff member who owns it is deactivated or given a role that runs no webhooks, resumes under whoever enables it, and is handed over by enabling it', () =>
    withReceiver('none', FAST_RETRIES, async (server, receiver) => {
      const call = client(server.url);
      const integrator = async (name: string) => (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name, role: 'integrator' } })).body as { id: string; token: string };
      const leaked = await integrator('Leaked');
      const platform = await integrator('Platform');
      const hook = (await call('POST', '/v1/webhooks', { token: leaked.token, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      const submit = async (name: string) => (await call('POST', '/v1/tickets', { body: { username: name, contactEmail: `${name}@example.org`, reason: 'lost-email', explanation: 'x' } })).body;
      const view = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: platform.token })).body;
      await submit('owned1');
      await waitFor(() => receiver.accepted.length === 1);
      expect(await view()).toMatchObject({ enabled: true, ownerId: leaked.id });

      expect((await call('DELETE', `/v1/staff/${leaked.id}`, { token: ADMIN_TOKEN })).status).toBe(200);
      const second = await submit('owned2');
      await waitFor(async () => (await view()).enabled === false);
      expect((await view()).disabledReason).toBe('disabled as its owner was deactivated');
      expect(receiver.accepted).toHaveLength(1);

      // Another integrator enables it, and it runs on their authority from then on.
      expect((await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: platform.token })).status).toBe(200);
      await waitFor(() => receiver.accepted.length === 2);
      expect(JSON.parse(receiver.accepted[1]!.body)).toMatchObject({ subject: second.ticketId });
      expect(await view()).toMatchObject({ enabled: true, ownerId: platform.id });

      // Enabling a running webhook hands it over, so it outlives the one who made it.
      const handedOver = (await call('POST', '/v1/webhooks', { token: platform.token, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } })).body;
      const successor = await integrator('Successor');
      // The list is oldest first.
      const listed = (await call('GET', `/v1/webhooks?minPosition=${handedOver.position}`, { token: successor.token })).body.webhooks.map((webhook: { id: string }) => webhook.id);
      expect(listed.filter((id: string) => [hook.id, handedOver.id].includes(id))).toEqual([hook.id, handedOver.id]);
      expect((await call('POST', `/v1/webhooks/${handedOver.id}/enable`, { token: successor.token })).status).toBe(200);
      expect((await call('POST', `/v1/webhooks/${handedOver.id}/enable`, { token: successor.token })).status).toBe(200);
      expect((await call('GET', `/v1/webhooks/${handedOver.id}`, { token: successor.token })).body).toMatchObject({ enabled: true, ownerId: successor.id });
      expect((await call('DELETE', `/v1/staff/${platform.id}`, { token: ADMIN_TOKEN })).status).toBe(200);
      const third = await submit('owned3');
      await waitFor(() => receiver.accepted.some((delivery) => JSON.parse(delivery.body).subject === third.ticketId));
      expect((await call('GET', `/v1/webhooks/${handedOver.id}`, { token: successor.token })).body).toMatchObject({ enabled: true, ownerId: successor.id });

      // Its owner given a role that runs no webhooks (they work tickets now): it stops as for a
      // deactivation, and runs again under whoever integrates and enables it.
      expect((await call('POST', `/v1/staff/${successor.id}/role`, { token: ADMIN_TOKEN, body: { role: 'agent' } })).status).toBe(200);
      const fourth = await submit('owned4');
      const moved = async () => (await call('GET', `/v1/webhooks/${handedOver.id}`, { token: ADMIN_TOKEN })).body;
      await waitFor(async () => (await moved()).enabled === false);
      expect((await moved()).disabledReason).toBe('disabled as its owner was given the agent role, which runs no webhooks');
      const sentFourth = () => receiver.accepted.filter((delivery) => JSON.parse(delivery.body).subject === fourth.ticketId).length;
      expect(sentFourth()).toBe(0);
      expect((await call('POST', `/v1/webhooks/${handedOver.id}/enable`, { token: ADMIN_TOKEN })).status).toBe(200);
      await waitFor(() => sentFourth() === 1);
    }), 60000);

  it('stops sending on SIGTERM: the deliveries under way finish, no other starts', () =>
    withReceiver('none', { ...FAST_RETRIES, RECLAIM_SUBMISSION_LIMIT: '1000/h' }, async (server, receiver) => {
      const call = client(server.url);
      receiver.delayMs = 300;
      const integrator = await createStaff(call, 'integrator', 'P');
      await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types: ['recovery.ticket.submitted.v1'] } });
      for (let i = 0; i < 4 * CONCURRENCY; i++) await call('POST', '/v1/tickets', { body: { username: `backlog${i}`, contactEmail: 'b@example.org', reason: 'lost-email', explanation: 'x' } });
      await waitFor(() => receiver.accepted.length >= 1);
      const sentBefore = receiver.accepted.length;
      await server.stop('SIGTERM');
      // Room for the sends that a stopping server still started to arrive.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(receiver.accepted.length - sentBefore).toBeLessThanOrEqual(CONCURRENCY);
      expect(receiver.accepted.length).toBeLessThan(4 * CONCURRENCY);
    }), 60000);

  it(`sends up to ${CONCURRENCY} tickets' events at once, never two of one ticket, each ticket's in order; a disabling stops all but those under way`, () =>
    withReceiver('none', { ...FAST_RETRIES, RECLAIM_SUBMISSION_LIMIT: '1000/h' }, async (server, receiver) => {
      const call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url } })).body;
      // A slow receiver, and a backlog (made while the subscription is disabled, so that it is
      // whole when sending starts): 12 tickets, each filed, claimed and asked a question, its three
      // events one after the other, so that each ticket's later ones wait while the next tickets' go.
      receiver.delayMs = 100;
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
      const tickets: string[] = [];
      for (let i = 0; i < 12; i++) {
        const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: `burst${i}`, contactEmail: 'b@example.org', reason: 'lost-email', explanation: 'x' } })).body;
        await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent });
        await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: agent, body: { question: 'Which package?' } });
        tickets.push(ticketId);
      }
      await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      await waitFor(() => receiver.accepted.length === 3 * tickets.length);
      expect(receiver.mostAtOnce).toBe(CONCURRENCY);
      expect([...receiver.ticketsTwiceAtOnce]).toEqual([]);
      // Each once: those sent ahead of a ticket that waited are not sent again.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(new Set(receiver.accepted.map(({ headers }) => headers['webhook-id'])).size).toBe(receiver.accepted.length);
      expect(receiver.accepted).toHaveLength(3 * tickets.length);
      const typesOf = (ticketId: string) => receiver.accepted.map(({ body }) => JSON.parse(body)).filter((event) => event.subject === ticketId).map((event) => event.type);
      for (const ticketId of tickets) expect(typesOf(ticketId)).toEqual(EXPECTED_PER_TICKET.slice(0, 3));

      // A backlog again, and the subscription disabled in its middle: only what was under way arrives.
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
      for (let i = 0; i < 6 * CONCURRENCY; i++) await call('POST', '/v1/tickets', { body: { username: `more${i}`, contactEmail: 'b@example.org', reason: 'lost-email', explanation: 'x' } });
      await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      await waitFor(() => receiver.accepted.length > 3 * tickets.length);
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
      const sentBefore = receiver.accepted.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.accepted.length - sentBefore).toBeLessThanOrEqual(CONCURRENCY);
      expect(receiver.accepted.length).toBeLessThan(3 * tickets.length + 6 * CONCURRENCY);
    }), 60000);

  it('keeps each ticket in order, several tickets at once, while the receiver refuses at random', () =>
    withReceiver('none', { ...FAST_RETRIES, RECLAIM_SUBMISSION_LIMIT: '1000/h' }, async (server, receiver) => {
      const call = client(server.url);
      const agent = await createStaff(call, 'agent', 'Ada');
      const integrator = await createStaff(call, 'integrator', 'P');
      await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url } });
      // A fixed seed, so that a failure can be looked into again (timing still varies).
      let seed = 20261129;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      receiver.delayMs = 10;
      receiver.refuses = () => random() < 0.3;
      // Ten tickets' stories, their steps interleaved at random (each ticket's in its order).
      const steps = EXPECTED_PER_TICKET.length;
      const tickets: Array<{ name: string; ticketId?: string; accessToken?: string; done: number }> = Array.from({ length: 10 }, (_, i) => ({ name: `mixed${i}`, done: 0 }));
      const step = async (t: (typeof tickets)[number]) => {
        const on = `/v1/tickets/${t.ticketId}`;
        if (t.done === 0) Object.assign(t, (await call('POST', '/v1/tickets', { body: { username: t.name, contactEmail: `${t.name}@example.org`, reason: 'lost-email', explanation: 'x' } })).body);
        if (t.done === 1) await call('POST', `${on}/assign`, { token: agent });
        if (t.done === 2) await call('POST', `${on}/request-info`, { token: agent, body: { question: 'Which package?' } });
        if (t.done === 3) await call('POST', `${on}/replies`, { token: t.accessToken, body: { message: 'left-pad' } });
        if (t.done === 4) await call('POST', `${on}/verify`, { token: agent, body: { evidence: ['packages'], note: 'ok' } });
        t.done++;
      };
      for (let open = tickets; open.length; open = tickets.filter((t) => t.done < steps)) await step(open[Math.floor(random() * open.length)]!);

      const events = () => receiver.accepted.map(({ body }) => JSON.parse(body) as { id: string; subject: string; type: string });
      await waitFor(() => new Set(events().map(({ id }) => id)).size === tickets.length * steps, 60000);
      for (const { ticketId } of tickets) {
        const firstTaken: string[] = [];
        for (const event of events().filter((e) => e.subject === ticketId)) if (!firstTaken.includes(event.id)) firstTaken.push(event.id);
        expect(firstTaken.map((id) => events().find((e) => e.id === id)!.type)).toEqual(EXPECTED_PER_TICKET);
      }
      expect([...receiver.ticketsTwiceAtOnce]).toEqual([]);
      expect(receiver.mostAtOnce).toBeGreaterThan(1);
    }), 90000);

  it('pings a receiver on request, signed as deliveries are, also while disabled, and answers what it said, touching no checkpoint', () =>
    withReceiver('none', FAST_RETRIES, async (server, receiver) => {
      const call = client(server.url);
      const integrator = await createStaff(call, 'integrator', 'P');
      const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url } })).body;
      const shown = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
      const before = await shown();
      const ping = await call('POST', `/v1/webhooks/${hook.id}/ping`, { token: integrator });
      expect(ping.status).toBe(200);
      expect(ping.body).toEqual({ id: hook.id, eventId: expect.stringMatching(/^ping-/), delivered: true, statusCode: 204, error: null, durationMs: expect.any(Number) });
      expect(receiver.accepted).toHaveLength(1);
      const [received] = receiver.accepted;
      expect(signedBy(hook.secret, received!)).toBe(true);
      expect(received!.headers['webhook-id']).toBe(ping.body.eventId);
      expect(JSON.parse(received!.body)).toMatchObject({ type: 'recovery.webhook.ping.v1', subject: hook.id, data: { webhookId: hook.id } });

      // Refused, and while disabled: said in the answer; the log of attempts and the checkpoint stay as they were.
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
      receiver.failing = 'all';
      expect((await call('POST', `/v1/webhooks/${hook.id}/ping`, { token: integrator })).body).toMatchObject({ delivered: false, statusCode: 500, error: 'HTTP 500' });
      expect(receiver.requests).toBe(2);
      expect((await call('GET', `/v1/webhooks/${hook.id}/deliveries`, { token: integrator })).body.deliveries).toEqual([]);
      expect(await shown()).toMatchObject({ deliveredUpTo: before.deliveredUpTo, failingAttempts: 0 });
      expect((await call('POST', '/v1/webhooks/none/ping', { token: integrator })).status).toBe(404);
    }), 60000);

  it('moves a subscription to another URL, other types or another concurrency from its checkpoint on: none missed, none sent twice, the new URL tried at once', () =>
    // Retries ten minutes apart: only a new URL tried at once delivers within the test.
    withReceiver('all', { RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true', RECLAIM_WEBHOOK_RETRY_BASE: '10m', RECLAIM_WEBHOOK_RETRY_MAX: '10m', RECLAIM_SUBMISSION_LIMIT: '1000/h' }, async (server, old) => {
      const moved = new Receiver();
      moved.failing = 'none';
      await moved.start();
      try {
        const call = client(server.url);
        const agent = await createStaff(call, 'agent', 'Ada');
        const integrator = await createStaff(call, 'integrator', 'P');
        const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: old.url, concurrency: 1 } })).body;
        expect(hook).toMatchObject({ url: old.url, types: null, concurrency: 1 });
        const shown = async () => (await call('GET', `/v1/webhooks/${hook.id}`, { token: integrator })).body;
        const before = await shown();
        expect(before.concurrency).toBe(1);
        const submit = async (username: string) => (await call('POST', '/v1/tickets', { body: { username, contactEmail: `${username}@example.org`, reason: 'lost-email', explanation: 'x' } })).body.ticketId as string;
        const tickets = [await submit('move-a'), await submit('move-b'), await submit('move-c')];
        // The old receiver refuses each ticket's event once: all three held, to be tried again in ten minutes.
        await waitFor(async () => (await shown()).heldTickets.length === 3);
        const refusedByOld = old.requests;

        // Moved: the held events go to the new URL at once, each once, signed with the same secret.
        const replaced = await call('PUT', `/v1/webhooks/${hook.id}`, { token: integrator, body: { url: moved.url, concurrency: 1 } });
        expect(replaced.status).toBe(200);
        expect(replaced.body).toMatchObject({ id: hook.id, url: moved.url, types: null, concurrency: 1, ownerId: before.ownerId, createdAt: before.createdAt, position: expect.any(String) });
        await waitFor(() => moved.accepted.length === 3);
        const events = () => moved.accepted.map(({ body }) => JSON.parse(body) as { subject: string; type: string });
        expect(events().map(({ subject }) => subject).sort()).toEqual([...tickets].sort());
        expect(moved.accepted.every((delivery) => signedBy(hook.secret, delivery))).toBe(true);
        await waitFor(async () => (await shown()).heldTickets.length === 0);

        // Other types from the checkpoint on; the server's concurrency when none is given.
        const types = ['recovery.ticket.info-requested.v1'];
        expect((await call('PUT', `/v1/webhooks/${hook.id}`, { token: integrator, body: { url: moved.url, types } })).body).toMatchObject({ types, concurrency: CONCURRENCY });
        await call('POST', `/v1/tickets/${tickets[0]}/assign`, { token: agent });
        await call('POST', `/v1/tickets/${tickets[0]}/request-info`, { token: agent, body: { question: 'Which package?' } });
        await submit('move-d');
        await waitFor(() => moved.accepted.length === 4);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(events().slice(3)).toEqual([expect.objectContaining({ subject: tickets[0], type: types[0] })]);
        expect(old.requests).toBe(refusedByOld);

        // The same settings again record nothing; a subscription's own concurrency bounds what is under way.
        const eventsInLog = async () => (await call('GET', '/v1/audit/verify', { token: ADMIN_TOKEN })).body.events as number;
        const logged = await eventsInLog();
        expect((await call('PUT', `/v1/webhooks/${hook.id}`, { token: integrator, body: { url: moved.url, types } })).status).toBe(200);
        expect(await eventsInLog()).toBe(logged);
        await call('PUT', `/v1/webhooks/${hook.id}`, { token: integrator, body: { url: moved.url, concurrency: 2 } });
        await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
        for (let i = 0; i < 6; i++) await submit(`backlog${i}`);
        moved.delayMs = 100;
        moved.mostAtOnce = 0;
        await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
        await waitFor(() => moved.accepted.length === 4 + 6);
        expect(moved.mostAtOnce).toBe(2);

        // Refused, naming the field, and nothing changed; an unknown subscription is not found.
        const loggedBeforeRefusals = await eventsInLog();
        for (const [body, field] of [[{ url: moved.url, concurrency: 0 }, 'concurrency'], [{ url: moved.url, concurrency: 33 }, 'concurrency'], [{ url: moved.url, concurrency: 1.5 }, 'concurrency'], [{ url: moved.url, concurrency: '2' }, 'concurrency'], [{ url: 'ftp://nope' }, 'url'], [{ types }, 'url'], [{ url: moved.url, types: [] }, 'types']] as const) {
          const refused = await call('PUT', `/v1/webhooks/${hook.id}`, { token: integrator, body });
          expect([JSON.stringify(body), refused.status, refused.body.errors?.map((error: { field: string }) => error.field)]).toEqual([JSON.stringify(body), 400, [field]]);
        }
        expect((await call('POST', '/v1/webhooks', { token: integrator, body: { url: moved.url, concurrency: 40 } })).body.errors).toEqual([{ field: 'concurrency', message: expect.stringContaining('from 1 to 32') }]);
        expect(await shown()).toMatchObject({ url: moved.url, concurrency: 2 });
        expect(await eventsInLog()).toBe(loggedBeforeRefusals);
        expect((await call('PUT', '/v1/webhooks/none', { token: integrator, body: { url: moved.url } })).status).toBe(404);
      } finally {
        await moved.stop();
      }
    }), 60000);

  it('refuses a change or a deletion sent with the revision of a subscription changed since (If-Match), so that two integrators do not overwrite each other', () =>
    withReceiver('none', { RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true' }, async (server, receiver) => {
      const call = client(server.url);
      const [ann, bob] = [await createStaff(call, 'integrator', 'Ann'), await createStaff(call, 'integrator', 'Bob')];
      const hook = (await call('POST', '/v1/webhooks', { token: ann, body: { url: receiver.url } })).body;
      const read = await call('GET', `/v1/webhooks/${hook.id}`, { token: ann });
      expect([read.headers.get('etag'), read.body.revision]).toEqual(['"0"', '0']);

      // Both read revision 0; Bob's change lands first, and Ann's, made on what she read, is refused.
      const bobs = await call('PUT', `/v1/webhooks/${hook.id}`, { token: bob, body: { url: `${receiver.url}?bob`, concurrency: 2 }, headers: { 'if-match': '"0"' } });
      expect([bobs.status, bobs.body.revision, bobs.body.url]).toEqual([200, '1', `${receiver.url}?bob`]);
      const eventsInLog = async () => (await call('GET', '/v1/audit/verify', { token: ADMIN_TOKEN })).body.events as number;
      const logged = await eventsInLog();
      const anns = await call('PUT', `/v1/webhooks/${hook.id}`, { token: ann, body: { url: `${receiver.url}?ann` }, headers: { 'if-match': '0' } });
      expect([anns.status, anns.body.type, anns.body.detail]).toEqual([412, 'https://reclaim.dev/problems/stale-revision', 'If-Match 0 is stale: the webhook is at revision 1.']);
      expect((await call('DELETE', `/v1/webhooks/${hook.id}`, { token: ann, headers: { 'if-match': '0' } })).status).toBe(412);
      const malformed = await call('PUT', `/v1/webhooks/${hook.id}`, { token: ann, body: { url: `${receiver.url}?ann` }, headers: { 'if-match': '"1' } });
      expect([malformed.status, malformed.body.errors]).toEqual([400, [{ field: 'If-Match', message: 'If-Match must be a revision number' }]]);
      expect(await eventsInLog()).toBe(logged);
      expect((await call('GET', `/v1/webhooks/${hook.id}`, { token: ann })).body).toMatchObject({ revision: '1', url: `${receiver.url}?bob`, concurrency: 2 });

      // Every change moves the revision, a disabling too; with the current one, or none, or `*`, it goes through.
      await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: bob });
      expect((await call('GET', `/v1/webhooks/${hook.id}`, { token: ann })).headers.get('etag')).toBe('"2"');
      const current = await call('PUT', `/v1/webhooks/${hook.id}`, { token: ann, body: { url: `${receiver.url}?ann` }, headers: { 'if-match': '2' } });
      expect([current.status, current.body.revision]).toEqual([200, '3']);
      expect((await call('PUT', `/v1/webhooks/${hook.id}`, { token: ann, body: { url: receiver.url } })).body.revision).toBe('4');
      expect((await call('DELETE', `/v1/webhooks/${hook.id}`, { token: bob, headers: { 'if-match': '*' } })).status).toBe(200);
    }));

  it(`holds at most ${MOST_WEBHOOKS} subscriptions at once, and takes a new one once one is deleted`, async () => {
    await withServer({ RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true' }, async (server) => {
      const call = client(server.url);
      const create = (n: number) => call('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url: `http://127.0.0.1:9/hook/${n}` }, headers: { 'idempotency-key': `create-${n}` } });
      const created = [];
      for (let n = 0; n < MOST_WEBHOOKS; n++) created.push(await create(n));
      // (The first refusal's answer, if any, says why.)
      expect(created.find((answer) => answer.status !== 201)?.body).toBeUndefined();
      const refused = await create(MOST_WEBHOOKS);
      expect([refused.status, refused.body.type]).toEqual([409, expect.stringMatching(/webhook-limit$/)]);
      expect(refused.body.detail).toContain(`At most ${MOST_WEBHOOKS} webhook subscriptions`);
      // A retry of one that went through answers as before, at the limit too.
      expect((await create(0)).body.id).toBe(created[0]!.body.id);
      expect((await call('GET', '/v1/webhooks', { token: ADMIN_TOKEN })).body.webhooks).toHaveLength(MOST_WEBHOOKS);
      await call('DELETE', `/v1/webhooks/${created[5]!.body.id}`, { token: ADMIN_TOKEN });
      expect((await create(MOST_WEBHOOKS + 1)).status).toBe(201);
    });
  }, 60000);

  it('refuses a target on this machine unless allowed, naming the field', async () => {
    await withServer({}, async (server) => {
      const call = client(server.url);
      const refused = await call('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'http://127.0.0.1:9/hook' } });
      expect(refused.status).toBe(422);
      expect(refused.body.errors[0].field).toBe('url');
      const badType = await call('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'https://example.org/x', types: ['recovery.ticket.note-added.v1'] } });
      expect(badType.status).toBe(400);
      expect(badType.body.errors[0].field).toBe('types');
      // An empty list would otherwise subscribe to every type, personal data included.
      const noTypes = await call('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'https://example.org/x', types: [] } });
      expect(noTypes.status).toBe(400);
      expect(noTypes.body.errors[0].field).toBe('types');
      const twice = await call('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'https://example.org/x', types: ['recovery.ticket.verified.v1', 'recovery.ticket.submitted.v1', 'recovery.ticket.verified.v1'] } });
      expect(twice.status).toBe(400);
      expect(twice.body.errors).toEqual([{ field: 'types', message: 'types must not name a type twice' }]);
      expect((await call('GET', '/v1/webhooks', { token: ADMIN_TOKEN })).body.webhooks).toEqual([]);
      expect((await call('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'ftp://example.org/x' } })).status).toBe(400);
    });
  }, 60000);
});

describe('SSE feed', () => {
  let server: RunningServer;
  let call: Call;
  let agent: string;
  let integrator: string;
  beforeAll(async () => {
    // A question left unanswered is reminded of after 8 s (the stories answer theirs at once).
    server = await startServer({ RECLAIM_REPLY_TIMEOUT: '16s' });
    call = client(server.url);
    agent = await createStaff(call, 'agent', 'Ada');
    integrator = await createStaff(call, 'integrator', 'P');
  }, 60000);
  afterAll(async () => {
    await server.stop();
    server.cleanUp();
  });

  function listen(lastEventId?: string, query = '') {
    const received: Array<{ id: string; event: CloudEvent & { subject: string; type: string } }> = [];
    const source = new EventSource(`${server.url}/v1/events${query}`, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${integrator}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } }),
    });
    const onMessage = (message: MessageEvent) => {
      const event = JSON.parse(message.data);
      checkDocumented(event);
      received.push({ id: message.lastEventId, event });
    };
    for (const type of PUBLIC_EVENT_TYPES) {
      source.addEventListener(type, onMessage as never);
    }
    return { source, received };
  }

  it('streams catch-up then live, and resumes with Last-Event-ID without loss or duplicate', async () => {
    const early = await story(call, agent, 'sse1');
    const first = listen();
    await waitFor(() => first.received.filter((m) => m.event.subject === early).length === EXPECTED_PER_TICKET.length);
    const live = await story(call, agent, 'sse2');
    await waitFor(() => first.received.some((m) => m.event.subject === live));
    first.source.close();
    const lastSeen = first.received[first.received.length - 1]!.id;
    const during = await story(call, agent, 'sse3'); // recorded while nobody listens
    // As a browser reconnects: to the URL it first opened (here from the start), with Last-Event-ID.
    const second = listen(lastSeen, '?after=0');
    await waitFor(() => second.received.filter((m) => m.event.subject === during).length === EXPECTED_PER_TICKET.length);
    second.source.close();
    const all = [...first.received, ...second.received];
    const ids = all.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length); // no duplicate
    expect(ids.map(BigInt)).toEqual([...ids.map(BigInt)].sort((a, b) => (a < b ? -1 : 1))); // in log order
    for (const ticketId of [early, live, during]) {
      expect(all.filter((m) => m.event.subject === ticketId).map((m) => m.event.type)).toEqual(EXPECTED_PER_TICKET);
    }
    for (const { event } of all) expect(() => new CloudEvent(event as never)).not.toThrow();
    expect(JSON.stringify(all)).not.toContain('SECRET-INTERNAL-NOTE');
  }, 60000);

  // Each event is checked against docs/openapi.json as it arrives (afterEach above); this story
  // makes sure that every public type arrives to be checked.
  it('sends every public type, each a CloudEvent as docs/openapi.json describes it', async () => {
    const username = 'documented';
    await call('PUT', `/v1/accounts/${username}`, { token: integrator, body: { primaryEmail: 'd@example.org', emails: [], packages: [] } });
    const [code] = (await call('POST', `/v1/accounts/${username}/recovery-codes`, { token: integrator })).body.codes;
    const submit = async (recoveryCode?: string) =>
      (await call('POST', '/v1/tickets', { body: { username, contactEmail: 'd@example.org', reason: 'lost-email', explanation: 'x', ...(recoveryCode && { recoveryCode }) } })).body.ticketId as string;
    await submit(code); // evidence recorded, the code used, verified by the system
    const rejected = await submit();
    await call('POST', `/v1/tickets/${rejected}/reject`, { token: agent, body: { reason: 'duplicate', note: 'filed twice' } });
    const released = await submit();
    await call('POST', `/v1/tickets/${released}/assign`, { token: agent });
    await call('POST', `/v1/tickets/${released}/release`, { token: agent });
    await story(call, agent, 'documented-story');
    const unanswered = await submit();
    await call('POST', `/v1/tickets/${unanswered}/request-info`, { token: agent, body: { question: 'Which phone?' } });
    const feed = listen(undefined, '?after=0');
    const types = () => new Set(feed.received.map(({ event }) => event.type));
    await waitFor(() => PUBLIC_EVENT_TYPES.every((type) => types().has(type)));
    feed.source.close();
    expect([...types()].sort()).toEqual([...PUBLIC_EVENT_TYPES].sort());
    // The platform learns where to tell the requester of a question, a reminder or a decision.
    const told = feed.received.filter(({ event }) => event.subject === unanswered).map(({ event }) => [event.type, (event.data as unknown as { contactEmail?: string }).contactEmail]);
    expect(told).toEqual([
      ['recovery.ticket.submitted.v1', 'd@example.org'],
      ['recovery.ticket.info-requested.v1', 'd@example.org'],
      ['recovery.ticket.reminded.v1', 'd@example.org'],
    ]);
    const rejection = feed.received.find(({ event }) => event.subject === rejected && event.type === 'recovery.ticket.rejected.v1')!;
    expect(rejection.event.data).toEqual({ ticketId: rejected, reason: 'duplicate', rejectedBy: 'staff', contactEmail: 'd@example.org' });
  }, 60000);

  it('filters by type, resumes after a position, and refuses what it cannot serve', async () => {
    const ticketId = await story(call, agent, 'sse4');
    const filtered = listen(undefined, '?types=recovery.ticket.verified.v1&after=0');
    await waitFor(() => filtered.received.some((m) => m.event.subject === ticketId));
    filtered.source.close();
    expect(new Set(filtered.received.map((m) => m.event.type))).toEqual(new Set(['recovery.ticket.verified.v1']));
    // A repeated parameter adds to the list, comma-separated or not.
    const repeated = listen(undefined, '?types=recovery.ticket.verified.v1&types=recovery.ticket.submitted.v1,recovery.ticket.rejected.v1&after=0');
    await waitFor(() => repeated.received.some((m) => m.event.subject === ticketId && m.event.type === 'recovery.ticket.verified.v1'));
    repeated.source.close();
    expect(repeated.received.filter((m) => m.event.subject === ticketId).map((m) => m.event.type)).toEqual(['recovery.ticket.submitted.v1', 'recovery.ticket.verified.v1']);
    expect((await call('GET', '/v1/events?types=recovery.ticket.note-added.v1', { token: integrator })).status).toBe(400);
    // An empty filter would otherwise mean every type.
    const noTypes = await call('GET', '/v1/events?types=', { token: integrator });
    expect(noTypes.status).toBe(400);
    expect(noTypes.body.errors[0].field).toBe('types');
    const twice = await call('GET', '/v1/events?types=recovery.ticket.verified.v1&types=recovery.ticket.verified.v1', { token: integrator });
    expect(twice.status).toBe(400);
    expect(twice.body.errors).toEqual([{ field: 'types', message: 'types must not name a type twice' }]);
    expect((await call('GET', '/v1/events', { token: agent })).status).toBe(403);
    expect((await call('GET', '/v1/events?after=x', { token: integrator })).status).toBe(400);
    // A position no event has would start the feed nowhere: past the end it would wait, skipping
    // every event until the log reached it.
    const beyond = String(BigInt((await call('GET', '/health')).body.head) + 1000n);
    const nowhere = await call('GET', `/v1/events?after=${beyond}`, { token: integrator });
    expect([nowhere.status, nowhere.body.errors]).toEqual([400, [{ field: 'after', message: "after must be an event's position (an id this feed sent), or 0 for the start" }]]);
    const resumedNowhere = await call('GET', '/v1/events', { token: integrator, headers: { 'last-event-id': beyond } });
    expect([resumedNowhere.status, resumedNowhere.body.errors?.[0].field]).toEqual([400, 'Last-Event-ID']);
  }, 30000);

  it('answers a page of the same events as JSON when asked with Accept: application/json, each with its position, paged and filtered as asked', async () => {
    const ticketId = await story(call, agent, 'paged');
    const streamed = listen(undefined, '?after=0');
    await waitFor(() => streamed.received.filter((m) => m.event.subject === ticketId).length === EXPECTED_PER_TICKET.length);
    streamed.source.close();
    const pageAfter = (after: string, query = '') => call('GET', `/v1/events?after=${after}${query}`, { token: integrator, headers: { accept: 'application/json' } });

    // The log page by page, `next` to `next`: the events the stream sent, in the same order.
    const paged: Array<{ position: string; event: CloudEvent & { subject: string; type: string } }> = [];
    let after = '0';
    let pages = 0;
    for (;;) {
      const page = await pageAfter(after, '&limit=2');
      expect([page.status, page.headers.get('content-type'), page.headers.get('vary')]).toEqual([200, 'application/json; charset=utf-8', 'Accept']);
      expect(page.body.events.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.events);
      pages++;
      if (!page.body.next) break;
      after = page.body.next;
    }
    expect(pages).toBeGreaterThan(2);
    const upTo = BigInt(streamed.received.at(-1)!.id);
    expect(paged.filter(({ position }) => BigInt(position) <= upTo).map(({ position, event }) => ({ id: position, event }))).toEqual(streamed.received);
    expect(JSON.stringify(paged)).not.toContain('SECRET-INTERNAL-NOTE');
    // After the last event: an empty page, and no next.
    expect((await pageAfter(paged.at(-1)!.position)).body).toEqual({ events: [] });

    // Filtered by type, a hundred at most unless told.
    const verified = (await pageAfter('0', '&types=recovery.ticket.verified.v1')).body.events as typeof paged;
    expect(new Set(verified.map(({ event }) => event.type))).toEqual(new Set(['recovery.ticket.verified.v1']));
    expect(verified.map(({ event }) => event.subject)).toContain(ticketId);
    expect((await pageAfter('0')).body.events.length).toBe(Math.min(100, paged.length));

    // A limit is for a page: refused on a stream, and out of bounds, naming the field.
    const onStream = await call('GET', '/v1/events?limit=5', { token: integrator });
    expect([onStream.status, onStream.body.errors]).toEqual([400, [{ field: 'limit', message: 'limit must be left out, unless the request has Accept: application/json' }]]);
    for (const limit of ['0', '1001', 'x']) expect((await pageAfter('0', `&limit=${limit}`)).body.errors?.map((e: { field: string }) => e.field)).toEqual(['limit']);
    expect((await call('GET', '/v1/events?after=0', { token: agent, headers: { accept: 'application/json' } })).status).toBe(403);
  }, 60000);

  it('tells integrators when a ticket is given back because its holder was deactivated', async () => {
    const leaving = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Leaving', role: 'agent' } })).body;
    const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: 'sse-release', contactEmail: 'r@example.org', reason: 'lost-email', explanation: 'x' } })).body;
    expect((await call('POST', `/v1/tickets/${ticketId}/assign`, { token: leaving.token })).status).toBe(200);
    const feed = listen(undefined, '?types=recovery.ticket.assigned.v1,recovery.ticket.released.v1&after=0');
    expect((await call('DELETE', `/v1/staff/${leaving.id}`, { token: ADMIN_TOKEN })).status).toBe(200);
    await waitFor(() => feed.received.some((m) => m.event.subject === ticketId && m.event.type === 'recovery.ticket.released.v1'));
    feed.source.close();
    expect(feed.received.filter((m) => m.event.subject === ticketId).map((m) => [m.event.type, m.event.data])).toEqual([
      ['recovery.ticket.assigned.v1', { ticketId, assignee: leaving.id }],
      ['recovery.ticket.released.v1', { ticketId, previousAssignee: leaving.id, because: 'assignee-deactivated' }],
    ]);
  });

  it('answers the stream with the headers of every other answer: no cache may keep it, and the request id', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/events?after=0`, { headers: { authorization: `Bearer ${integrator}`, 'x-request-id': 'feed-42' }, signal: controller.signal });
    controller.abort();
    expect(response.status).toBe(200);
    expect({
      type: response.headers.get('content-type'),
      cache: response.headers.get('cache-control'),
      sniff: response.headers.get('x-content-type-options'),
      id: response.headers.get('x-request-id'),
      vary: response.headers.get('vary'),
    }).toEqual({ type: 'text/event-stream; charset=utf-8', cache: 'no-store, no-transform', sniff: 'nosniff', id: 'feed-42', vary: 'Accept' });
  });

  it('answers HEAD with the stream\'s headers and no body, at once', async () => {
    const response = await fetch(`${server.url}/v1/events`, { method: 'HEAD', headers: { authorization: `Bearer ${integrator}` }, signal: AbortSignal.timeout(5000) });
    expect([response.status, response.headers.get('content-type'), await response.text()]).toEqual([200, 'text/event-stream; charset=utf-8', '']);
  });

  it('ends an open stream once its token is replaced, or its holder deactivated or given a role that does not integrate', async () => {
    for (const revoke of ['token', 'deactivate', 'role'] as const) {
      const created = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: `Revoked by ${revoke}`, role: 'integrator' } })).body;
      const head = (await call('GET', '/health')).body.head as string;
      const response = await fetch(`${server.url}/v1/events?after=${head}`, { headers: { authorization: `Bearer ${created.token}` } });
      expect(response.status).toBe(200);
      let received = '';
      const ended = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of response.body!) received += decoder.decode(chunk as Uint8Array);
      })();
      const revoked =
        revoke === 'token'
          ? await call('POST', `/v1/staff/${created.id}/token`, { token: ADMIN_TOKEN })
          : revoke === 'role'
            ? await call('POST', `/v1/staff/${created.id}/role`, { token: ADMIN_TOKEN, body: { role: 'auditor' } })
            : await call('DELETE', `/v1/staff/${created.id}`, { token: ADMIN_TOKEN });
      expect(revoked.status).toBeLessThan(300);
      // The next public event finds the credential revoked: the stream ends without it.
      const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: `revoked-${revoke}`, contactEmail: 'r@example.org', reason: 'lost-email', explanation: 'x' } })).body;
      if (!(await settlesWithin(ended, 10_000))) throw new Error(`the stream stayed open after ${revoke}`);
      expect(received).toContain(': reclaim event feed');
      expect(received).not.toContain(ticketId);
    }
  }, 30000);

  it('keeps the bootstrap admin\'s stream open as events arrive: its token comes from the configuration, not from a staff member', async () => {
    const head = (await call('GET', '/health')).body.head as string;
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/events?after=${head}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: 'admin-listens', contactEmail: 'a@example.org', reason: 'lost-email', explanation: 'x' } })).body;
    let received = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      received += decoder.decode(chunk as Uint8Array);
      if (received.includes(ticketId)) break;
    }
    controller.abort();
    expect(received).toContain(`"subject":"${ticketId}"`);
  });

  it('holds at most 10 open streams per credential, and frees a place when one closes', async () => {
    const many = await createStaff(call, 'integrator', 'Many');
    const open = async (token = many) => {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
      return { status: response.status, response, close: () => controller.abort() };
    };
    const streams = await Promise.all(Array.from({ length: 10 }, () => open()));
    expect(streams.map((s) => s.status)).toEqual(Array(10).fill(200));
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(refused.response.headers.get('retry-after')).toBe('5');
    expect(await refused.response.json()).toMatchObject({ status: 429, detail: expect.stringContaining('At most 10 event streams') });
    // Another credential is not held back.
    const other = await open(integrator);
    expect(other.status).toBe(200);
    other.close();
    streams[0]!.close();
    await waitFor(async () => {
      const again = await open();
      again.close();
      return again.status === 200;
    });
    for (const stream of streams.slice(1)) stream.close();
  }, 30000);
});
