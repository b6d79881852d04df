import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { client, createStaff, startServer, waitFor } from '../test/support/server';
import { fmt, perSecond, timed, type Figure } from './support';

/** How long the receiver takes to answer: a platform's endpoint a short network hop away. */
const RECEIVER_MS = 20;

/** A receiver that answers 204 after RECEIVER_MS, and counts the events it took. */
async function slowReceiver() {
  let taken = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () =>
      setTimeout(() => {
        taken++;
        response.writeHead(204).end();
      }, RECEIVER_MS),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    taken: () => taken,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Webhook deliveries a second to a receiver that takes RECEIVER_MS an answer, from a backlog of
 * `events` events, at the default concurrency and one at a time; each against the raw
 * baseline of the same number of signed-size bodies POSTed to the same receiver by a plain loop,
 * as many at once. What the dispatcher adds: reading the log, signing, recording each attempt.
 */
export async function webhooksBench(events: number): Promise<Figure[]> {
  const receiver = await slowReceiver();
  try {
    const figures: Figure[] = [];
    // One event a ticket (submissions), and three in a row (filed, claimed, asked), whose later
    // two wait for the first while other tickets' go.
    for (const [concurrency, perTicket] of [[8, 1], [8, 3], [1, 1]] as const) {
      const raw = await plainPosts(receiver.url, events, concurrency);
      const rate = await delivered(receiver, events, concurrency, perTicket);
      figures.push({
        name: `Webhook deliveries, receiver answering in ${RECEIVER_MS} ms, ${concurrency === 1 ? 'one at a time' : `${concurrency} at once`} (RECLAIM_WEBHOOK_CONCURRENCY=${concurrency}), ${perTicket === 1 ? 'one event a ticket' : `${perTicket} events of a ticket in a row`}`,
        value: `${fmt(rate)} events/s`,
        baseline: `${fmt(raw)} plain POSTs/s, ${concurrency} at once`,
        ratio: rate / raw,
      });
    }
    return figures;
  } finally {
    await receiver.stop();
  }
}

/**
 * The rate at which a server delivers a backlog of `events` events to the receiver: submissions,
 * or with `perTicket` 3, each ticket filed, claimed and asked a question in a row.
 */
async function delivered(receiver: Awaited<ReturnType<typeof slowReceiver>>, events: number, concurrency: number, perTicket: 1 | 3): Promise<number> {
  const server = await startServer({ RECLAIM_SUBMISSION_LIMIT: '100000000/h', RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true', RECLAIM_WEBHOOK_CONCURRENCY: String(concurrency) });
  try {
    const call = client(server.url);
    const integrator = await createStaff(call, 'integrator', 'Bench');
    const agent = await createStaff(call, 'agent', 'Bench');
    const types = ['recovery.ticket.submitted.v1', 'recovery.ticket.assigned.v1', 'recovery.ticket.info-requested.v1'].slice(0, perTicket);
    const hook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: receiver.url, types } })).body;
    // The backlog is whole before sending starts.
    await call('POST', `/v1/webhooks/${hook.id}/disable`, { token: integrator });
    for (let i = 0; i < events / perTicket; i++) {
      const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: `hook${i}`, contactEmail: 'h@example.org', reason: 'lost-email', explanation: 'x' } })).body;
      if (perTicket === 1) continue;
      await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent });
      await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: agent, body: { question: 'Which phone?' } });
    }
    const before = receiver.taken();
    const { nanos } = await timed(async () => {
      await call('POST', `/v1/webhooks/${hook.id}/enable`, { token: integrator });
      await waitFor(() => receiver.taken() - before >= events, 600_000);
    });
    return perSecond(events, nanos);
  } finally {
    await server.stop();
  }
}

/** POSTs `count` bodies the size of a delivery to the receiver, `concurrency` at once; answers the rate. */
async function plainPosts(url: string, count: number, concurrency: number): Promise<number> {
  const body = JSON.stringify({ specversion: '1.0', id: 'x'.repeat(36), type: 'recovery.ticket.submitted.v1', data: { note: 'x'.repeat(300) } });
  let next = 0;
  const { nanos } = await timed(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
      }),
    ),
  );
  return perSecond(count, nanos);
}
