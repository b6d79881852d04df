import { applyDecorators, Body, Controller, Get, HttpCode, Inject, Ip, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { FindTicketsQuery, GetQueuePositionQuery, GetTicketHistoryQuery, GetTicketQuery, OpenTicketsForQuery, ProjectionRunner, requesterView, staffView } from '@reclaim/projections';
import {
  ChangeTicketCommand,
  RECOVERY_CONFIG,
  RejectOpenTicketsCommand,
  ReplyToTicketCommand,
  SubmitTicketCommand,
  type CommandMeta,
  type RecoveryConfig,
  type TicketChange,
  ReplaceRequesterTokenCommand,
  WithdrawTicketCommand,
} from '@reclaim/recovery';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access, INTEGRATES, LEADS_TICKETS, READS_TICKETS, WORKS_TICKETS } from '../auth/access.decorator';
import { BOOTSTRAP_ADMIN_ID, staffRef, type Principal } from '../auth/principal';
import { ClientLimits } from '../http/client-limits';
import { IfMatch, Meta } from '../http/command-meta.decorator';
import { fieldProblem, problem, ProblemError } from '../http/problem';
import { notModified } from '../http/not-modified';
import { HistoryPageQuery, requestedPage, requestedRange } from '../http/cursor-page';
import { historyOrNotFound, HistoryRoute } from '../http/history-route';
import { caughtUpWithLog, onceApplied } from '../http/once-applied';
import { AssignDto, FindTicketsDto, NoteDto, RejectDto, RejectOpenDto, ReleaseDto, ReplyDto, RequestInfoDto, SubmitTicketDto, TicketIdParam, TicketQueryDto, VerifyDto, WithdrawDto } from './ticket.dto';
import { Answers, HEADERS, Refuses } from '../openapi/documented';

/** A command staff who work tickets send to one ticket: `POST /v1/tickets/{id}/<action>`, answered with the command's result. */
function StaffTicketCommand(action: string, summary: string) {
  return applyDecorators(Post(`:id/${action}`), HttpCode(200), Access({ roles: WORKS_TICKETS }), ApiOperation({ summary }), Answers(200, 'CommandAnswer'), Refuses(404));
}

@ApiTags('tickets')
@Controller('v1/tickets')
export class TicketsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(ClientLimits) private readonly limits: ClientLimits,
    @Inject(RECOVERY_CONFIG) private readonly policy: RecoveryConfig,
    private readonly projections: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Post()
  @HttpCode(201)
  @Access({ public: true })
  @ApiOperation({ summary: 'File a recovery request (public, rate-limited per client address)' })
  @Answers(201, 'SubmitAnswer', { Location: HEADERS.Location })
  @Refuses(429)
  async submit(@Body() body: SubmitTicketDto, @Ip() ip: string, @Meta() meta: CommandMeta) {
    this.limits.submission(ip);
    this.limits.codeAttempt(ip, body);
    const result = await this.commands.execute(
      new SubmitTicketCommand({ ...body, previousEmails: body.previousEmails ?? [], packages: body.packages ?? [] }, meta),
    );
    return {
      ticketId: result.ticketId,
      ticketNumber: result.ticketNumber,
      state: result.state,
      // Shown once (a retry whose first answer was lost gets a new one in its place).
      accessToken: result.accessToken,
      revision: result.revision,
      position: result.position,
    };
  }

  // Support is told a ticket number or a username by the person who lost access, or hears from
  // them at their contact address; a reviewer looks at every request made under one account.
  @Get()
  @Access({ roles: READS_TICKETS })
  @ApiOperation({ summary: 'Find tickets, oldest first: those filed under a username or from a contact address, the one with a number, or every ticket' })
  @Answers(200, 'TicketPage')
  async find(@Query() query: FindTicketsDto) {
    const { username, ticketNumber, contactEmail, reason, state, assignee } = query;
    const { limit, after } = requestedPage(query);
    return this.queries.execute(new FindTicketsQuery({ username, ticketNumber, contactEmail, reason, state, assignee }, limit, after));
  }

  @Get(':id')
  @Access({ requester: true, roles: READS_TICKETS })
  @ApiOperation({ summary: 'A ticket: the requester view for its requester, the staff view for staff; ?at= for the past' })
  @Answers(200, ['StaffTicketView', 'RequesterTicketView'], { ETag: HEADERS.ETag })
  @ApiResponse({ status: 304, description: 'Not modified since the `If-None-Match` ETag (staff views without `duplicates`).' })
  @Refuses(404)
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag of a view already held: 304 while it is current.' })
  async view(@Param() { id }: TicketIdParam, @Query() { at }: TicketQueryDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const principal = request.principal as Principal;
    if (principal.kind === 'requester' && at) throw new ProblemError(problem(403, 'Only staff may look at the past of a ticket.'));
    const time = at ? new Date(at) : undefined;
    const view = await this.queries.execute(new GetTicketQuery(id, time));
    if (!view) throw new ProblemError(problem(404, at ? 'The ticket did not exist at that time.' : 'The ticket was not found.'));
    if (principal.kind === 'requester') {
      // The requester's revision counts only what their view shows. Their view also shows the
      // place in the queue, which moves without a new revision, so it is always sent whole.
      const shown = requesterView(view, this.policy, await this.queries.execute(new GetQueuePositionQuery(id)));
      reply.header('etag', `"${shown.revision}"`);
      return shown;
    }
    // A staff view changes only with the revision, except its `duplicates`: a later ticket filed
    // for the same username is linked to this one without an event on its stream. So a view that
    // has any is always sent whole, as the client cannot say how many it saw.
    const etag = `"${view.revision}"`;
    reply.header('etag', etag);
    if (!view.duplicates.length && notModified(request.headers['if-none-match'], etag)) {
      reply.status(304);
      return undefined;
    }
    return staffView(view, this.policy);
  }

  @HistoryRoute(':id/history', READS_TICKETS, 'Every event of a ticket, in order, with actor and time; secrets never appear; `limit` and `after` (addition) page it')
  async history(@Param() { id }: TicketIdParam, @Query() query: HistoryPageQuery) {
    return historyOrNotFound(this.queries, new GetTicketHistoryQuery(id, requestedRange(query)), 'ticket');
  }

  @Post(':id/replies')
  @HttpCode(200)
  @Access({ requester: true })
  @ApiOperation({ summary: 'The requester answers a question or follows up' })
  @Answers(200, 'CommandAnswer')
  @Refuses(404, 429)
  async reply(@Param() { id }: TicketIdParam, @Body() body: ReplyDto, @Ip() ip: string, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    this.limits.codeAttempt(ip, body);
    return this.commands.execute(new ReplyToTicketCommand(id, body, meta, ifMatch));
  }

  // Someone who got back in on their own, or filed by mistake, takes their request out of the
  // queue rather than leave staff to work it.
  @Post(':id/withdraw')
  @HttpCode(200)
  @Access({ requester: true })
  @ApiOperation({ summary: 'The requester withdraws their open ticket (addition): it is rejected, reason `other`, by the requester' })
  @Answers(200, 'CommandAnswer')
  @Refuses(404)
  withdraw(@Param() { id }: TicketIdParam, @Body() body: WithdrawDto, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return this.commands.execute(new WithdrawTicketCommand(id, body.message, meta, ifMatch));
  }

  // A requester who lost their token (the page that showed it closed) cannot answer a question or
  // withdraw; the platform, which knows their contact address from the events, sends them a new one.
  @Post(':id/access-token')
  @HttpCode(201)
  @Access({ roles: INTEGRATES })
  @ApiOperation({ summary: "A new requester token for the ticket (addition), for the platform to send to the requester's contact address: shown once; the old one stops working" })
  @Answers(201, 'RequesterToken')
  @Refuses(404)
  async replaceAccessToken(@Param() { id }: TicketIdParam, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return onceApplied(this.projections, await this.commands.execute(new ReplaceRequesterTokenCommand(id, meta, ifMatch)));
  }

  @StaffTicketCommand('assign', 'Claim a ticket no one else holds (no body; 409 already-assigned otherwise) or assign it to a staff id')
  assign(@Param() { id }: TicketIdParam, @Body() body: AssignDto, @Req() request: FastifyRequest, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    const by = staffRef(request);
    if (body.assignee === undefined && by.id === BOOTSTRAP_ADMIN_ID) {
      throw new ProblemError(
        fieldProblem(422, 'The bootstrap admin token cannot hold tickets: create a staff member (POST /v1/staff) and claim with their token, or name an assignee.', 'assignee', 'must name a staff id to assign to'),
      );
    }
    const claim = body.assignee === undefined;
    return this.change(id, { type: 'AssignTicket', assignee: body.assignee ?? by.id, by, claim }, meta, ifMatch);
  }

  // A ticket claimed by mistake, or that its holder cannot work after all, goes back to the queue
  // for anyone to claim, rather than to someone named.
  @StaffTicketCommand('release', 'Give a ticket back to the queue, unclaimed: your own (no body) or the one `from` holds (409 already-assigned when someone else holds it)')
  release(@Param() { id }: TicketIdParam, @Body() body: ReleaseDto, @Req() request: FastifyRequest, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return this.change(id, { type: 'ReleaseTicket', from: body.from ?? staffRef(request).id, because: 'handed-back' }, meta, ifMatch);
  }

  @StaffTicketCommand('request-info', 'Ask the requester a question: the ticket awaits info')
  requestInfo(@Param() { id }: TicketIdParam, @Body() body: RequestInfoDto, @Req() request: FastifyRequest, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return this.change(id, { type: 'RequestInfo', question: body.question, by: staffRef(request) }, meta, ifMatch);
  }

  @StaffTicketCommand('verify', 'Verify; a critical account needs a second approval by another supervisor')
  verify(@Param() { id }: TicketIdParam, @Body() body: VerifyDto, @Req() request: FastifyRequest, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return this.change(id, { type: 'VerifyTicket', evidence: body.evidence, note: body.note, by: staffRef(request) }, meta, ifMatch);
  }

  @StaffTicketCommand('reject', 'Reject with a reason')
  reject(@Param() { id }: TicketIdParam, @Body() body: RejectDto, @Req() request: FastifyRequest, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return this.change(id, { type: 'RejectTicket', reason: body.reason, note: body.note, by: staffRef(request) }, meta, ifMatch);
  }

  // A flood of requests for one account that no one should recover (a verification closes the
  // others itself): rejected in one request, where one at a time would take a lead all day.
  @Post('reject-open')
  @HttpCode(200)
  @Access({ roles: LEADS_TICKETS })
  @ApiOperation({
    summary: 'Reject every open ticket of a username at once, with one reason and note (addition; supervisor, admin)',
    description: "Each is rejected as by `POST /v1/tickets/{id}/reject`, once however often this is sent, with its own event and its own `rejected.v1`; a ticket closed meanwhile is passed over. `rejected` counts the tickets this request rejected: those open when it came, but one closed meanwhile; one filed after it stays open. The read models are brought up to the log's head first (503 when they cannot be within 5 s).",
  })
  @Answers(200, 'TicketsRejected')
  async rejectOpen(@Body() body: RejectOpenDto, @Req() request: FastifyRequest, @Meta() meta: CommandMeta) {
    const head = await caughtUpWithLog(this.projections, this.store);
    const openTickets = await this.queries.execute(new OpenTicketsForQuery(body.username));
    const rejection = { reason: body.reason, note: body.note, by: staffRef(request) };
    const { position, rejected } = await this.commands.execute(new RejectOpenTicketsCommand(openTickets, rejection, head, meta));
    return { username: body.username, rejected, position };
  }

  @StaffTicketCommand('notes', 'Add an internal note, never shown to the requester or integrators')
  note(@Param() { id }: TicketIdParam, @Body() body: NoteDto, @Req() request: FastifyRequest, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return this.change(id, { type: 'AddNote', body: body.body, by: staffRef(request) }, meta, ifMatch);
  }

  private change(id: string, change: TicketChange, meta: CommandMeta, ifMatch?: bigint) {
    return this.commands.execute(new ChangeTicketCommand(id, change, meta, ifMatch));
  }
}
