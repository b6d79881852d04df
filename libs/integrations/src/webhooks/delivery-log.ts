import type Database from 'better-sqlite3';
import { processAlive } from '@reclaim/event-store';
import { prepared } from '@reclaim/projections';

export interface DeliveryAttempt {
  webhookId: string;
  position: bigint;
  eventId: string;
  type: string;
  /** The event's subject: so that the attempts at a ticket held back can be told apart. */
  ticketId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  manual: boolean;
}

/** One dispatcher, in one process. */
export interface Sender {
  id: string;
  pid: number;
}

/**
 * Attempts kept per subscription, newest first: the log is for looking into recent failures
 * (the API shows at most 500), and kept whole it would grow with every event for ever.
 */
export const ATTEMPTS_KEPT = 1000;

/**
 * At most this many tickets of one subscription are held back at once (see `HeldTicket`). A
 * receiver that refuses everything (it is down) holds this many and no more; its subscription
 * then waits at the next event, as the retries of these tickets say when it is back.
 */
export const MOST_HELD_TICKETS = 10;

/** The checkpoint in log order, and the retries of the event after it once every place to hold a ticket is taken. */
export interface Progress {
  /** Every event up to here is delivered, but those of the tickets held. */
  position: bigint;
  /** Failed attempts at the event after `position`, which waits there (every place to hold a ticket was taken). */
  attempts: number;
  nextAttemptAt: number;
  /** Since when every attempt has failed: none has succeeded since then, in log order or of a ticket held. */
  failingSince: number | null;
}

/**
 * A ticket whose event the receiver refused, held back so that the other tickets' events go on
 * meanwhile (the contract promises order per ticket, not across tickets). Its events are sent in
 * order, from the one refused, on its own retry schedule; once they have caught up with the
 * checkpoint, the ticket goes back to log order.
 */
export interface HeldTicket {
  ticketId: string;
  /** Every event of this ticket up to here is delivered. */
  after: bigint;
  /** Failed attempts at its next event. */
  attempts: number;
  nextAttemptAt: number;
  /** When it was held (ms since the epoch). */
  heldAt: number;
}

const DELIVERY_TABLES = ['webhook_progress', 'webhook_deliveries', 'webhook_redeliveries', 'webhook_senders', 'webhook_held'];

/** The delivery tables; the webhooks projector sets them up as well, as it clears them of a deleted subscription. */
export function setUpDeliveryTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS webhook_progress (
      webhook_id TEXT PRIMARY KEY, position INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0, failing_since INTEGER);
    CREATE TABLE IF NOT EXISTS webhook_deliveries (
      id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, position INTEGER NOT NULL, event_id TEXT NOT NULL,
      type TEXT NOT NULL, attempt INTEGER NOT NULL, status_code INTEGER, error TEXT, duration_ms INTEGER NOT NULL,
      manual INTEGER NOT NULL, at TEXT NOT NULL, ticket_id TEXT);
    CREATE INDEX IF NOT EXISTS webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id);
    CREATE TABLE IF NOT EXISTS webhook_redeliveries (webhook_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (webhook_id, position));
    CREATE TABLE IF NOT EXISTS webhook_senders (
      webhook_id TEXT PRIMARY KEY, sender TEXT NOT NULL, pid INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS webhook_held (
      webhook_id TEXT NOT NULL, ticket_id TEXT NOT NULL, after INTEGER NOT NULL, attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL, held_at INTEGER NOT NULL, PRIMARY KEY (webhook_id, ticket_id));
  `);
  // Attempts recorded before 2026-11-29 name no ticket. Added under the write lock, so that
  // processes starting together add it once.
  db.transaction(() => {
    const columns = db.prepare('PRAGMA table_info(webhook_deliveries)').all() as Array<{ name: string }>;
    if (!columns.some(({ name }) => name === 'ticket_id')) db.exec('ALTER TABLE webhook_deliveries ADD COLUMN ticket_id TEXT');
  }).immediate();
}

/** A deleted subscription's progress, retries, lease and attempts, which no route shows any more. */
export function forgetDeliveries(db: Database.Database, webhookId: string): void {
  for (const table of DELIVERY_TABLES) prepared(db, `DELETE FROM ${table} WHERE webhook_id = ?`).run(webhookId);
}

/**
 * The subscriptions' checkpoints, the tickets they hold and the redeliveries asked for, from the
 * read models beside one log into those beside a copy of it (`copy-to-eventstoredb`), each
 * position as the copy has it: so that the subscriptions go on where they were, rather than send
 * every event again from their creation. The log of attempts stays behind. Answers how many
 * subscriptions' checkpoints were carried.
 */
export async function carryDeliveryProgress(from: Database.Database, to: Database.Database, positionInCopy: (position: bigint) => Promise<bigint>): Promise<number> {
  const [source, target] = [new DeliveryLog(from), new DeliveryLog(to)];
  const copied = new Map<bigint, bigint>();
  const inCopy = async (position: bigint) => {
    if (!copied.has(position)) copied.set(position, await positionInCopy(position));
    return copied.get(position)!;
  };
  const rowsOf = (table: string) => from.prepare(`SELECT * FROM ${table}`).all() as Array<{ webhook_id: string; position: number }>;
  // Looked up first (each a read of both logs), then written in one transaction.
  const writes: Array<() => void> = [];
  const checkpoints = rowsOf('webhook_progress');
  for (const { webhook_id: webhookId } of checkpoints) {
    const progress = source.progress(webhookId, 0n);
    const position = await inCopy(progress.position);
    writes.push(() => target.saveProgress(webhookId, { ...progress, position }));
  }
  for (const webhookId of new Set(rowsOf('webhook_held').map((row) => row.webhook_id))) {
    for (const held of source.heldTickets(webhookId)) {
      const after = await inCopy(held.after);
      writes.push(() => target.hold(webhookId, { ...held, after }));
    }
  }
  for (const row of rowsOf('webhook_redeliveries')) {
    const position = await inCopy(BigInt(row.position));
    writes.push(() => target.requestRedelivery(row.webhook_id, position));
  }
  to.transaction(() => writes.forEach((write) => write()))();
  return checkpoints.length;
}

/**
 * A subscription's progress (its checkpoint and retry schedule) and its delivery log, in
 * SQLite, so that deliveries resume where they were after a restart.
 */
export class DeliveryLog {
  constructor(private readonly db: Database.Database) {
    setUpDeliveryTables(db);
  }

  /**
   * Takes or renews the right to send a subscription's events until `now + leaseMs`, so that
   * processes sharing this file never send one subscription at once (each would send every
   * event). Answers false while another sender holds it: one whose lease has not run out and
   * whose process is still alive (the file is shared on one machine only, so its pid tells).
   */
  claimSender(webhookId: string, sender: Sender, now: number, leaseMs: number): boolean {
    return this.db
      .transaction(() => {
        const holder = prepared(this.db, 'SELECT sender, pid, expires_at FROM webhook_senders WHERE webhook_id = ?').get(webhookId) as
          | { sender: string; pid: number; expires_at: number }
          | undefined;
        if (holder && holder.sender !== sender.id && holder.expires_at > now && processAlive(holder.pid)) return false;
        prepared(this.db, 'INSERT OR REPLACE INTO webhook_senders (webhook_id, sender, pid, expires_at) VALUES (?, ?, ?, ?)').run(
          webhookId,
          sender.id,
          sender.pid,
          now + leaseMs,
        );
        return true;
      })
      .immediate();
  }

  /** Lets another process take over at once (on shutdown). */
  releaseSender(webhookId: string, sender: Sender): void {
    prepared(this.db, 'DELETE FROM webhook_senders WHERE webhook_id = ? AND sender = ?').run(webhookId, sender.id);
  }

  progress(webhookId: string, startAfter: bigint): Progress {
    const row = prepared(this.db, 'SELECT position, attempts, next_attempt_at, failing_since FROM webhook_progress WHERE webhook_id = ?').get(webhookId) as
      | { position: number; attempts: number; next_attempt_at: number; failing_since: number | null }
      | undefined;
    if (!row) return { position: startAfter, attempts: 0, nextAttemptAt: 0, failingSince: null };
    return { position: BigInt(row.position), attempts: row.attempts, nextAttemptAt: row.next_attempt_at, failingSince: row.failing_since };
  }

  /** Records an attempt, and what it changes (progress, a ticket held), together. */
  record(attempt: DeliveryAttempt, changes: () => void = () => undefined): void {
    this.db.transaction(() => {
      prepared(
        this.db,
        `INSERT INTO webhook_deliveries (webhook_id, position, event_id, type, ticket_id, attempt, status_code, error, duration_ms, manual, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(attempt.webhookId, attempt.position, attempt.eventId, attempt.type, attempt.ticketId, attempt.attempt, attempt.statusCode, attempt.error, attempt.durationMs, attempt.manual ? 1 : 0, new Date().toISOString());
      prepared(
        this.db,
        `DELETE FROM webhook_deliveries WHERE webhook_id = @hook AND id <= (
           SELECT id FROM webhook_deliveries WHERE webhook_id = @hook ORDER BY id DESC LIMIT 1 OFFSET @kept)`,
      ).run({ hook: attempt.webhookId, kept: ATTEMPTS_KEPT });
      changes();
    })();
  }

  saveProgress(webhookId: string, progress: Progress): void {
    prepared(
      this.db,
      `INSERT INTO webhook_progress (webhook_id, position, attempts, next_attempt_at, failing_since) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (webhook_id) DO UPDATE SET position = excluded.position, attempts = excluded.attempts,
         next_attempt_at = excluded.next_attempt_at, failing_since = excluded.failing_since`,
    ).run(webhookId, progress.position, progress.attempts, progress.nextAttemptAt, progress.failingSince);
  }

  /** The tickets held, the longest held first (those held together: in the order their events came). */
  heldTickets(webhookId: string): HeldTicket[] {
    const rows = prepared(this.db, 'SELECT ticket_id, after, attempts, next_attempt_at, held_at FROM webhook_held WHERE webhook_id = ? ORDER BY held_at, rowid')
      .all(webhookId) as Array<{ ticket_id: string; after: number; attempts: number; next_attempt_at: number; held_at: number }>;
    return rows.map((row) => ({ ticketId: row.ticket_id, after: BigInt(row.after), attempts: row.attempts, nextAttemptAt: row.next_attempt_at, heldAt: row.held_at }));
  }

  /** Holds a ticket (one not held: the dispatcher sends no held ticket's events in log order). */
  hold(webhookId: string, held: HeldTicket): void {
    prepared(this.db, 'INSERT OR REPLACE INTO webhook_held (webhook_id, ticket_id, after, attempts, next_attempt_at, held_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      webhookId,
      held.ticketId,
      held.after,
      held.attempts,
      held.nextAttemptAt,
      held.heldAt,
    );
  }

  /**
   * Saves how far a held ticket has come, while it is still held as it was: not once its holding
   * was given up (`skipHeld`) during a delivery already under way, which would hold it again.
   * Answers whether it is still held.
   */
  saveHeld(webhookId: string, held: HeldTicket): boolean {
    const saved = prepared(this.db, 'UPDATE webhook_held SET after = ?, attempts = ?, next_attempt_at = ? WHERE webhook_id = ? AND ticket_id = ? AND held_at = ?').run(
      held.after,
      held.attempts,
      held.nextAttemptAt,
      webhookId,
      held.ticketId,
      held.heldAt,
    );
    return saved.changes > 0;
  }

  /**
   * Gives up a held ticket's events up to the checkpoint (a receiver that will never take them):
   * the ticket goes back to log order at once. Answers what was skipped, none when it was not held.
   */
  skipHeld(webhookId: string, ticketId: string): { after: bigint; upTo: bigint } | undefined {
    return this.db
      .transaction(() => {
        const held = this.heldTickets(webhookId).find((ticket) => ticket.ticketId === ticketId);
        if (!held) return undefined;
        this.release(webhookId, ticketId);
        return { after: held.after, upTo: this.progress(webhookId, held.after).position };
      })
      .immediate();
  }

  /** Why a held ticket is held: the error of the latest attempt at it. */
  lastErrorOf(webhookId: string, ticketId: string): string | null {
    const row = prepared(this.db, 'SELECT error FROM webhook_deliveries WHERE webhook_id = ? AND ticket_id = ? AND NOT manual ORDER BY id DESC LIMIT 1').get(webhookId, ticketId) as
      | { error: string | null }
      | undefined;
    return row?.error ?? null;
  }

  /** A held ticket whose events have caught up with the checkpoint goes back to log order. */
  release(webhookId: string, ticketId: string): void {
    prepared(this.db, 'DELETE FROM webhook_held WHERE webhook_id = ? AND ticket_id = ?').run(webhookId, ticketId);
  }

  /**
   * How a subscription stands, as the API and the metrics show it: how far it has delivered in
   * log order, the tickets it holds, the most failed attempts in a row at any one event, and when
   * it tries again.
   */
  standing(webhookId: string, startAfter: bigint) {
    const progress = this.progress(webhookId, startAfter);
    const held = this.heldTickets(webhookId);
    const retries = [progress, ...held].filter((retry) => retry.attempts > 0);
    return {
      deliveredUpTo: progress.position,
      held,
      failingAttempts: Math.max(0, ...retries.map((retry) => retry.attempts)),
      nextAttemptAt: retries.length ? Math.min(...retries.map((retry) => retry.nextAttemptAt)) : null,
    };
  }

  /**
   * A subscription enabled again, or given a new secret, starts again at its checkpoint, without
   * waiting out old retries, and fails for a whole RECLAIM_WEBHOOK_DISABLE_AFTER again before it
   * is disabled again.
   */
  clearFailures(webhookId: string): void {
    this.db.transaction(() => {
      prepared(this.db, 'UPDATE webhook_progress SET attempts = 0, next_attempt_at = 0, failing_since = NULL WHERE webhook_id = ?').run(webhookId);
      prepared(this.db, 'UPDATE webhook_held SET attempts = 0, next_attempt_at = 0 WHERE webhook_id = ?').run(webhookId);
    })();
  }

  /** A redelivery asked for by hand: one attempt (the dispatcher drops it after), the oldest position first. */
  requestRedelivery(webhookId: string, position: bigint): void {
    prepared(this.db, 'INSERT OR IGNORE INTO webhook_redeliveries (webhook_id, position) VALUES (?, ?)').run(webhookId, position);
  }

  pendingRedelivery(webhookId: string): bigint | undefined {
    const row = prepared(this.db, 'SELECT position FROM webhook_redeliveries WHERE webhook_id = ? ORDER BY position LIMIT 1').get(webhookId) as { position: number } | undefined;
    return row ? BigInt(row.position) : undefined;
  }

  dropRedelivery(webhookId: string, position: bigint): void {
    prepared(this.db, 'DELETE FROM webhook_redeliveries WHERE webhook_id = ? AND position = ?').run(webhookId, position);
  }

  /** The newest attempts first, of one ticket's events or of one event where asked. */
  deliveries(webhookId: string, limit: number, of: { ticketId?: string; position?: bigint } = {}): Array<Record<string, unknown>> {
    // No event is that far on, and SQLite holds no larger integer to compare with.
    if (of.position !== undefined && of.position >= 2n ** 63n) return [];
    // A subscription keeps its newest `ATTEMPTS_KEPT` attempts: a filter reads no more than those.
    const rows = prepared(
      this.db,
      `SELECT * FROM webhook_deliveries WHERE webhook_id = @webhookId AND (@ticketId IS NULL OR ticket_id = @ticketId) AND (@position IS NULL OR position = @position)
       ORDER BY id DESC LIMIT @limit`,
    ).all({ webhookId, limit, ticketId: of.ticketId ?? null, position: of.position ?? null }) as Array<Record<string, never>>;
    return rows.map((row) => ({
      id: row.id,
      position: String(row.position),
      eventId: row.event_id,
      type: row.type,
      ticketId: row.ticket_id,
      attempt: row.attempt,
      statusCode: row.status_code,
      error: row.error,
      durationMs: row.duration_ms,
      manual: row.manual === 1,
      at: row.at,
    }));
  }
}
