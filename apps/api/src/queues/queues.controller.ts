import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { decodeCursor, ListQueueQuery, QUEUES, QueueStatsQuery, type QueueName } from '@reclaim/projections';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Access, READS_TICKETS } from '../auth/access.decorator';
import { PageLimit } from '../http/page-limit';
import { ID } from '../http/patterns';
import { fieldProblem, ProblemError } from '../http/problem';

class QueueParam {
  @IsIn(QUEUES, { message: `queue must be one of ${QUEUES.join(', ')}` })
  queue!: QueueName;
}

class QueuePageQuery {
  @PageLimit(200, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page.' })
  @IsOptional()
  @IsString()
  after?: string;

  // A team lead's view of one person's work, and the way to find the tickets still held by
  // someone who was deactivated (they stay assigned until reassigned).
  @ApiPropertyOptional({ description: 'Queue `mine` only: the open tickets of this staff member instead of the caller\'s.' })
  @IsOptional()
  @IsString()
  @Matches(ID, { message: 'assignee must be a staff id' })
  assignee?: string;
}

@ApiTags('queues')
@ApiBearerAuth()
@Controller('v1/queues')
export class QueuesController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @Access({ roles: READS_TICKETS })
  @ApiOperation({ summary: 'Every queue with its count, and the median time to decision of decided ones' })
  async stats(@Req() request: FastifyRequest) {
    return { queues: await this.queries.execute(new QueueStatsQuery(viewer(request))) };
  }

  @Get(':queue')
  @Access({ roles: READS_TICKETS })
  @ApiOperation({ summary: 'A queue page, oldest ticket first' })
  async page(@Param() { queue }: QueueParam, @Query() { limit, after, assignee }: QueuePageQuery, @Req() request: FastifyRequest) {
    const cursor = after === undefined ? undefined : decodeCursor(after);
    if (after !== undefined && cursor === undefined) {
      throw new ProblemError(fieldProblem(400, 'Invalid after.', 'after', 'must be the next cursor of a previous page'));
    }
    if (assignee !== undefined && queue !== 'mine') {
      throw new ProblemError(fieldProblem(400, 'Invalid assignee.', 'assignee', 'is taken only by the mine queue'));
    }
    return this.queries.execute(new ListQueueQuery(queue, assignee ?? viewer(request), limit ?? 50, cursor));
  }
}

const viewer = (request: FastifyRequest) => (request.principal?.kind === 'staff' ? request.principal.id : '');
