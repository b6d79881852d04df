import { Query } from '@nestjs/cqrs';
import type { AccountFilter, AccountView } from '../accounts/accounts.projector';
import type { AuditReport } from '../audit/verify-audit';
import type { StaffMember } from '../staff/staff.projector';
import type { TicketView } from '../tickets/ticket-view';
import type { HistoryPage, HistoryRange } from './history-entry';
import type { ActivityEntry, QueueName, TicketFilter, TicketPage } from './ticket-queries';

/** Queries the API sends through the QueryBus. */
export class GetTicketQuery extends Query<TicketView | undefined> {
  constructor(readonly ticketId: string, readonly at?: Date) {
    super();
  }
}

export class GetQueuePositionQuery extends Query<number | undefined> {
  constructor(readonly ticketId: string) {
    super();
  }
}

export class GetTicketHistoryQuery extends Query<HistoryPage | undefined> {
  constructor(readonly ticketId: string, readonly range?: HistoryRange) {
    super();
  }
}

/** `viewer`: the staff member whose open tickets `mine` lists. */
export class ListQueueQuery extends Query<TicketPage> {
  constructor(readonly queue: QueueName, readonly viewer: string, readonly limit: number, readonly after?: number, readonly reason?: string) {
    super();
  }
}

/** The oldest tickets of a queue waiting unclaimed for staff, at most `limit`; with `reason`, of those filed for it. */
export class ClaimableTicketsQuery extends Query<string[]> {
  constructor(readonly queue: QueueName, readonly limit: number, readonly reason?: string) {
    super();
  }
}

export class FindTicketsQuery extends Query<TicketPage> {
  constructor(readonly filter: TicketFilter, readonly limit: number, readonly after?: number) {
    super();
  }
}

export class StaffActivityQuery extends Query<{ events: ActivityEntry[]; next?: string }> {
  constructor(readonly staffId: string, readonly limit: number, readonly after?: number) {
    super();
  }
}

export class QueueStatsQuery extends Query<Array<{ queue: QueueName; count: number; medianTimeToDecisionSeconds?: number }>> {
  constructor(readonly viewer: string) {
    super();
  }
}

export class GetAccountQuery extends Query<AccountView | undefined> {
  constructor(readonly username: string) {
    super();
  }
}

/** A page of the accounts in the directory, in username order, after the one named `after`. */
export class ListAccountsQuery extends Query<{ items: AccountView[]; next?: string }> {
  constructor(readonly limit: number, readonly after?: string, readonly filter: AccountFilter = {}) {
    super();
  }
}

/** Every event of one stream, in order: an account's (who fed it, who issued its codes, which tickets used them), a staff member's. */
export class GetStreamHistoryQuery extends Query<HistoryPage | undefined> {
  constructor(readonly stream: string, readonly range?: HistoryRange) {
    super();
  }
}

/** `through`: check the log only up to this position (all of it when absent). */
export class VerifyAuditQuery extends Query<AuditReport> {
  constructor(readonly through?: bigint) {
    super();
  }
}

export class ListStaffQuery extends Query<StaffMember[]> {}

/** The ids of every open ticket filed under a username, oldest first. */
export class OpenTicketsForQuery extends Query<string[]> {
  constructor(readonly username: string) {
    super();
  }
}

/** The ids of every open ticket a staff member holds, oldest first. */
export class HeldTicketsQuery extends Query<string[]> {
  constructor(readonly staffId: string) {
    super();
  }
}

/** The ids of every open ticket whose first approval (of a critical account) a staff member gave, oldest first. */
export class FirstApprovalsQuery extends Query<string[]> {
  constructor(readonly staffId: string) {
    super();
  }
}
