import type Database from 'better-sqlite3';
import { processAlive } from '@reclaim/event-store';
import { prepared } from '@reclaim/projections';

export interface DeliveryAttempt {
  webhookId: string;
  position: bigint;
  eventId: string;
  type: string;
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

const DELIVERY_TABLES = ['webhook_progress', 'webhook_deliveries', 'webhook_redeliveries', 'webhook_senders'];

/** The delivery tables; the webhooks projector sets them up as well, as it clears them of a deleted subscription. */
export function setUpDeliveryTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS webhook_progress (
      webhook_id TEXT PRIMARY KEY, position INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0, failing_since INTEGER);
    CREATE TABLE IF NOT EXISTS webhook_deliveries (
      id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, position INTEGER NOT NULL, event_id TEXT NOT NULL,
      type TEXT NOT NULL, attempt INTEGER NOT NULL, status_code INTEGER, error TEXT, duration_ms INTEGER NOT NULL,
      manual INTEGER NOT NULL, at TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id);
    CREATE TABLE IF NOT EXISTS webhook_redeliveries (webhook_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (webhook_id, position));
    CREATE TABLE IF NOT EXISTS webhook_senders (
      webhook_id TEXT PRIMARY KEY, sender TEXT NOT NULL, pid INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  `);
}

/** A deleted subscription's progress, retries, lease and attempts, which no route shows any more. */
export function forgetDeliveries(db: Database.Database, webhookId: string): void {
  for (const table of DELIVERY_TABLES) prepared(db, `DELETE FROM ${table} WHERE webhook_id = ?`).run(webhookId);
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

  progress(webhookId: string, startAfter: bigint): { position: bigint; attempts: number; nextAttemptAt: number; failingSince: number | null } {
    const row = prepared(this.db, 'SELECT position, attempts, next_attempt_at, failing_since FROM webhook_progress WHERE webhook_id = ?').get(webhookId) as
      | { position: number; attempts: number; next_attempt_at: number; failing_since: number | null }
      | undefined;
    if (!row) return { position: startAfter, attempts: 0, nextAttemptAt: 0, failingSince: null };
    return { position: BigInt(row.position), attempts: row.attempts, nextAttemptAt: row.next_attempt_at, failingSince: row.failing_since };
  }

  /** Records an attempt and the new progress together. */
  record(attempt: DeliveryAttempt, progress: { position: bigint; attempts: number; nextAttemptAt: number; failingSince: number | null } | undefined): void {
    this.db.transaction(() => {
      prepared(
        this.db,
        `INSERT INTO webhook_deliveries (webhook_id, position, event_id, type, attempt, status_code, error, duration_ms, manual, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(attempt.webhookId, attempt.position, attempt.eventId, attempt.type, attempt.attempt, attempt.statusCode, attempt.error, attempt.durationMs, attempt.manual ? 1 : 0, new Date().toISOString());
      prepared(
        this.db,
        `DELETE FROM webhook_deliveries WHERE webhook_id = @hook AND id <= (
           SELECT id FROM webhook_deliveries WHERE webhook_id = @hook ORDER BY id DESC LIMIT 1 OFFSET @kept)`,
      ).run({ hook: attempt.webhookId, kept: ATTEMPTS_KEPT });
      if (progress) this.saveProgress(attempt.webhookId, progress);
    })();
  }

  saveProgress(webhookId: string, progress: { position: bigint; attempts: number; nextAttemptAt: number; failingSince: number | null }): void {
    prepared(
      this.db,
      `INSERT INTO webhook_progress (webhook_id, position, attempts, next_attempt_at, failing_since) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (webhook_id) DO UPDATE SET position = excluded.position, attempts = excluded.attempts,
         next_attempt_at = excluded.next_attempt_at, failing_since = excluded.failing_since`,
    ).run(webhookId, progress.position, progress.attempts, progress.nextAttemptAt, progress.failingSince);
  }

  /**
   * A subscription enabled again, or given a new secret, starts again at its checkpoint, without
   * waiting out old retries, and fails for a whole RECLAIM_WEBHOOK_DISABLE_AFTER again before it
   * is disabled again.
   */
  clearFailures(webhookId: string): void {
    prepared(this.db, 'UPDATE webhook_progress SET attempts = 0, next_attempt_at = 0, failing_since = NULL WHERE webhook_id = ?').run(webhookId);
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

  deliveries(webhookId: string, limit: number): Array<Record<string, unknown>> {
    const rows = prepared(this.db, 'SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?')
      .all(webhookId, limit) as Array<Record<string, never>>;
    return rows.map((row) => ({
      id: row.id,
      position: String(row.position),
      eventId: row.event_id,
      type: row.type,
      attempt: row.attempt,
      statusCode: row.status_code,
      error: row.error,
      durationMs: row.duration_ms,
      manual: row.manual === 1,
      at: row.at,
    }));
  }
}
