import { Inject, Injectable } from '@nestjs/common';
import { sameSecret, tokenHash } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { prepared, ProjectionRunner, READ_MODEL_DB, TicketQueries, type ReadModelDb } from '@reclaim/projections';
import type { StaffRole } from '@reclaim/recovery';
import { APP_CONFIG, type AppConfig } from '../config';
import { BOOTSTRAP_ADMIN_ID, type Principal } from './principal';

const CATCH_UP_MS = 2000;

/**
 * Resolves bearer tokens. Tokens are looked up by their SHA-256 and compared in constant time. A
 * token not found yet may belong to something just created: the read models are given a moment
 * to catch up with the log before the answer is "unknown".
 */
@Injectable()
export class CredentialsService {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDb,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly tickets: TicketQueries,
  ) {
    this.adminTokenHash = config.adminToken ? tokenHash(config.adminToken) : undefined;
  }

  private readonly adminTokenHash: string | undefined;

  async staff(token: string): Promise<Principal | undefined> {
    const hash = tokenHash(token);
    if (this.isAdminToken(hash)) return { kind: 'staff', id: BOOTSTRAP_ADMIN_ID, role: 'admin', name: 'Bootstrap admin' };
    const row = await this.foundOnceCaughtUp(() => this.activeStaff(hash));
    return row && { kind: 'staff', id: row.id, role: row.role, name: row.name };
  }

  /**
   * Whether a staff token still opens the door, asked again and again by what it opened earlier
   * (an event stream): false once it is replaced, its holder deactivated, or given a role not
   * among `roles`. No waiting for the read models here: the token was found in them when the
   * stream opened.
   */
  stillValid(token: string, roles: readonly StaffRole[]): () => boolean {
    const hash = tokenHash(token);
    if (this.isAdminToken(hash)) return () => true;
    return () => {
      const staff = this.activeStaff(hash);
      return staff !== undefined && roles.includes(staff.role);
    };
  }

  private isAdminToken(hash: string): boolean {
    return this.adminTokenHash !== undefined && sameSecret(hash, this.adminTokenHash);
  }

  /** The active staff member holding the token of this hash (compared in constant time once found). */
  private activeStaff(hash: string): { id: string; name: string; role: StaffRole } | undefined {
    const row = prepared(this.db, 'SELECT staff_id AS id, name, role, token_hash AS hash FROM staff WHERE token_hash = ? AND deactivated_at IS NULL').get(hash) as
      | { id: string; name: string; role: StaffRole; hash: string }
      | undefined;
    return row && sameSecret(row.hash, hash) ? row : undefined;
  }

  /** The ticket whose requester token this is, if it is one. */
  async requesterTicket(token: string): Promise<string | undefined> {
    const hash = tokenHash(token);
    return this.foundOnceCaughtUp(() => {
      const row = this.tickets.byRequesterTokenHash(hash);
      return row && sameSecret(row.hash, hash) ? row.ticketId : undefined;
    });
  }

  /** Whether any staff member exists (to tell a new operator how to create the first admin). */
  hasStaff(): boolean {
    return prepared(this.db, 'SELECT 1 FROM staff LIMIT 1').get() !== undefined;
  }

  /**
   * What `find` finds in the read models, or else finds once they have caught up with the log:
   * a token not found may be one issued a moment ago (a new staff member, a replaced token, or
   * one a retry issued in place of a lost one; see `lost-answer.ts`).
   */
  private async foundOnceCaughtUp<T>(find: () => T | undefined): Promise<T | undefined> {
    const found = find();
    if (found !== undefined) return found;
    return (await this.runner.waitFor(await this.store.headPosition(), CATCH_UP_MS)) ? find() : undefined;
  }
}
