import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ClaimableTicketsQuery, HeldTicketsQuery, ListQueueQuery, QUEUES, QueueStatsQuery, type QueueName } from '@reclaim/projections';
import { ClaimNextTicketCommand, type CommandMeta, type RecoveryReason } from '@reclaim/recovery';
import { IsIn, IsOptional, IsString } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access, READS_TICKETS, WORKS_TICKETS } from '../auth/access.decorator';
import { BOOTSTRAP_ADMIN_ID, staffRef } from '../auth/principal';
import { Meta } from '../http/command-meta.decorator';
import { IsStaffId } from '../http/patterns';
import { fieldProblem, problem, ProblemError } from '../http/problem';
import { CursorPageQuery, requestedPage } from '../http/cursor-page';
import { ReasonFilter } from '../http/ticket-filters';
import { Answers } from '../openapi/documented';

class QueueParam {
  @ApiProperty({ enum: QUEUES })
  @IsIn(QUEUES, { message: `queue must be one of ${QUEUES.join(', ')}` })
  queue!: QueueName;
}

/** The queues whose tickets wait for staff, oldest first: where the next ticket to work comes from. */
const CLAIMABLE_QUEUES = ['submitted', 'unclaimed', 'overdue', 'high-priority'] as const;
/** How many of the oldest waiting tickets a claim tries, passing over those others take first. */
const CLAIM_CANDIDATES = 20;

class ClaimableQueueParam {
  @ApiProperty({ enum: CLAIMABLE_QUEUES })
  @IsIn(CLAIMABLE_QUEUES, { message: `queue must be one of ${CLAIMABLE_QUEUES.join(', ')}` })
  queue!: (typeof CLAIMABLE_QUEUES)[number];
}

class ClaimNextDto {
  @ReasonFilter()
  reason?: RecoveryReason;
}

class QueuePageQuery extends CursorPageQuery {
  @ReasonFilter()
  reason?: RecoveryReason;

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
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

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
    return this.queries.execute(new ListQueueQuery(queue, assignee ?? viewer(request), limit, after, query.reason));
  }

  // Work taken in the order it arrived, without picking from a list and losing the race for it
  // to a colleague who picked the same.
  @Post(':queue/claim-next')
  @HttpCode(200)
  @Access({ roles: WORKS_TICKETS })
  @ApiOperation({ summary: 'Claim the oldest ticket of the queue that waits for staff and that no one holds (addition); 204 when none waits' })
  @Answers(200, 'CommandAnswer')
  @ApiResponse({ status: 204, description: 'No ticket of the queue waits unclaimed.' })
  async claimNext(
    @Param() { queue }: ClaimableQueueParam,
    @Body() body: ClaimNextDto,
    @Req() request: FastifyRequest,
    @Meta() meta: CommandMeta,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const by = staffRef(request);
    if (by.id === BOOTSTRAP_ADMIN_ID) {
      throw new ProblemError(problem(422, 'The bootstrap admin token cannot hold tickets: create a staff member (POST /v1/staff) and claim with their token.'));
    }
    const candidates = await this.queries.execute(new ClaimableTicketsQuery(queue, CLAIM_CANDIDATES, body.reason));
    // Sent with an Idempotency-Key, it may be the retry of one whose answer was lost: the caller's
    // tickets are where its first claim would be.
    const held = request.headers['idempotency-key'] === undefined ? [] : await this.queries.execute(new HeldTicketsQuery(by.id));
    const claimed = await this.commands.execute(new ClaimNextTicketCommand(candidates, by, meta, held));
    if (claimed) return claimed;
    if (candidates.length) throw new ProblemError(problem(409, 'Others claimed the waiting tickets first; send it again.', { type: 'concurrent-change' }));
    reply.status(204);
    return undefined;
  }
}

const viewer = (request: FastifyRequest) => (request.principal?.kind === 'staff' ? request.principal.id : '');
