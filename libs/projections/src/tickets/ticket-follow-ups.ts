import type Database from 'better-sqlite3';
import type { TicketChange } from '@reclaim/recovery';
import { prepared } from '../prepared';

/**
 * What the system is to do to an open ticket, and why: close it, as access to its account was
 * restored through another ticket under the same username (`account-recovered`) or the platform
 * removed the account (`account-removed`); or, a report of a compromise that such a recovery did
 * not close, raise it to high priority (`recovered-while-reported`), as it may be about that very
 * recovery.
 */
export type FollowUpReason = 'account-recovered' | 'account-removed' | 'recovered-while-reported';

export interface TicketFollowUp {
  ticketId: string;
  because: FollowUpReason;
  /** The number of the ticket the account was recovered through. */
  throughTicketNumber: number | null;
}

/**
 * The `ticket_follow_ups` due-work list. The tickets projector fills it as it applies the log, in
 * log order: so exactly the tickets filed before the verification or removal are on it, also
 * those a command's own sweep missed (filed at that moment, or the server killed halfway), and it
 * is rebuilt with the read model. A follow-up leaves it once the ticket is decided, or raised to
 * high priority where that was all it asked.
 */
export const ticketFollowUps = {
  setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ticket_follow_ups (
        ticket_id TEXT NOT NULL,
        because TEXT NOT NULL,
        through_ticket_number INTEGER,
        PRIMARY KEY (ticket_id, because)
      )`);
  },

  add(db: Database.Database, ticketId: string, because: FollowUpReason, throughTicketNumber?: number): void {
    prepared(db, 'INSERT OR IGNORE INTO ticket_follow_ups (ticket_id, because, through_ticket_number) VALUES (?, ?, ?)').run(ticketId, because, throughTicketNumber ?? null);
  },

  /** Takes the ticket's follow-ups off the list once they are done: all of them once it is decided, the raise once it is high priority. */
  done(db: Database.Database, ticketId: string, view: { decision?: unknown; priority: string }): void {
    if (view.decision) prepared(db, 'DELETE FROM ticket_follow_ups WHERE ticket_id = ?').run(ticketId);
    else if (view.priority === 'high') prepared(db, "DELETE FROM ticket_follow_ups WHERE ticket_id = ? AND because = 'recovered-while-reported'").run(ticketId);
  },

  due(db: Database.Database): TicketFollowUp[] {
    return prepared(db, 'SELECT ticket_id AS ticketId, because, through_ticket_number AS throughTicketNumber FROM ticket_follow_ups ORDER BY rowid LIMIT 500').all() as TicketFollowUp[];
  },
};

/** The command that does a follow-up. */
export function followUpChange({ because, throughTicketNumber }: TicketFollowUp): TicketChange {
  switch (because) {
    case 'account-removed':
      return { type: 'RejectForRemovedAccount' };
    case 'account-recovered':
      return { type: 'RejectAsRecoveredElsewhere', throughTicketNumber: throughTicketNumber! };
    case 'recovered-while-reported':
      return { type: 'PrioritiseRecoveredWhileReported', throughTicketNumber: throughTicketNumber! };
  }
}
