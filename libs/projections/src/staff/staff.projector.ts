import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@reclaim/event-store';
import type { StaffEvent, StaffRole } from '@reclaim/recovery';
import type { Projector } from '../projector';
import { prepared } from '../prepared';

/** A staff member as the admin's list shows them: never a token or its hash. */
export interface StaffMember {
  id: string;
  name: string;
  role: StaffRole;
  active: boolean;
  createdAt: string;
  /** When they were deactivated, for a deactivated staff member. */
  deactivatedAt?: string;
  /** Their stream's revision, moved by every change to them: what `If-Match` names for the next. */
  revision: string;
}

/** Staff members by id and by token hash, for authentication, assignment and the admin's list. */
export class StaffProjector implements Projector {
  readonly name = 'staff';
  // Version 2 keeps each member's revision.
  readonly version = 2;

  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS staff (
      staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
      deactivated_at TEXT)`);
    // Files from before deactivation existed lack the column; every staff member in them is active
    // (no deactivation time), so the rows need no replay.
    const columns = db.pragma('table_info(staff)') as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'deactivated_at')) db.exec('ALTER TABLE staff ADD COLUMN deactivated_at TEXT');
    if (!columns.some((column) => column.name === 'revision')) db.exec('ALTER TABLE staff ADD COLUMN revision INTEGER NOT NULL DEFAULT 0');
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM staff');
  }

  // Every event of a member's stream moves the revision kept, a token replaced too: If-Match is of the stream.
  apply(db: Database.Database, event: RecordedEvent): void {
    const staff = event as unknown as StaffEvent;
    const { revision } = event;
    switch (staff.type) {
      case 'StaffCreated': {
        const { staffId, name, role, tokenHash } = staff.data;
        prepared(db, 'INSERT OR REPLACE INTO staff (staff_id, name, role, token_hash, created_at, revision) VALUES (?, ?, ?, ?, ?, ?)').run(staffId, name, role, tokenHash, event.metadata.occurredAt, revision);
        return;
      }
      case 'StaffTokenReplaced':
        prepared(db, 'UPDATE staff SET token_hash = ?, revision = ? WHERE staff_id = ?').run(staff.data.tokenHash, revision, staff.data.staffId);
        return;
      case 'StaffRenamed':
        prepared(db, 'UPDATE staff SET name = ?, revision = ? WHERE staff_id = ?').run(staff.data.name, revision, staff.data.staffId);
        return;
      case 'StaffRoleChanged':
        prepared(db, 'UPDATE staff SET role = ?, revision = ? WHERE staff_id = ?').run(staff.data.role, revision, staff.data.staffId);
        return;
      case 'StaffDeactivated':
        prepared(db, 'UPDATE staff SET deactivated_at = ?, revision = ? WHERE staff_id = ?').run(event.metadata.occurredAt, revision, staff.data.staffId);
        return;
    }
  }
}

/** A staff member's role and whether they are active, as they stand now (none for an id that names no one). */
export function staffStanding(db: Database.Database, staffId: string): { role: StaffRole; active: boolean } | undefined {
  const row = prepared(db, 'SELECT role, deactivated_at FROM staff WHERE staff_id = ?').get(staffId) as { role: StaffRole; deactivated_at: string | null } | undefined;
  return row && { role: row.role, active: row.deactivated_at === null };
}

/** Every staff member, oldest first. */
export function listStaff(db: Database.Database): StaffMember[] {
  const rows = prepared(db, 'SELECT staff_id AS id, name, role, created_at AS createdAt, deactivated_at AS deactivatedAt, revision FROM staff ORDER BY created_at, staff_id').all() as Array<
    Omit<StaffMember, 'active' | 'deactivatedAt' | 'revision'> & { deactivatedAt: string | null; revision: number }
  >;
  return rows.map(({ deactivatedAt, revision, ...row }) => ({ ...row, active: deactivatedAt === null, ...(deactivatedAt === null ? {} : { deactivatedAt }), revision: String(revision) }));
}
