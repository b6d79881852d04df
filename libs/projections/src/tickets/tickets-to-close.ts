import type Database from 'better-sqlite3';
import type { TicketChange } from '@reclaim/recovery';
import { prepared } from '../prepared';

/**
 * Why the system closes an open ticket: access to its account was restored through another
 * ticket filed under the same username, or the platform removed the account.
 */
export type CloseReason = 'account-recovered' | 'account-removed';

/** A ticket the system is to close, as the tickets projector found it, and why. */
export interface TicketToClose {
  ticketId: string;
  because: CloseReason;
  /** The number of the ticket the account was recovered through. */
  throughTicketNumber: number | null;
}

/**
 * The `tickets_to_close` due-work list. The tickets projector fills it as it applies the log, in
 * log order: so exactly the tickets filed before the verification or removal are on it, also
 * those a command's own sweep missed (filed at that moment, or the server killed halfway), and it
 * is rebuilt with the read model. A ticket leaves it once its decision is applied.
 */
export const ticketsToClose = {
  setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS tickets_to_close (
        ticket_id TEXT PRIMARY KEY,
        because TEXT NOT NULL,
        through_ticket_number INTEGER
      )`);
  },

  add(db: Database.Database, ticketId: string, because: CloseReason, throughTicketNumber?: number): void {
    prepared(db, 'INSERT OR IGNORE INTO tickets_to_close (ticket_id, because, through_ticket_number) VALUES (?, ?, ?)').run(ticketId, because, throughTicketNumber ?? null);
  },

  decided(db: Database.Database, ticketId: string): void {
    prepared(db, 'DELETE FROM tickets_to_close WHERE ticket_id = ?').run(ticketId);
  },

  due(db: Database.Database): TicketToClose[] {
    return prepared(db, 'SELECT ticket_id AS ticketId, because, through_ticket_number AS throughTicketNumber FROM tickets_to_close ORDER BY rowid LIMIT 500').all() as TicketToClose[];
  },
};

/** The command that closes a ticket for this reason. */
export function closingChange({ because, throughTicketNumber }: TicketToClose): TicketChange {
  return because === 'account-removed' ? { type: 'RejectForRemovedAccount' } : { type: 'RejectAsRecoveredElsewhere', throughTicketNumber: throughTicketNumber! };
}
