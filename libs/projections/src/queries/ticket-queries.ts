import type Database from 'better-sqlite3';
import type { EventStore } from '@reclaim/event-store';
import { addressKey, streams, type TicketPolicy, type TicketTimer } from '@reclaim/recovery';
import { TICKET_STATES } from '@reclaim/state-machines';
import { activitySubject, staffActivity, type ActivitySubject } from '../activity/staff-activity.projector';
import { evolveTicketView, ticketClocks, type TicketClocks, type TicketView } from '../tickets/ticket-view';
import { COUNTED_QUEUES, type CountedQueue } from '../tickets/counted-queues';
import { queueCounts, readView, SUBMITTED_STRETCH } from '../tickets/tickets.projector';
import { prepared } from '../prepared';
import { pageOf } from './cursor';
import { readHistory, toHistoryEntry, type HistoryEntry, type HistoryPage, type HistoryRange } from './history-entry';

/** Duplicates a staff view lists at most, the first linked; `duplicateCount` counts them all. */
export const MOST_DUPLICATES_LISTED = 100;

export const QUEUES = ['submitted', 'unclaimed', 'awaiting-info', 'overdue', 'mine', 'high-priority', 'verified', 'rejected'] as const;
export type QueueName = (typeof QUEUES)[number];

/**
 * Each queue's condition; each has an index that ends in `seq`, so a page is an index range (of
 * the submitted tickets, for `unclaimed`, passing over those held, which are few next to those
 * waiting in a backlog).
 */
export const QUEUE_WHERE: Record<QueueName, string> = {
  ...(Object.fromEntries(Object.entries(COUNTED_QUEUES).map(([queue, { where }]) => [queue, where])) as Record<CountedQueue, string>),
  mine: 'assignee = @viewer AND open = 1',
};

/** A view with the tickets linked to it: the first `MOST_DUPLICATES_LISTED`, and how many. */
const withDuplicates = (view: TicketView, linked: string[]): TicketView => ({ ...view, duplicates: linked.slice(0, MOST_DUPLICATES_LISTED), duplicateCount: linked.length });

/** A queue's condition, narrowed to the tickets filed for a reason (`@reason`) when there is one. */
function withReason(where: string, reason: string | undefined): string {
  return reason === undefined ? where : `${where} AND reason = @reason`;
}

/**
 * Filters with no index that ends in arrival order read as several ranges of one, split by the
 * values of the column before `seq`, and merged: walked in arrival order instead, a reason few
 * tickets have read most of the tickets for a page (a million for none: 50-170 ms), and a staff
 * member's tickets were all read and sorted for each page. None for the filters that have an
 * index of their own (a username, a number, an address; a state, with or without a reason).
 */
function rangesOf(filter: TicketFilter): { column: string; values: readonly unknown[] } | undefined {
  if (filter.username !== undefined || filter.ticketNumber !== undefined || filter.contactEmail !== undefined) return undefined;
  // (assignee, open, seq): those they hold, and those decided while they held them.
  if (filter.assignee !== undefined) return { column: 'open', values: [1, 0] };
  // (state, reason, seq).
  if (filter.reason !== undefined && filter.state === undefined) return { column: 'state', values: TICKET_STATES };
  return undefined;
}

/** A ticket in a list, with its clocks as the staff view shows them. */
export interface QueueItem extends TicketClocks {
  ticketId: string;
  ticketNumber: number;
  state: string;
  username: string;
  reason: string;
  submittedAt: string;
  assignee: string | null;
  overdue: boolean;
  priority: string;
}

export interface TicketPage {
  items: QueueItem[];
  /** The cursor of the next page, when there is one. */
  next?: string;
}

/** What `GET /v1/tickets` may look for; no filter finds every ticket. */
export interface TicketFilter {
  username?: string;
  ticketNumber?: number;
  /** Compared by `addressKey`. */
  contactEmail?: string;
  reason?: string;
  state?: string;
  /** The staff member who holds them, or held them when they were decided. */
  assignee?: string;
}

/**
 * An event in a staff member's activity: the history entry, and what it was about (and, as
 * before accounts and staff were in it, `ticketId` for a ticket's event).
 */
export interface ActivityEntry extends HistoryEntry {
  about: ActivitySubject;
  ticketId?: string;
}

/** The read side's questions about tickets, answered from the read model or, for history, the log. */
export class TicketQueries {
  constructor(private readonly db: Database.Database, private readonly store: EventStore, private readonly policy: TicketPolicy) {}

  view(ticketId: string): TicketView | undefined {
    const view = readView(this.db, ticketId);
    if (!view) return undefined;
    return withDuplicates(view, this.linkedTo(ticketId));
  }

  /**
   * The tickets linked to this one as duplicates, in the order filed, from their own rows: linking
   * a ticket rewrites nothing, where a list kept in the view made a flood of requests for one
   * account rewrite an ever longer view at each (390 KB after 10,000).
   */
  private linkedTo(ticketId: string): string[] {
    return prepared(this.db, 'SELECT ticket_id FROM ticket_views WHERE duplicate_of = ? ORDER BY seq').pluck().all(ticketId) as string[];
  }

  /** The ticket whose requester token has this hash, with the hash as stored (for a constant-time comparison). */
  byRequesterTokenHash(hash: string): { ticketId: string; hash: string } | undefined {
    return prepared(this.db, 'SELECT ticket_id AS ticketId, requester_token_hash AS hash FROM ticket_views WHERE requester_token_hash = ?').get(hash) as
      | { ticketId: string; hash: string }
      | undefined;
  }

  /** 1 = next: how many submitted tickets arrived before this one, plus one. */
  queuePosition(ticketId: string): number | undefined {
    const mine = prepared(this.db, "SELECT seq FROM ticket_views WHERE ticket_id = ? AND state = 'submitted'").get(ticketId) as { seq: number } | undefined;
    if (!mine) return undefined;
    // The stretches of the log before this ticket's, counted; its own stretch, from the index.
    const stretch = Math.floor(mine.seq / SUBMITTED_STRETCH);
    const before = prepared(this.db, 'SELECT coalesce(sum(count), 0) FROM ticket_submitted_counts WHERE stretch < ?').pluck().get(stretch) as number;
    const within = prepared(this.db, "SELECT COUNT(*) FROM ticket_views WHERE state = 'submitted' AND seq >= ? AND seq < ?").pluck().get(stretch * SUBMITTED_STRETCH, mine.seq) as number;
    return before + within + 1;
  }

  /** The ticket as it stood at `at`, folded from the log (not from a stored copy). */
  async viewAt(ticketId: string, at: Date): Promise<TicketView | undefined> {
    const events = await this.store.readStream(streams.ticket(ticketId));
    let view: TicketView | undefined;
    for (const event of events) {
      if (Date.parse(event.recordedAt) > at.getTime()) break;
      view = evolveTicketView(view, event);
    }
    if (!view) return undefined;
    // Cut as the ticket's own events are, by when the log recorded each one's submission: the
    // time a command gave its event comes from another clock (the API server's, not the store's).
    // They were filed in log order, so those linked by then come first.
    const linked: string[] = [];
    for (const id of this.linkedTo(ticketId)) {
      const [submitted] = await this.store.readStream(streams.ticket(id), { maxCount: 1 });
      if (!submitted || Date.parse(submitted.recordedAt) > at.getTime()) break;
      linked.push(id);
    }
    return withDuplicates(view, linked);
  }

  history(ticketId: string, page?: HistoryRange): Promise<HistoryPage | undefined> {
    return readHistory(this.store, streams.ticket(ticketId), page);
  }

  /** What one staff member recorded on tickets, accounts and staff, oldest first, read from the log. */
  async activity(staffId: string, options: { limit: number; after?: number }): Promise<{ events: ActivityEntry[]; next?: string }> {
    const positions = staffActivity(this.db, staffId, { limit: options.limit + 1, after: options.after });
    const { page, next } = pageOf(positions, options.limit, (position) => position);
    // Read together, not one after another: on EventStoreDB each is a round trip.
    const read = await Promise.all(page.map((position) => this.store.eventAt(BigInt(position))));
    const events = read.flatMap((event) => {
      const about = event && activitySubject(event.streamName);
      return about ? [{ about, ...(about.kind === 'ticket' && { ticketId: about.id }), ...toHistoryEntry(event) }] : [];
    });
    return { events, ...(next && { next }) };
  }

  /** A page of a queue; with `reason`, of its tickets filed for that reason only. */
  queue(name: QueueName, options: { viewer: string; limit: number; after?: number; reason?: string }): TicketPage {
    return this.page(this.rows(withReason(QUEUE_WHERE[name], options.reason), { viewer: options.viewer, reason: options.reason }, options), options);
  }

  /** The oldest tickets of a queue that wait for staff and that no one holds, to claim the first still free. */
  claimable(queue: QueueName, limit: number, reason?: string): string[] {
    const rows = prepared(this.db, `SELECT ticket_id FROM ticket_views WHERE ${withReason(QUEUE_WHERE[queue], reason)} AND ${QUEUE_WHERE.unclaimed} ORDER BY seq LIMIT @limit`).all({
      limit,
      reason,
    }) as Array<{ ticket_id: string }>;
    return rows.map((row) => row.ticket_id);
  }

  /**
   * Every open ticket a staff member holds (what their deactivation releases), or filed under a
   * username (what the account's removal rejects), oldest first, whatever their number.
   */
  openTickets(by: { assignee: string } | { username: string }): string[] {
    const [column, value] = 'assignee' in by ? ['assignee', by.assignee] : ['username', by.username];
    const rows = prepared(this.db, `SELECT ticket_id FROM ticket_views WHERE ${column} = ? AND open = 1 ORDER BY seq`).all(value) as Array<{ ticket_id: string }>;
    return rows.map((row) => row.ticket_id);
  }

  /** The open tickets whose first approval is this staff member's, oldest first. */
  approvedFirstBy(staffId: string): string[] {
    const rows = prepared(this.db, 'SELECT ticket_id FROM ticket_views WHERE first_approver = ? ORDER BY seq').all(staffId) as Array<{ ticket_id: string }>;
    return rows.map((row) => row.ticket_id);
  }

  /** Every ticket, or those that meet every filter given; oldest first. */
  find(filter: TicketFilter, options: { limit: number; after?: number }): TicketPage {
    const conditions = [
      ...(filter.username === undefined ? [] : ['username = @username']),
      ...(filter.ticketNumber === undefined ? [] : ['ticket_number = @ticketNumber']),
      ...(filter.contactEmail === undefined ? [] : ['contact_email = @contactEmail']),
      ...(filter.reason === undefined ? [] : ['reason = @reason']),
      ...(filter.state === undefined ? [] : ['state = @state']),
      ...(filter.assignee === undefined ? [] : ['assignee = @assignee']),
    ];
    const where = conditions.join(' AND ') || 'TRUE';
    const parameters = { ...filter, contactEmail: filter.contactEmail && addressKey(filter.contactEmail) };
    const split = rangesOf(filter);
    if (!split) return this.page(this.rows(where, parameters, options), options);
    // The places of a page of each range, merged, and then the rows at the first of them.
    const seqs = split.values.flatMap((value) =>
      prepared(this.db, `SELECT seq FROM ticket_views WHERE ${where} AND ${split.column} = @split AND seq > @after ORDER BY seq LIMIT @limit`)
        .pluck()
        .all({ ...parameters, split: value, after: options.after ?? -1, limit: options.limit + 1 }) as number[],
    );
    const first = seqs.sort((a, b) => a - b).slice(0, options.limit + 1);
    return this.page(this.rows('seq IN (SELECT value FROM json_each(@seqs))', { seqs: JSON.stringify(first) }, options), options);
  }

  /** The tickets that meet `where`, in arrival order after the cursor's: a page and one more, to tell whether there is a next. */
  private rows(where: string, parameters: Record<string, unknown>, options: { limit: number; after?: number }): Array<Record<string, never>> {
    // The clocks' anchors are the timers' rows (the ones the timers fire from), looked up for the
    // page's rows only.
    const anchor = (kind: TicketTimer) => `(SELECT anchor_ms FROM ticket_timers t WHERE t.ticket_id = ticket_views.ticket_id AND t.kind = '${kind}')`;
    return prepared(
      this.db,
      `SELECT seq, ticket_id, ticket_number, state, username, reason, submitted_at, assignee, overdue, priority,
         ${anchor('overdue')} AS overdue_anchor, ${anchor('overdue-high')} AS overdue_high_anchor, ${anchor('expire')} AS expire_anchor
       FROM ticket_views WHERE ${where} AND seq > @after ORDER BY seq LIMIT @limit`,
    ).all({ ...parameters, after: options.after ?? -1, limit: options.limit + 1 }) as Array<Record<string, never>>;
  }

  /** A page of rows as a list shows them. */
  private page(rows: Array<Record<string, never>>, options: { limit: number }): TicketPage {
    const { page, next } = pageOf(rows, options.limit, (row) => row.seq);
    const items = page.map((row): QueueItem => ({
      ticketId: row.ticket_id,
      ticketNumber: row.ticket_number,
      state: row.state,
      username: row.username,
      reason: row.reason,
      submittedAt: row.submitted_at,
      assignee: row.assignee,
      overdue: row.overdue === 1,
      priority: row.priority,
      ...ticketClocks({ overdue: row.overdue_anchor ?? undefined, 'overdue-high': row.overdue_high_anchor ?? undefined, expire: row.expire_anchor ?? undefined }, this.policy),
    }));
    return { items, ...(next && { next }) };
  }

  /**
   * How many tickets each queue holds, and for decided ones the median time to decision. The
   * projector keeps the counts, as counting the decided queues walks an index that only grows.
   */
  stats(viewer: string): Array<{ queue: QueueName; count: number; medianTimeToDecisionSeconds?: number }> {
    const counted = queueCounts(this.db);
    return QUEUES.map((queue) => {
      const count =
        queue === 'mine'
          ? (prepared(this.db, `SELECT COUNT(*) AS count FROM ticket_views WHERE ${QUEUE_WHERE.mine}`).get({ viewer }) as { count: number }).count
          : counted[queue];
      if (queue !== 'verified' && queue !== 'rejected') return { queue, count };
      const medianMs = this.medianTimeToDecision(queue, count);
      return { queue, count, ...(medianMs !== undefined ? { medianTimeToDecisionSeconds: Math.round(medianMs / 1000) } : {}) };
    });
  }

  /** The last median found of each decided queue, with the queue's size then. */
  private readonly medians = new Map<QueueName, { count: number; ms?: number }>();

  /**
   * The median is found by OFFSET in the queue's index, which walks half the queue. Decisions are
   * final, so a decided queue only grows, and in log order: at the same size it holds the same
   * tickets (also after a rebuild, which replays the same decisions), and the median found then
   * still holds. Dashboards that poll the queues walk the index once per new decision.
   */
  private medianTimeToDecision(queue: 'verified' | 'rejected', count: number): number | undefined {
    const known = this.medians.get(queue);
    if (known?.count === count) return known.ms;
    const row = prepared(this.db, 'SELECT decision_ms AS ms FROM ticket_views WHERE state = ? ORDER BY decision_ms LIMIT 1 OFFSET ?')
      .get(queue, Math.floor((count - 1) / 2)) as { ms: number } | undefined;
    this.medians.set(queue, { count, ms: row?.ms });
    return row?.ms;
  }
}
