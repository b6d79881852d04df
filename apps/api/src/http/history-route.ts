import { applyDecorators, Get } from '@nestjs/common';
import type { IQuery, QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import type { HistoryPage } from '@reclaim/projections';
import type { StaffRole } from '@reclaim/recovery';
import { Access } from '../auth/access.decorator';
import { Answers, Refuses } from '../openapi/documented';
import { problem, ProblemError } from './problem';

/** `GET <path>`: the history of a ticket, an account or a staff member, to those `roles`. */
export const HistoryRoute = (path: string, roles: StaffRole[], summary: string) =>
  applyDecorators(Get(path), Access({ roles }), ApiOperation({ summary }), Answers(200, 'History'), Refuses(404));

/** A history page, the answer of a `HistoryRoute`; 404 naming `what` when it has no event. */
export async function historyOrNotFound(queries: QueryBus, query: IQuery, what: string): Promise<HistoryPage> {
  const history = (await queries.execute(query)) as HistoryPage | undefined;
  if (!history) throw new ProblemError(problem(404, `The ${what} was not found.`));
  return history;
}
