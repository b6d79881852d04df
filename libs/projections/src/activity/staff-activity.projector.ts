import type Database from 'better-sqlite3';
import { staffMemberOf, type RecordedEvent } from '@reclaim/event-store';
import { ACCOUNT_STREAM_PREFIX, STAFF_STREAM_PREFIX, TICKET_STREAM_PREFIX } from '@reclaim/recovery';
import type { Projector } from '../projector';
import { prepared } from '../prepared';

/** What a staff member's recorded event was about: a ticket, an account, or a staff member. */
export interface ActivitySubject {
  kind: 'ticket' | 'account' | 'staff';
  id: string;
}

const SUBJECT_STREAMS = [
  ['ticket', TICKET_STREAM_PREFIX],
  ['account', ACCOUNT_STREAM_PREFIX],
  ['staff', STAFF_STREAM_PREFIX],
] as const;

/**
 * The subject of an event's stream, where the activity shows it. Webhooks are left out: their
 * addresses may carry an integrator's credentials, and the activity's readers (supervisors,
 * auditors) may not read webhooks; the admin-roster and the ticket counter are bookkeeping.
 */
export function activitySubject(streamName: string): ActivitySubject | undefined {
  for (const [kind, prefix] of SUBJECT_STREAMS) if (streamName.startsWith(prefix)) return { kind, id: streamName.slice(prefix.length) };
  return undefined;
}

/**
 * Where each staff member acted: the log position of every event a staff member recorded on a
 * ticket, an account or a staff member, by who recorded it. A reviewer reads one person's work
 * in one place: someone who verifies recoveries they should not, or issues an account's recovery
 * codes and then accepts one of them, is found this way. The events stay in the log.
 */
export class StaffActivityProjector implements Projector {
  readonly name = 'staff-activity';
  // Version 1 kept ticket events only.
  readonly version = 2;

  setup(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS staff_activity (staff_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (staff_id, position)) WITHOUT ROWID');
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM staff_activity');
  }

  /** The page's rows, written together at its end (one statement per 100 rows costs less than one per row). */
  private readonly pending: Array<string | bigint> = [];

  apply(_db: Database.Database, event: RecordedEvent): void {
    const staffId = staffMemberOf(event.metadata.actor);
    if (staffId && activitySubject(event.streamName)) this.pending.push(staffId, event.position);
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

/** The positions of the events a staff member recorded after `after`, oldest first. */
export function staffActivity(db: Database.Database, staffId: string, { limit, after }: { limit: number; after?: number }): number[] {
  const rows = prepared(db, 'SELECT position FROM staff_activity WHERE staff_id = ? AND position > ? ORDER BY position LIMIT ?').all(staffId, after ?? -1, limit) as Array<{ position: number }>;
  return rows.map((row) => row.position);
}
