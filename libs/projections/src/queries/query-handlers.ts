import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { listAccounts, readAccount } from '../accounts/accounts.projector';
import { pageOf } from './cursor';
import { verifyAudit, type AuditReport } from '../audit/verify-audit';
import { READ_MODEL_DB, type ReadModelDb } from '../read-model-db';
import { listStaff } from '../staff/staff.projector';
import {
  FindTicketsQuery,
  GetStreamHistoryQuery,
  GetAccountQuery,
  ListAccountsQuery,
  GetQueuePositionQuery,
  GetTicketHistoryQuery,
  GetTicketQuery,
  FirstApprovalsQuery,
  HeldTicketsQuery,
  OpenTicketsForQuery,
  ListQueueQuery,
  ClaimableTicketsQuery,
  ListStaffQuery,
  QueueStatsQuery,
  StaffActivityQuery,
  VerifyAuditQuery,
} from './queries';
import { readHistory } from './history-entry';
import { TicketQueries } from './ticket-queries';

@QueryHandler(GetTicketQuery)
export class GetTicketHandler implements IQueryHandler<GetTicketQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ ticketId, at }: GetTicketQuery) {
    return at ? this.tickets.viewAt(ticketId, at) : this.tickets.view(ticketId);
  }
}

@QueryHandler(GetQueuePositionQuery)
export class GetQueuePositionHandler implements IQueryHandler<GetQueuePositionQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ ticketId }: GetQueuePositionQuery) {
    return this.tickets.queuePosition(ticketId);
  }
}

@QueryHandler(GetTicketHistoryQuery)
export class GetTicketHistoryHandler implements IQueryHandler<GetTicketHistoryQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ ticketId, range }: GetTicketHistoryQuery) {
    return this.tickets.history(ticketId, range);
  }
}

@QueryHandler(ListQueueQuery)
export class ListQueueHandler implements IQueryHandler<ListQueueQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ queue, viewer, limit, after, reason }: ListQueueQuery) {
    return this.tickets.queue(queue, { viewer, limit, after, reason });
  }
}

@QueryHandler(ClaimableTicketsQuery)
export class ClaimableTicketsHandler implements IQueryHandler<ClaimableTicketsQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ queue, limit, reason }: ClaimableTicketsQuery) {
    return this.tickets.claimable(queue, limit, reason);
  }
}

@QueryHandler(HeldTicketsQuery)
export class HeldTicketsHandler implements IQueryHandler<HeldTicketsQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ staffId }: HeldTicketsQuery) {
    return this.tickets.openTickets({ assignee: staffId });
  }
}

@QueryHandler(OpenTicketsForQuery)
export class OpenTicketsForHandler implements IQueryHandler<OpenTicketsForQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ username }: OpenTicketsForQuery) {
    return this.tickets.openTickets({ username });
  }
}

@QueryHandler(FirstApprovalsQuery)
export class FirstApprovalsHandler implements IQueryHandler<FirstApprovalsQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ staffId }: FirstApprovalsQuery) {
    return this.tickets.approvedFirstBy(staffId);
  }
}

@QueryHandler(FindTicketsQuery)
export class FindTicketsHandler implements IQueryHandler<FindTicketsQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ filter, limit, after }: FindTicketsQuery) {
    return this.tickets.find(filter, { limit, after });
  }
}

@QueryHandler(StaffActivityQuery)
export class StaffActivityHandler implements IQueryHandler<StaffActivityQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ staffId, limit, after }: StaffActivityQuery) {
    return this.tickets.activity(staffId, { limit, after });
  }
}

@QueryHandler(QueueStatsQuery)
export class QueueStatsHandler implements IQueryHandler<QueueStatsQuery> {
  constructor(private readonly tickets: TicketQueries) {}
  async execute({ viewer }: QueueStatsQuery) {
    return this.tickets.stats(viewer);
  }
}

@QueryHandler(GetAccountQuery)
export class GetAccountHandler implements IQueryHandler<GetAccountQuery> {
  constructor(@Inject(READ_MODEL_DB) private readonly db: ReadModelDb) {}
  async execute({ username }: GetAccountQuery) {
    return readAccount(this.db, username);
  }
}

@QueryHandler(ListAccountsQuery)
export class ListAccountsHandler implements IQueryHandler<ListAccountsQuery> {
  constructor(@Inject(READ_MODEL_DB) private readonly db: ReadModelDb) {}
  async execute({ limit, after, filter }: ListAccountsQuery) {
    const { page, next } = pageOf(listAccounts(this.db, limit + 1, after, filter), limit, (account) => account.username);
    return { items: page, ...(next && { next }) };
  }
}

@QueryHandler(GetStreamHistoryQuery)
export class GetStreamHistoryHandler implements IQueryHandler<GetStreamHistoryQuery> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async execute({ stream, range }: GetStreamHistoryQuery) {
    return readHistory(this.store, stream, range);
  }
}

/**
 * A check of a large log takes seconds and holds every stream's chain in memory (a million events:
 * about 20 s). Reviewers who ask for the same check while one is under way share it rather than
 * each starting another, if it reaches the log's head as it was when they asked.
 */
@QueryHandler(VerifyAuditQuery)
export class VerifyAuditHandler implements IQueryHandler<VerifyAuditQuery> {
  private readonly underWay = new Map<string, Promise<AuditReport>>();
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ through }: VerifyAuditQuery): Promise<AuditReport> {
    const key = through === undefined ? 'all' : String(through);
    // The log up to `through` is the same whenever it is checked; the whole log must be checked
    // at least as far as it reached when this request came.
    const reach = through === undefined ? await this.store.headPosition() : 0n;
    const shared = this.underWay.get(key);
    if (shared) {
      const report = await shared;
      if (BigInt(report.position) >= reach) return report;
    }
    // A walk started since the shared one ended began after this request came.
    return this.underWay.get(key) ?? this.start(key, through);
  }

  private start(key: string, through?: bigint): Promise<AuditReport> {
    const walk = verifyAudit(this.store, { through }).finally(() => {
      if (this.underWay.get(key) === walk) this.underWay.delete(key);
    });
    this.underWay.set(key, walk);
    return walk;
  }
}

@QueryHandler(ListStaffQuery)
export class ListStaffHandler implements IQueryHandler<ListStaffQuery> {
  constructor(@Inject(READ_MODEL_DB) private readonly db: ReadModelDb) {}
  async execute() {
    return listStaff(this.db);
  }
}

export const QUERY_HANDLERS = [
  GetTicketHandler,
  GetQueuePositionHandler,
  GetTicketHistoryHandler,
  ListQueueHandler,
  ClaimableTicketsHandler,
  FirstApprovalsHandler,
  HeldTicketsHandler,
  FindTicketsHandler,
  StaffActivityHandler,
  QueueStatsHandler,
  GetAccountHandler,
  ListAccountsHandler,
  OpenTicketsForHandler,
  GetStreamHistoryHandler,
  VerifyAuditHandler,
  ListStaffHandler,
];
