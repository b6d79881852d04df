import Database from 'better-sqlite3';
import { SqliteEventStore, type Actor, type NewEvent } from '@reclaim/event-store';
import { everyProjector } from '@reclaim/integrations';
import { COUNTED_QUEUES, countQueues, ProjectionRunner, QUEUE_WHERE, queueCounts, TicketQueries, type QueueName } from '@reclaim/projections';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, percentile, perSecond, timed, timeEach, type Figure } from './support';

const meta = (at: string, actor: Actor = { kind: 'staff', id: 'agent-1' }) => ({ occurredAt: at, schemaVersion: 1, actor });

/** A realistic ticket story of five events, as the handlers write them (and with their actors). */
function story(t: number): NewEvent[] {
  const at = new Date(Date.UTC(2026, 0, 1) + t * 1000).toISOString();
  const id = (n: number) => `e-${t}-${n}`;
  return [
    {
      id: id(0), type: 'TicketSubmitted', metadata: meta(at, { kind: 'public', id: 'anonymous' }),
      data: { ticketId: `k${t}`, ticketNumber: t + 1, username: `user${t % 50_000}`, contactEmail: `user${t}@example.org`, previousEmails: [], reason: 'lost-2fa', explanation: 'I lost my phone with the authenticator app on it.', packages: ['left-pad'], accountKnown: true, critical: false, frozen: false, requesterTokenHash: 'f'.repeat(64) },
    },
    { id: id(1), type: 'TicketAssigned', metadata: meta(at), data: { assignee: 'agent-1', assignedBy: 'agent-1' } },
    { id: id(2), type: 'NoteAdded', metadata: meta(at), data: { body: 'Checked the package list against the registry.', author: 'agent-1' } },
    { id: id(3), type: 'InfoRequested', metadata: meta(at), data: { question: 'Which email address did you use before?', requestedBy: 'agent-1', contactEmail: `user${t}@example.org` } },
    { id: id(4), type: 'InfoProvided', metadata: meta(at, { kind: 'requester', id: `k${t}` }), data: { message: 'The one at my old employer.' } },
  ];
}

/** Fills a store with `tickets` stories (5 events each), appending many at once (group commit). */
export async function fill(store: SqliteEventStore, tickets: number): Promise<void> {
  for (let start = 0; start < tickets; start += 1000) {
    const batch = [];
    for (let t = start; t < Math.min(tickets, start + 1000); t++) batch.push(store.appendToStream(`ticket-k${t}`, story(t), { expectedRevision: 'no_stream' }));
    await Promise.all(batch);
  }
}

function topUpTickets(db: Database.Database, target: number): number {
  const { count, seq } = db.prepare('SELECT COUNT(*) AS count, MAX(seq) AS seq FROM ticket_views').get() as { count: number; seq: number };
  const insert = db.prepare(
    `INSERT INTO ticket_views (ticket_id, seq, ticket_number, state, open, username, reason, submitted_at, assignee, overdue, priority, requester_token_hash, decision_ms, view)
     VALUES (?, ?, ?, ?, ?, ?, 'lost-email', '2026-01-01T00:00:00.000Z', ?, ?, ?, '', ?, '{}')`,
  );
  const states = ['submitted', 'submitted', 'submitted', 'submitted', 'awaiting-info', 'verified', 'verified', 'rejected', 'rejected', 'rejected'];
  db.transaction(() => {
    for (let i = count; i < target; i++) {
      const state = states[i % states.length]!;
      const open = state === 'submitted' || state === 'awaiting-info' ? 1 : 0;
      insert.run(`synthetic-${i}`, seq + 5 * (i - count + 1), i + 1, state, open, `user${i % 50_000}`, `agent-${i % 50}`, i % 10 === 0 ? 1 : 0, i % 20 === 0 ? 'high' : 'normal', open ? null : 3_600_000 + (i % 1000));
    }
  })();
  return Math.max(count, target);
}

/**
 * Rebuilding the read models from the log, against the raw cost of reading and parsing the same
 * events table; and the queue page latency once the read model holds every ticket.
 */
export async function projectionBench(events: number): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-bench-projection-'));
  try {
    const store = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
    const tickets = Math.floor(events / 5);
    const filled = await timed(() => fill(store, tickets));
    process.stderr.write(`  wrote ${fmt(tickets * 5)} events in ${fmt(Number(filled.nanos) / 1e9, 1)} s\n`);

    // The baseline is measured before and after the rebuild and the two are averaged, so that
    // a change in the machine's speed during the run counts for both.
    const readAndParse = () => {
      const started = process.hrtime.bigint();
      const db = new Database(join(dir, 'reclaim.sqlite'), { readonly: true });
      let parsed = 0;
      for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate() as Iterable<{ data: string; metadata: string }>) {
        JSON.parse(row.data);
        JSON.parse(row.metadata);
        parsed++;
      }
      db.close();
      return perSecond(parsed, process.hrtime.bigint() - started);
    };
    const rawBefore = readAndParse();

    const runner = new ProjectionRunner(store, store.database, everyProjector());
    const rebuild = await timed(() => runner.catchUp());
    const rawRate = (rawBefore + readAndParse()) / 2;
    const rebuildRate = perSecond(tickets * 5, rebuild.nanos);

    // Queue pages are measured at a million tickets: the rebuilt read model is topped up with
    // rows of the same shape (the queue query reads only the indexed columns), which are then
    // counted as the projector would have counted them.
    const total = topUpTickets(store.database, 1_000_000);
    countQueues(store.database);
    const queries = new TicketQueries(store.database, store, { slaResponseMs: 7 * 86_400_000, replyTimeoutMs: 14 * 86_400_000 });
    const latencies: Record<string, number[]> = {};
    const rawLatencies: number[][] = [];
    for (const queue of ['submitted', 'mine', 'high-priority', 'verified'] as QueueName[]) {
      latencies[queue] = timeEach(500, () => queries.queue(queue, { viewer: 'agent-1', limit: 50, after: Math.floor(Math.random() * total * 5) }));
      // The raw baseline: the same index range read alone, with no clocks and no answer made of it.
      const raw = store.database.prepare(`SELECT seq, ticket_id, ticket_number, state, username, reason, submitted_at, assignee, overdue, priority FROM ticket_views WHERE ${QUEUE_WHERE[queue]} AND seq > @after ORDER BY seq LIMIT 51`);
      rawLatencies.push(timeEach(500, () => raw.all({ viewer: 'agent-1', after: Math.floor(Math.random() * total * 5) })));
    }
    const p99 = Math.max(...Object.values(latencies).map((samples) => percentile(samples, 99)));
    const rawP99 = Math.max(...rawLatencies.map((samples) => percentile(samples, 99)));

    // Every queue's count and the decided queues' medians (GET /v1/queues), against counting
    // each queue's rows, as that answer did before the projector kept the counts. No ticket is
    // decided meanwhile, so the first call finds the medians and the others reuse them.
    const stats = timeEach(50, () => queries.stats('agent-1'));
    const counting = timeEach(10, () => {
      for (const { where } of Object.values(COUNTED_QUEUES)) store.database.prepare(`SELECT COUNT(*) FROM ticket_views WHERE ${where}`).get();
    });

    // Finding tickets (GET /v1/tickets) by a random username (about 20 tickets each) or number,
    // against the same username found by reading every row, as it would be without its index.
    const someUser = () => `user${Math.floor(Math.random() * 50_000)}`;
    const finds = [
      ...timeEach(500, () => queries.find({ username: someUser() }, { limit: 50 })),
      ...timeEach(500, () => queries.find({ ticketNumber: 1 + Math.floor(Math.random() * total) }, { limit: 50 })),
    ];
    const scanning = timeEach(10, () => store.database.prepare('SELECT * FROM ticket_views NOT INDEXED WHERE username = ? ORDER BY seq LIMIT 51').all(someUser()));

    // A requester's place in the queue (their view of a submitted ticket), for random tickets of
    // the 400,000 waiting, against counting from the index the submitted tickets before each, as
    // the place was found before the counts by stretch of the log.
    const waiting = store.database.prepare("SELECT ticket_id AS ticketId, seq FROM ticket_views WHERE state = 'submitted' ORDER BY random() LIMIT 500").all() as Array<{ ticketId: string; seq: number }>;
    let next = 0;
    const places = timeEach(500, () => queries.queuePosition(waiting[next++ % waiting.length]!.ticketId));
    const countAhead = store.database.prepare("SELECT COUNT(*) FROM ticket_views WHERE state = 'submitted' AND seq < ?").pluck();
    const countingAhead = timeEach(100, () => countAhead.get(waiting[next++ % waiting.length]!.seq));
    const waitingCount = queueCounts(store.database).submitted;

    // Tickets of a reason no ticket has (GET /v1/tickets?reason=), the longest walk there was,
    // against the same condition in arrival order, as it was read before each state's tickets of
    // the reason were read apart.
    const ofReason = timeEach(200, () => queries.find({ reason: 'username-change' }, { limit: 50 }));
    const walkingReason = timeEach(10, () => store.database.prepare("SELECT seq FROM ticket_views WHERE reason = 'username-change' AND seq > -1 ORDER BY seq LIMIT 51").all());
    await store.close();
    return [
      {
        name: `Projection rebuild (${fmt(tickets * 5)} events)`,
        value: `${fmt(rebuildRate)} events/s, ${fmt(Number(rebuild.nanos) / 1e9, 1)} s in all`,
        baseline: `${fmt(rawRate)} events/s raw read-and-parse (mean of before and after)`,
        ratio: rebuildRate / rawRate,
        target: '≥ 50%',
        met: rebuildRate / rawRate >= 0.5,
      },
      {
        name: `Queue page p99 at ${fmt(total)} tickets (50 items, random cursor; submitted, mine, high-priority, verified)`,
        value: `${p99.toFixed(2)} ms (p50 ${percentile(latencies.submitted!, 50).toFixed(2)} ms)`,
        baseline: `${rawP99.toFixed(2)} ms reading the same index range alone (p99)`,
        ratio: rawP99 / p99,
        target: '< 10 ms',
        met: p99 < 10,
      },
      {
        name: `Queue counts and medians (GET /v1/queues) at ${fmt(total)} tickets (no decision during the 50 calls: the medians are found by the first)`,
        value: `p50 ${percentile(stats, 50).toFixed(2)} ms, p99 ${percentile(stats, 99).toFixed(2)} ms`,
        baseline: `${percentile(counting, 50).toFixed(2)} ms counting each queue's rows (p50)`,
        ratio: percentile(counting, 50) / percentile(stats, 50),
      },
      {
        name: `A requester's place in the queue at ${fmt(total)} tickets, ${fmt(waitingCount)} waiting (random tickets)`,
        value: `p50 ${percentile(places, 50).toFixed(2)} ms, p99 ${percentile(places, 99).toFixed(2)} ms`,
        baseline: `${percentile(countingAhead, 50).toFixed(2)} ms counting the tickets ahead from the index (p50)`,
        ratio: percentile(countingAhead, 50) / percentile(places, 50),
      },
      {
        name: `Tickets of a reason none has (GET /v1/tickets?reason=) at ${fmt(total)} tickets`,
        value: `p50 ${percentile(ofReason, 50).toFixed(2)} ms, p99 ${percentile(ofReason, 99).toFixed(2)} ms`,
        baseline: `${percentile(walkingReason, 50).toFixed(2)} ms walking every ticket in arrival order (p50)`,
        ratio: percentile(walkingReason, 50) / percentile(ofReason, 50),
      },
      {
        name: `Finding tickets by username or number (GET /v1/tickets) at ${fmt(total)} tickets`,
        value: `p50 ${percentile(finds, 50).toFixed(2)} ms, p99 ${percentile(finds, 99).toFixed(2)} ms`,
        baseline: `${percentile(scanning, 50).toFixed(2)} ms reading every row for a username (p50)`,
        ratio: percentile(scanning, 50) / percentile(finds, 50),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
