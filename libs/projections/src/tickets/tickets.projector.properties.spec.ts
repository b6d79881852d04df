import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { RecordedEvent } from '@reclaim/event-store';
import { ticketTimerAnchors, restoreTicketState } from '@reclaim/recovery';
import { playTicketHistory, ticketHistory } from '@reclaim/recovery/testing';
import { evolveTicketView } from './ticket-view';
import { COUNTED_QUEUES } from './counted-queues';
import { TicketQueries } from '../queries/ticket-queries';
import { queueCounts, readView, SUBMITTED_STRETCH, TicketsProjector } from './tickets.projector';

/**
 * The tickets projector on a real SQLite database, fed several tickets' random histories
 * interleaved in a random log order and cut into pages of random sizes: after every page, each
 * ticket's stored view, its indexed columns and its timers are what folding its events from
 * scratch gives, and the queues' counts are what counting the rows gives. Pages split tickets, so views are loaded back from rows, and events that change
 * no indexed column take the path that rewrites only the view.
 */
const log = fc
  .array(ticketHistory, { minLength: 1, maxLength: 4 })
  .chain((histories) => {
    const streams = histories.map((history, i) => playTicketHistory(history, `t-${i}`).stored);
    const total = streams.reduce((sum, events) => sum + events.length, 0);
    // Which ticket's next event comes next in the log, and where pages end.
    return fc.record({
      streams: fc.constant(streams),
      order: fc.array(fc.nat({ max: streams.length - 1 }), { minLength: total, maxLength: total }),
      pageEnds: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: total, maxLength: total }),
    });
  })
  .map(({ streams, order, pageEnds }) => {
    const queues = streams.map((events) => [...events]);
    const events: RecordedEvent[] = [];
    for (const pick of order) {
      const queue = queues.find((q, i) => i >= pick && q.length) ?? queues.find((q) => q.length)!;
      // Positions far apart, as where other streams' events come between: tickets in many stretches of the log.
      events.push({ ...queue.shift()!, position: BigInt((events.length + 1) * 7919) });
    }
    const pages: RecordedEvent[][] = [];
    for (let start = 0, i = 0; start < events.length; start += pageEnds[i++]!) pages.push(events.slice(start, start + pageEnds[i]!));
    return pages;
  });

describe('tickets projector on random histories', () => {
  it('stores, page after page, the view, columns and timers that folding each ticket from scratch gives, and counts the queues and the submitted tickets of each stretch of the log', () => {
    fc.assert(
      fc.property(log, (pages) => {
        const db = new Database(':memory:');
        const projector = new TicketsProjector();
        projector.setup(db);
        // (The store is for histories, which this does not read.)
        const queries = new TicketQueries(db, undefined as never, { slaResponseMs: 7 * 86_400_000, replyTimeoutMs: 14 * 86_400_000 });
        const applied: RecordedEvent[] = [];
        try {
          for (const page of pages) {
            db.transaction(() => {
              for (const event of page) projector.apply(db, event);
              projector.flush(db);
            })();
            applied.push(...page);
            for (const ticketId of new Set(page.map((event) => event.streamName.slice('ticket-'.length)))) {
              const expected = applied.filter((event) => event.streamName === `ticket-${ticketId}`).reduce(evolveTicketView, undefined)!;
              expect(readView(db, ticketId)).toEqual(JSON.parse(JSON.stringify(expected)));
              const row = db.prepare('SELECT state, open, assignee, overdue, priority, requester_token_hash, decision_ms FROM ticket_views WHERE ticket_id = ?').get(ticketId);
              expect(row).toEqual({
                state: expected.state,
                open: expected.decision ? 0 : 1,
                assignee: expected.assignee ?? null,
                overdue: expected.overdue ? 1 : 0,
                priority: expected.priority,
                requester_token_hash: expected.lifecycle.requesterTokenHash,
                decision_ms: expected.decision ? Date.parse(expected.decision.at) - Date.parse(expected.submittedAt) : null,
              });
              const timers = db.prepare('SELECT kind, anchor_ms FROM ticket_timers WHERE ticket_id = ?').all(ticketId) as Array<{ kind: string; anchor_ms: number }>;
              const anchors = Object.fromEntries(Object.entries(ticketTimerAnchors(restoreTicketState(expected.lifecycle))).filter(([, at]) => at !== undefined));
              expect(Object.fromEntries(timers.map((timer) => [timer.kind, timer.anchor_ms]))).toEqual(anchors);
            }
            // The queues' counts are what counting the stored rows gives.
            const counted = Object.fromEntries(
              Object.entries(COUNTED_QUEUES).map(([queue, { where }]) => [queue, (db.prepare(`SELECT COUNT(*) AS n FROM ticket_views WHERE ${where}`).get() as { n: number }).n]),
            );
            expect(queueCounts(db)).toEqual(counted);
            // And so are the submitted tickets of each stretch of the log.
            const stretches = db.prepare('SELECT stretch, count FROM ticket_submitted_counts WHERE count != 0 ORDER BY stretch').all();
            expect(stretches).toEqual(db.prepare(`SELECT seq / ${SUBMITTED_STRETCH} AS stretch, COUNT(*) AS count FROM ticket_views WHERE state = 'submitted' GROUP BY 1 ORDER BY 1`).all());
            // A requester's place is one more than the submitted tickets that arrived before theirs.
            const waiting = db.prepare("SELECT ticket_id FROM ticket_views WHERE state = 'submitted' ORDER BY seq").pluck().all() as string[];
            expect(waiting.map((ticketId) => queries.queuePosition(ticketId))).toEqual(waiting.map((_, i) => i + 1));
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});
