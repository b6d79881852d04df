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
}

/** Staff members by id and by token hash, for authentication, assignment and the admin's list. */
export class StaffProjector implements Projector {
  readonly name = 'staff';
  readonly version = 1;

  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS staff (
      staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
      deactivated_at TEXT)`);
    // Files from before deactivation existed lack the column; every staff member in them is active
    // (no deactivation time), so the rows need no replay.
    const columns = db.pragma('table_info(staff)') as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'deactivated_at')) db.exec('ALTER TABLE staff ADD COLUMN deactivated_at TEXT');
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM staff');
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    const staff = event as unknown as StaffEvent;
    switch (staff.type) {
      case 'StaffCreated': {
        const { staffId, name, role, tokenHash } = staff.data;
        prepared(db, 'INSERT OR REPLACE INTO staff (staff_id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(staffId, name, role, tokenHash, event.metadata.occurredAt);
        return;
      }
      case 'StaffTokenReplaced':
        prepared(db, 'UPDATE staff SET token_hash = ? WHERE staff_id = ?').run(staff.data.tokenHash, staff.data.staffId);
        return;
      case 'StaffRenamed':
        prepared(db, 'UPDATE staff SET name = ? WHERE staff_id = ?').run(staff.data.name, staff.data.staffId);
        return;
      case 'StaffRoleChanged':
        prepared(db, 'UPDATE staff SET role = ? WHERE staff_id = ?').run(staff.data.role, staff.data.staffId);
        return;
      case 'StaffDeactivated':
        prepared(db, 'UPDATE staff SET deactivated_at = ? WHERE staff_id = ?').run(event.metadata.occurredAt, staff.data.staffId);
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
  const rows = prepared(db, 'SELECT staff_id AS id, name, role, created_at AS createdAt, deactivated_at AS deactivatedAt FROM staff ORDER BY created_at, staff_id').all() as Array<
    Omit<StaffMember, 'active' | 'deactivatedAt'> & { deactivatedAt: string | null }
  >;
  return rows.map(({ deactivatedAt, ...row }) => ({ ...row, active: deactivatedAt === null, ...(deactivatedAt === null ? {} : { deactivatedAt }) }));
}
