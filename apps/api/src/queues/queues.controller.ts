import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ListQueueQuery, QUEUES, QueueStatsQuery, type QueueName } from '@reclaim/projections';
import { IsIn, IsOptional, IsString } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Access, READS_TICKETS } from '../auth/access.decorator';
import { IsStaffId } from '../http/patterns';
import { fieldProblem, ProblemError } from '../http/problem';
import { CursorPageQuery, requestedPage } from '../http/cursor-page';
import { Answers } from '../openapi/documented';

class QueueParam {
  @ApiProperty({ enum: QUEUES })
  @IsIn(QUEUES, { message: `queue must be one of ${QUEUES.join(', ')}` })
  queue!: QueueName;
}

class QueuePageQuery extends CursorPageQuery {
  // A team lead's view of one person's work.
  @ApiPropertyOptional({ description: 'Queue `mine` only: the open tickets of this staff member instead of the caller\'s.' })
  @IsOptional()
  @IsString()
  @IsStaffId()
  assignee?: string;
}

@ApiTags('queues')
@Controller('v1/queues')
export class QueuesController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @Access({ roles: READS_TICKETS })
  @ApiOperation({ summary: 'Every queue with its count, and the median time to decision of decided ones' })
  @Answers(200, 'QueueCounts')
  async stats(@Req() request: FastifyRequest) {
    return { queues: await this.queries.execute(new QueueStatsQuery(viewer(request))) };
  }

  @Get(':queue')
  @Access({ roles: READS_TICKETS })
  @ApiOperation({ summary: 'A queue page, oldest ticket first' })
  @Answers(200, 'TicketPage')
  async page(@Param() { queue }: QueueParam, @Query() query: QueuePageQuery, @Req() request: FastifyRequest) {
    const { limit, after } = requestedPage(query);
    const { assignee } = query;
    if (assignee !== undefined && queue !== 'mine') {
      throw new ProblemError(fieldProblem(400, 'Invalid assignee.', 'assignee', 'is taken only by the mine queue'));
    }
    return this.queries.execute(new ListQueueQuery(queue, assignee ?? viewer(request), limit, after));
  }
}

const viewer = (request: FastifyRequest) => (request.principal?.kind === 'staff' ? request.principal.id : '');
