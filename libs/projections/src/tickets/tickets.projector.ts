import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@reclaim/event-store';
import { ACCOUNT_STREAM_PREFIX, addressKey, restoreTicketState, serialiseTicketState, TICKET_STREAM_PREFIX, TICKET_TIMERS, ticketTimerAnchors, type TicketEvent, type TimerAnchors } from '@reclaim/recovery';
import type { Projector } from '../projector';
import { foldTicketView, type FoldedTicketView, type TicketView } from './ticket-view';
import { prepared } from '../prepared';
import { COUNTED_QUEUES, countedQueuesOf, type CountedQueue } from './counted-queues';
import { ticketFollowUps, type FollowUpReason } from './ticket-follow-ups';

/** What the follow-ups ask of an open ticket. */
type OpenTicket = Pick<TicketView, 'reason' | 'priority'>;

interface PendingView extends FoldedTicketView {
  /** Arrival sequence (position of TicketSubmitted). */
  seq: bigint;
  /** What the stored row's other columns (`rowColumns`), timers and counted queues hold, when the row exists. */
  stored?: { columns: string; anchors: string; queues: CountedQueue[] };
}

/**
 * The columns beside the view that an event can change (all indexed); a note changes none, so it
 * rewrites no index.
 */
const rowColumns = (view: TicketView) =>
  JSON.stringify([view.state, view.assignee ?? null, view.overdue, view.priority, view.decision?.at ?? null, view.lifecycle.requesterTokenHash, firstApprover(view)]);

/** Who gave an open ticket's first approval, where one counts (a critical account's, awaiting the second). */
const firstApprover = (view: TicketView): string | null => (view.decision ? null : (view.approvals[0]?.approver ?? null));

/**
 * Positions of the log a row of `ticket_submitted_counts` covers. A requester's place in the queue
 * counts the submitted tickets that arrived before theirs: those of the stretches before their
 * ticket's from these counts, those of its own stretch from the index. At 400,000 waiting, counting
 * them all from the index took 12 ms a requester view; a stretch holds at most a few thousand.
 */
export const SUBMITTED_STRETCH = 16_384;

/**
 * The `ticket_views` read model (staff view, queue columns, requester token hash) and the
 * `ticket_timers` and `ticket_follow_ups` due-work lists, kept in one transaction with the checkpoint.
 */
export class TicketsProjector implements Projector {
  readonly name = 'tickets';
  // 2: views keep what the requester's view shows of revision and time (`requesterRevision`).
  // 3: the machine's context counts the follow-ups that wait for staff.
  // 4: the system's follow-ups (`ticket_follow_ups`), also of verifications made before it.
  // 5: a ticket of high priority has its own SLA timer (`overdue-high`); the unclaimed queue is counted.
  // 6: a view no longer keeps the tickets linked to it (read from their `duplicate_of` instead).
  readonly version = 6;

  setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ticket_views (
        ticket_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,               -- position of TicketSubmitted: arrival order and cursor
        ticket_number INTEGER NOT NULL,
        state TEXT NOT NULL,
        open INTEGER NOT NULL,
        username TEXT NOT NULL,
        reason TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        assignee TEXT,
        overdue INTEGER NOT NULL,
        priority TEXT NOT NULL,
        duplicate_of TEXT,
        requester_token_hash TEXT NOT NULL,
        decision_ms INTEGER,
        view TEXT NOT NULL,
        first_approver TEXT,
        contact_email TEXT                  -- the requester's address, in lower case: staff find tickets by it
      );
      CREATE UNIQUE INDEX IF NOT EXISTS ticket_views_seq ON ticket_views (seq);
      CREATE INDEX IF NOT EXISTS ticket_views_state ON ticket_views (state, seq);
      -- A queue of one reason's tickets (a team that works lost second factors, say).
      CREATE INDEX IF NOT EXISTS ticket_views_reason ON ticket_views (state, reason, seq);
      CREATE INDEX IF NOT EXISTS ticket_views_overdue ON ticket_views (state, overdue, seq);
      CREATE INDEX IF NOT EXISTS ticket_views_priority ON ticket_views (open, priority, seq);
      CREATE INDEX IF NOT EXISTS ticket_views_assignee ON ticket_views (assignee, open, seq);
      CREATE INDEX IF NOT EXISTS ticket_views_decision ON ticket_views (state, decision_ms);
      CREATE INDEX IF NOT EXISTS ticket_views_duplicates ON ticket_views (duplicate_of);
      -- Finding tickets (GET /v1/tickets): those filed under a username, the one with a number.
      CREATE INDEX IF NOT EXISTS ticket_views_username ON ticket_views (username, seq);
      CREATE INDEX IF NOT EXISTS ticket_views_number ON ticket_views (ticket_number);
      -- The ticket a requester token opens, for the access guard.
      CREATE INDEX IF NOT EXISTS ticket_views_requester_token ON ticket_views (requester_token_hash);
      CREATE TABLE IF NOT EXISTS ticket_timers (
        ticket_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        anchor_ms INTEGER NOT NULL,         -- due at anchor + the configured duration
        PRIMARY KEY (ticket_id, kind)
      );
      CREATE INDEX IF NOT EXISTS ticket_timers_due ON ticket_timers (kind, anchor_ms);
    `);
    ticketFollowUps.setup(db);
    // Only the few rows that have one are written.
    const approver = "json_extract(view, '$.approvals[0].approver')";
    addViewColumn(db, 'first_approver', `UPDATE ticket_views SET first_approver = ${approver} WHERE open = 1 AND ${approver} IS NOT NULL`);
    // Keyed as the queries key it (SQLite's lower() would leave letters beyond ASCII as they are).
    db.function('address_key', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? addressKey(text) : null));
    addViewColumn(db, 'contact_email', "UPDATE ticket_views SET contact_email = address_key(json_extract(view, '$.contactEmail'))");
    db.exec('CREATE INDEX IF NOT EXISTS ticket_views_contact_email ON ticket_views (contact_email, seq)');
    // A deactivation asks whose first approvals these are; few tickets have one, so few rows are indexed.
    db.exec('CREATE INDEX IF NOT EXISTS ticket_views_first_approver ON ticket_views (first_approver) WHERE first_approver IS NOT NULL');
    // Files from before the counts have views and no counts: they are counted once, in the same
    // write transaction as the table is made, so that no page moves the rows meanwhile.
    // (And the submitted tickets of each stretch of the log, kept since 2026-11-29.)
    db.transaction(() => {
      const exists = (table: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
      if (exists('ticket_queue_counts') && exists('ticket_submitted_counts')) return;
      db.exec(`CREATE TABLE IF NOT EXISTS ticket_queue_counts (queue TEXT PRIMARY KEY, count INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS ticket_submitted_counts (stretch INTEGER PRIMARY KEY, count INTEGER NOT NULL)`);
      countQueues(db);
    }).immediate();
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM ticket_views; DELETE FROM ticket_timers; DELETE FROM ticket_queue_counts; DELETE FROM ticket_submitted_counts; DELETE FROM ticket_follow_ups;');
  }

  /** Views folded during the current page, written once each at its end. */
  private readonly pending = new Map<string, PendingView>();
  /** How the page's writes change each counted queue's size. */
  private readonly countChanges = new Map<CountedQueue, number>();
  /** How they change the submitted tickets of each stretch of the log. */
  private readonly stretchChanges = new Map<number, number>();
  /** The tickets filed during the current page, by username: they have no row to find them by yet. */
  private readonly filedInPage = new Map<string, string[]>();

  apply(db: Database.Database, event: RecordedEvent): void {
    if (event.type === 'AccountRemoved' && event.streamName.startsWith(ACCOUNT_STREAM_PREFIX)) {
      return this.followUpOpen(db, (event.data as { username: string }).username, () => 'account-removed');
    }
    if (!event.streamName.startsWith(TICKET_STREAM_PREFIX)) return;
    const ticketId = event.streamName.slice(TICKET_STREAM_PREFIX.length);
    const submitted = event.type === 'TicketSubmitted' ? (event as unknown as Extract<TicketEvent, { type: 'TicketSubmitted' }>).data : undefined;
    // A submission starts its ticket, so there is no row to look up (a lookup that misses costs
    // as much as a hit, in an index of every ticket id).
    const current = submitted ? undefined : (this.pending.get(ticketId) ?? this.load(db, ticketId));
    const folded = foldTicketView(current, event);
    if (!folded) return;
    this.pending.set(ticketId, {
      view: folded.view,
      state: folded.state,
      seq: submitted ? event.position : (current?.seq ?? 0n),
      stored: current?.stored,
    });
    if (submitted) {
      const filed = this.filedInPage.get(submitted.username);
      if (filed) filed.push(ticketId);
      else this.filedInPage.set(submitted.username, [ticketId]);
    }
    if (event.type === 'TicketVerified') this.followUpOpen(db, folded.view.username, afterRecovery, folded.view.ticketNumber);
  }

  /**
   * Lists a follow-up for each of the username's tickets still open at this point of the log,
   * those stored open and those filed during this page, as `what` says of each (none: nothing to
   * do), judged by the row's columns. One decided or raised earlier in this page (the verified one
   * itself, say) is stored as it was: its follow-ups leave the list when its write comes, at the
   * page's end (`ticketFollowUps.done`).
   */
  private followUpOpen(db: Database.Database, username: string, what: (ticket: OpenTicket) => FollowUpReason | undefined, throughTicketNumber?: number): void {
    const stored = prepared(db, 'SELECT ticket_id AS ticketId, reason, priority FROM ticket_views WHERE username = ? AND open = 1').all(username) as Array<OpenTicket & { ticketId: string }>;
    const filed = (this.filedInPage.get(username) ?? []).map((ticketId) => this.pending.get(ticketId)!.view);
    for (const ticket of [...stored, ...filed]) {
      const because = what(ticket);
      if (because) ticketFollowUps.add(db, ticket.ticketId, because, throughTicketNumber);
    }
  }

  flush(db: Database.Database): void {
    for (const [ticketId, pending] of this.pending) this.write(db, ticketId, pending);
    for (const [queue, change] of this.countChanges) {
      if (change !== 0) prepared(db, ADD_TO_COUNT).run(queue, change);
    }
    for (const [stretch, change] of this.stretchChanges) {
      if (change !== 0) prepared(db, ADD_TO_STRETCH).run(stretch, change);
    }
    this.discard();
  }

  discard(): void {
    this.pending.clear();
    this.countChanges.clear();
    this.stretchChanges.clear();
    this.filedInPage.clear();
  }

  private load(db: Database.Database, ticketId: string): PendingView | undefined {
    const row = prepared(db, 'SELECT seq, view FROM ticket_views WHERE ticket_id = ?').get(ticketId) as { seq: number; view: string } | undefined;
    if (!row) return undefined;
    const view = JSON.parse(row.view) as TicketView;
    const state = restoreTicketState(view.lifecycle);
    return { view, state, seq: BigInt(row.seq), stored: { columns: rowColumns(view), anchors: JSON.stringify(ticketTimerAnchors(state)), queues: countedQueuesOf(view) } };
  }

  private write(db: Database.Database, ticketId: string, { view, state, seq, stored }: PendingView): void {
    view.lifecycle = serialiseTicketState(state);
    const queues = countedQueuesOf(view);
    for (const queue of queues) if (!stored?.queues.includes(queue)) this.countChange(queue, 1);
    for (const queue of stored?.queues ?? []) if (!queues.includes(queue)) this.countChange(queue, -1);
    const waiting = Number(queues.includes('submitted')) - Number(!!stored?.queues.includes('submitted'));
    if (waiting !== 0) {
      const stretch = Math.floor(Number(seq) / SUBMITTED_STRETCH);
      this.stretchChanges.set(stretch, (this.stretchChanges.get(stretch) ?? 0) + waiting);
    }
    const anchors = ticketTimerAnchors(state);
    if (stored?.anchors !== JSON.stringify(anchors)) writeTimers(db, ticketId, anchors);
    if (stored && stored.columns === rowColumns(view)) {
      prepared(db, 'UPDATE ticket_views SET view = ? WHERE ticket_id = ?').run(JSON.stringify(view), ticketId);
      return;
    }
    const decisionMs = view.decision ? Date.parse(view.decision.at) - Date.parse(view.submittedAt) : null;
    ticketFollowUps.done(db, ticketId, view);
    prepared(db, UPSERT_VIEW).run({
      ticketId,
      seq,
      ticketNumber: view.ticketNumber,
      state: view.state,
      open: view.decision ? 0 : 1,
      username: view.username,
      reason: view.reason,
      submittedAt: view.submittedAt,
      assignee: view.assignee ?? null,
      overdue: view.overdue ? 1 : 0,
      priority: view.priority,
      duplicateOf: view.duplicateOf ?? null,
      tokenHash: state.requesterTokenHash ?? '',
      decisionMs,
      view: JSON.stringify(view),
      firstApprover: firstApprover(view),
      contactEmail: addressKey(view.contactEmail),
    });
  }

  private countChange(queue: CountedQueue, change: number): void {
    this.countChanges.set(queue, (this.countChanges.get(queue) ?? 0) + change);
  }
}

/**
 * Once access is restored through one ticket, the other open tickets of its username are closed as
 * duplicates, but for a report of a compromise: it may be about that very recovery, so it is
 * raised to high priority for a person to read.
 */
function afterRecovery(ticket: OpenTicket): FollowUpReason | undefined {
  if (ticket.reason !== 'account-compromise') return 'account-recovered';
  return ticket.priority === 'high' ? undefined : 'recovered-while-reported';
}

const UPSERT_VIEW = `INSERT INTO ticket_views (ticket_id, seq, ticket_number, state, open, username, reason, submitted_at, assignee, overdue,
    priority, duplicate_of, requester_token_hash, decision_ms, view, first_approver, contact_email)
  VALUES (@ticketId, @seq, @ticketNumber, @state, @open, @username, @reason, @submittedAt, @assignee, @overdue,
    @priority, @duplicateOf, @tokenHash, @decisionMs, @view, @firstApprover, @contactEmail)
  ON CONFLICT (ticket_id) DO UPDATE SET state = excluded.state, open = excluded.open, assignee = excluded.assignee,
    overdue = excluded.overdue, priority = excluded.priority, requester_token_hash = excluded.requester_token_hash,
    decision_ms = excluded.decision_ms, view = excluded.view, first_approver = excluded.first_approver`;

const ADD_TO_COUNT = `INSERT INTO ticket_queue_counts (queue, count) VALUES (?, ?)
  ON CONFLICT (queue) DO UPDATE SET count = count + excluded.count`;

const ADD_TO_STRETCH = `INSERT INTO ticket_submitted_counts (stretch, count) VALUES (?, ?)
  ON CONFLICT (stretch) DO UPDATE SET count = count + excluded.count`;

/** Counts each counted queue's rows, and the submitted tickets of each stretch of the log, afresh (for a file from before the counts were kept). */
export function countQueues(db: Database.Database): void {
  for (const [queue, { where }] of Object.entries(COUNTED_QUEUES)) {
    db.prepare(`INSERT OR REPLACE INTO ticket_queue_counts (queue, count) SELECT ?, COUNT(*) FROM ticket_views WHERE ${where}`).run(queue);
  }
  db.exec(`DELETE FROM ticket_submitted_counts;
    INSERT INTO ticket_submitted_counts (stretch, count) SELECT seq / ${SUBMITTED_STRETCH}, COUNT(*) FROM ticket_views WHERE state = 'submitted' GROUP BY 1`);
}

/** The size of each counted queue. */
export function queueCounts(db: Database.Database): Record<CountedQueue, number> {
  const rows = prepared(db, 'SELECT queue, count FROM ticket_queue_counts').all() as Array<{ queue: CountedQueue; count: number }>;
  const counts = Object.fromEntries(Object.keys(COUNTED_QUEUES).map((queue) => [queue, 0])) as Record<CountedQueue, number>;
  for (const { queue, count } of rows) counts[queue] = count;
  return counts;
}

/**
 * Adds a column to `ticket_views` on a file from before it, filled from the stored views by
 * `fill`, once: in the write transaction that finds it missing, so that processes starting
 * together on the file add it once and no page moves the rows meanwhile.
 */
function addViewColumn(db: Database.Database, column: string, fill: string): void {
  db.transaction(() => {
    const columns = db.pragma('table_info(ticket_views)') as Array<{ name: string }>;
    if (columns.some(({ name }) => name === column)) return;
    db.exec(`ALTER TABLE ticket_views ADD COLUMN ${column} TEXT; ${fill}`);
  }).immediate();
}

function writeTimers(db: Database.Database, ticketId: string, anchors: TimerAnchors): void {
  prepared(db, 'DELETE FROM ticket_timers WHERE ticket_id = ?').run(ticketId);
  for (const kind of TICKET_TIMERS) {
    const anchor = anchors[kind];
    if (anchor !== undefined) prepared(db, 'INSERT INTO ticket_timers (ticket_id, kind, anchor_ms) VALUES (?, ?, ?)').run(ticketId, kind, anchor);
  }
}

export function readView(db: Database.Database, ticketId: string): TicketView | undefined {
  const row = prepared(db, 'SELECT view FROM ticket_views WHERE ticket_id = ?').get(ticketId) as { view: string } | undefined;
  return row ? (JSON.parse(row.view) as TicketView) : undefined;
}
