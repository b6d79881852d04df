import type Database from 'better-sqlite3';

/** The read models every process keeps beside the log (the webhooks' only where integrations run). */
const READ_MODEL_TABLES = ['ticket_views', 'ticket_timers', 'ticket_follow_ups', 'staff', 'accounts', 'staff_activity'];

/**
 * Every read model's rows, in a fixed order, to compare incremental processing with a rebuild. A
 * queue's count of 0 is as good as none, which a rebuild need not write.
 */
export function readModelRows(db: Database.Database, moreTables: string[] = []): Record<string, unknown[]> {
  return {
    ...Object.fromEntries([...READ_MODEL_TABLES, ...moreTables].map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()])),
    ticket_queue_counts: db.prepare('SELECT queue, count FROM ticket_queue_counts WHERE count <> 0 ORDER BY queue').all(),
    ticket_submitted_counts: db.prepare('SELECT stretch, count FROM ticket_submitted_counts WHERE count <> 0 ORDER BY stretch').all(),
  };
}
