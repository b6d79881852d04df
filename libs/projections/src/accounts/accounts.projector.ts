import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@reclaim/event-store';
import { ACCOUNT_STREAM_PREFIX, TICKET_STREAM_PREFIX, type AccountEvent } from '@reclaim/recovery';
import type { Projector } from '../projector';
import { prepared } from '../prepared';

/** What staff and integrators may read about an account: never a code, a hash or a secret. */
export interface AccountView {
  username: string;
  primaryEmail: string;
  emails: string[];
  packages: string[];
  critical: boolean;
  frozen: boolean;
  recoveryCodesRemaining: number;
  totpEnrolled: boolean;
  /**
   * How often access to the account was restored through a ticket, and the last time: a request
   * for an account recovered days ago, or often, asks for a closer look.
   */
  recoveries: number;
  lastRecovery?: { ticketId: string; at: string };
}

export class AccountsProjector implements Projector {
  readonly name = 'accounts';
  // 2: the recoveries of each account, from its tickets' verifications.
  readonly version = 2;

  setup(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS accounts (username TEXT PRIMARY KEY, view TEXT NOT NULL)');
    // The few critical or frozen accounts, for a list of those alone: built from the rows an older
    // file holds, so no replay is needed.
    for (const flag of ACCOUNT_FLAGS) db.exec(`CREATE INDEX IF NOT EXISTS accounts_${flag} ON accounts (username) WHERE ${flagged(flag)}`);
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM accounts');
  }

  apply(db: Database.Database, stored: RecordedEvent): void {
    if (stored.type === 'SecretKeyNamed' && (stored.data as { replaces?: string | null }).replaces !== undefined) {
      // A lost key replaced: every TOTP secret enrolled before is lost with it, until enrolled again.
      prepared(db, "UPDATE accounts SET view = json_set(view, '$.totpEnrolled', json('false')) WHERE json_extract(view, '$.totpEnrolled')").run();
      return;
    }
    if (stored.type === 'TicketVerified' && stored.streamName.startsWith(TICKET_STREAM_PREFIX)) return recovered(db, stored);
    if (!stored.streamName.startsWith(ACCOUNT_STREAM_PREFIX)) return;
    const username = stored.streamName.slice(ACCOUNT_STREAM_PREFIX.length);
    const event = stored as unknown as AccountEvent;
    const view = readAccount(db, username);
    let next: AccountView | undefined;
    switch (event.type) {
      case 'AccountRegistered':
      case 'AccountUpdated':
        next = { recoveryCodesRemaining: 0, totpEnrolled: false, recoveries: 0, ...view, ...event.data };
        break;
      case 'RecoveryCodesIssued':
        next = view && { ...view, recoveryCodesRemaining: event.data.codes.length };
        break;
      case 'RecoveryCodeUsed':
        next = view && { ...view, recoveryCodesRemaining: Math.max(0, view.recoveryCodesRemaining - 1) };
        break;
      case 'TotpEnrolled':
        next = view && { ...view, totpEnrolled: true };
        break;
      case 'AccountRemoved':
        prepared(db, 'DELETE FROM accounts WHERE username = ?').run(username);
        return;
      default:
        return;
    }
    if (next) prepared(db, 'INSERT OR REPLACE INTO accounts (username, view) VALUES (?, ?)').run(username, JSON.stringify(next));
  }
}

/** A verification counts for the account it restores, while the directory holds it. */
function recovered(db: Database.Database, verified: RecordedEvent): void {
  const { username } = verified.data as { username: string };
  const view = readAccount(db, username);
  if (!view) return;
  const lastRecovery = { ticketId: verified.streamName.slice(TICKET_STREAM_PREFIX.length), at: verified.metadata.occurredAt ?? verified.recordedAt };
  prepared(db, 'UPDATE accounts SET view = ? WHERE username = ?').run(JSON.stringify({ ...view, recoveries: view.recoveries + 1, lastRecovery }), username);
}

export function readAccount(db: Database.Database, username: string): AccountView | undefined {
  const row = prepared(db, 'SELECT view FROM accounts WHERE username = ?').get(username) as { view: string } | undefined;
  return row && accountOf(username, row.view);
}

/** The flags an account list may be narrowed by. */
export const ACCOUNT_FLAGS = ['critical', 'frozen'] as const;
export type AccountFilter = Partial<Record<(typeof ACCOUNT_FLAGS)[number], boolean>>;

/** The condition of an account whose view has `flag` set: word for word in the index and the query, so that SQLite uses the one for the other. */
const flagged = (flag: (typeof ACCOUNT_FLAGS)[number]) => `json_extract(view, '$.${flag}') = 1`;

/**
 * Up to `limit` accounts in the directory, in username order (ASCII's: capitals first), after
 * `after`; with `filter`, those whose flags are as it says (a flag set is read from its index).
 */
export function listAccounts(db: Database.Database, limit: number, after = '', filter: AccountFilter = {}): AccountView[] {
  const conditions = ACCOUNT_FLAGS.filter((flag) => filter[flag] !== undefined).map((flag) => (filter[flag] ? flagged(flag) : `json_extract(view, '$.${flag}') IS NOT 1`));
  const rows = prepared(db, `SELECT username, view FROM accounts WHERE ${['username > ?', ...conditions].join(' AND ')} ORDER BY username LIMIT ?`).all(after, limit) as Array<{ username: string; view: string }>;
  return rows.map(({ username, view }) => accountOf(username, view));
}

function accountOf(username: string, stored: string): AccountView {
  // In the contract's order, as read models built by earlier releases stored the counts first.
  const { primaryEmail, emails, packages, critical, frozen, recoveryCodesRemaining, totpEnrolled, recoveries, lastRecovery } = JSON.parse(stored) as AccountView;
  return { username, primaryEmail, emails, packages, critical, frozen, recoveryCodesRemaining, totpEnrolled, recoveries, ...(lastRecovery && { lastRecovery }) };
}
