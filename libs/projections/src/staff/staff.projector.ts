import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@reclaim/event-store';
import type { StaffEvent } from '@reclaim/recovery';
import type { Projector } from '../projector';

/** Staff members by id and by token hash, for authentication and assignment. */
export class StaffProjector implements Projector {
  readonly name = 'staff';
  readonly version = 1;

  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS staff (
      staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)`);
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM staff');
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    if (event.type !== 'StaffCreated') return;
    const { staffId, name, role, tokenHash } = (event as unknown as StaffEvent).data;
    db.prepare('INSERT OR REPLACE INTO staff (staff_id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(
      staffId,
      name,
      role,
      tokenHash,
      event.metadata.occurredAt,
    );
  }
}
