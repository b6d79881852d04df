import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@reclaim/event-store';
import { TICKET_STREAM_PREFIX } from '@reclaim/recovery';
import type { Projector } from '../projector';
import { prepared } from '../prepared';

/**
 * Where each staff member acted on tickets: the log position of every ticket event a staff member
 * recorded, by who recorded it. A reviewer reads one person's work across every ticket (someone
 * who verifies recoveries they should not is found this way); the events stay in the log.
 */
export class StaffActivityProjector implements Projector {
  readonly name = 'staff-activity';
  readonly version = 1;

  setup(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS staff_activity (staff_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (staff_id, position)) WITHOUT ROWID');
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM staff_activity');
  }

  /** The page's rows, written together at its end (one statement per 100 rows costs less than one per row). */
  private readonly pending: Array<string | bigint> = [];

  apply(_db: Database.Database, event: RecordedEvent): void {
    const actor = event.metadata.actor;
    if (actor?.kind === 'staff' && event.streamName.startsWith(TICKET_STREAM_PREFIX)) this.pending.push(actor.id, event.position);
  }

  flush(db: Database.Database): void {
    const rows = this.pending;
    let next = 0;
    for (; rows.length - next >= 2 * ROWS_PER_INSERT; next += 2 * ROWS_PER_INSERT) prepared(db, INSERT_MANY).run(rows.slice(next, next + 2 * ROWS_PER_INSERT));
    for (; next < rows.length; next += 2) prepared(db, INSERT_ONE).run(rows[next], rows[next + 1]);
    this.discard();
  }

  discard(): void {
    this.pending.length = 0;
  }
}

const ROWS_PER_INSERT = 100;
const INSERT_ONE = 'INSERT INTO staff_activity (staff_id, position) VALUES (?, ?)';
const INSERT_MANY = `INSERT INTO staff_activity (staff_id, position) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?)').join(', ')}`;

/** The positions of a staff member's ticket events after `after`, oldest first. */
export function staffActivity(db: Database.Database, staffId: string, { limit, after }: { limit: number; after?: number }): number[] {
  const rows = prepared(db, 'SELECT position FROM staff_activity WHERE staff_id = ? AND position > ? ORDER BY position LIMIT ?').all(staffId, after ?? -1, limit) as Array<{ position: number }>;
  return rows.map((row) => row.position);
}
