import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { FirstApprovalsQuery, GetStreamHistoryQuery, HeldTicketsQuery, ListStaffQuery, ProjectionRunner, StaffActivityQuery } from '@reclaim/projections';
import { ChangeStaffRoleCommand, CreateStaffCommand, DeactivateStaffCommand, RenameStaffCommand, ReplaceStaffTokenCommand, STAFF_ROLES, streams, type CommandMeta, type KnownStaff, type StaffRole } from '@reclaim/recovery';
import { IsIn, IsString } from 'class-validator';
import { Access, ADMINISTERS, AUDITS, READS_TICKETS } from '../auth/access.decorator';
import type { FastifyReply } from 'fastify';
import { IfMatch, Meta } from '../http/command-meta.decorator';
import { CursorPageQuery, HistoryPageQuery, requestedPage, requestedRange } from '../http/cursor-page';
import { historyOrNotFound, HistoryRoute } from '../http/history-route';
import { problem, ProblemError } from '../http/problem';
import { IsStaffId, IsText } from '../http/patterns';
import { caughtUpWithLog, onceApplied } from '../http/once-applied';
import { Answers, HEADERS, Refuses } from '../openapi/documented';

/** A staff member's name and role, as created and as changed later, each with the one rule. */
const StaffName = () => applyDecorators(ApiProperty({ maxLength: 200 }), IsString(), IsText(200));
const StaffRoleField = () => applyDecorators(ApiProperty({ enum: STAFF_ROLES }), IsIn(STAFF_ROLES, { message: `role must be one of ${STAFF_ROLES.join(', ')}` }));

class CreateStaffDto {
  @StaffName()
  name!: string;

  @StaffRoleField()
  role!: StaffRole;
}

class RenameDto {
  @StaffName()
  name!: string;
}

class ChangeRoleDto {
  @StaffRoleField()
  role!: StaffRole;
}

class StaffIdParam {
  @ApiProperty({ description: 'The staff member\'s id.' })
  @IsString()
  @IsStaffId()
  id!: string;
}

/** An admin's change to one staff member: `POST /v1/staff/{id}/<what>`, answered with the member as they now stand. */
function StaffChange(what: string, summary: string) {
  return applyDecorators(Post(`:id/${what}`), HttpCode(200), Access({ roles: ADMINISTERS }), ApiOperation({ summary }), Answers(200, 'StaffChanged'), Refuses(404, 409));
}

@ApiTags('staff')
@Controller('v1/staff')
export class StaffController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly projections: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Post()
  @HttpCode(201)
  @Access({ roles: ADMINISTERS })
  @ApiOperation({ summary: 'Create a staff member; the token is shown once and stored hashed' })
  @Answers(201, 'StaffToken', { Location: HEADERS.Location })
  create(@Body() body: CreateStaffDto, @Meta() meta: CommandMeta) {
    return this.commands.execute(new CreateStaffCommand(body.name, body.role, meta));
  }

  // Whoever reads tickets may list staff: ticket histories and assignees name staff by id, and
  // assigning a ticket to someone needs their id.
  @Get()
  @Access({ roles: READS_TICKETS })
  @ApiOperation({ summary: 'Every staff member, oldest first, active or not (addition); never a token' })
  @Answers(200, 'StaffList')
  async list() {
    return { staff: await this.queries.execute(new ListStaffQuery()) };
  }

  @Get(':id')
  @Access({ roles: READS_TICKETS })
  @ApiOperation({ summary: 'One staff member, as the list shows them (addition); never a token' })
  @Answers(200, 'Staff', { ETag: HEADERS.ETag })
  @Refuses(404)
  async one(@Param() { id }: StaffIdParam, @Res({ passthrough: true }) reply: FastifyReply) {
    const member = (await this.queries.execute(new ListStaffQuery())).find((candidate) => candidate.id === id);
    if (!member) throw new ProblemError(problem(404, 'The staff member was not found.'));
    reply.header('etag', `"${member.revision}"`);
    return member;
  }

  // Those who review the work (not peers): what one person did, across every ticket, account and staff member.
  @Get(':id/activity')
  @Access({ roles: AUDITS })
  @ApiOperation({ summary: 'What one staff member recorded on tickets, accounts and staff, oldest first (addition): each event with what it was about; an id that names no one has none' })
  @Answers(200, 'Activity')
  async activity(@Param() { id }: StaffIdParam, @Query() query: CursorPageQuery) {
    const { limit, after } = requestedPage(query);
    return this.queries.execute(new StaffActivityQuery(id, limit, after));
  }

  // The staff member's own record, to the same reviewers: which roles they held, and when.
  @HistoryRoute(':id/history', AUDITS, 'Every event of a staff member, in order, with actor and time (addition): created, token replaced, role changed, deactivated; never a token or its hash; `limit` and `after` page it')
  async history(@Param() { id }: StaffIdParam, @Query() query: HistoryPageQuery) {
    return historyOrNotFound(this.queries, new GetStreamHistoryQuery(streams.staff(id), requestedRange(query)), 'staff member');
  }

  @Post(':id/token')
  @HttpCode(201)
  @Access({ roles: ADMINISTERS })
  @ApiOperation({ summary: 'Replace a staff token (addition): the new one is shown once, the old one stops working' })
  @Answers(201, 'StaffToken')
  @Refuses(404)
  async replaceToken(@Param() { id }: StaffIdParam, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return onceApplied(this.projections, await this.commands.execute(new ReplaceStaffTokenCommand(id, meta, ifMatch)));
  }

  @StaffChange('name', 'Give a staff member another name (addition): a typo, a name changed; their id, token and history stay')
  async rename(@Param() { id }: StaffIdParam, @Body() { name }: RenameDto, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return onceApplied(this.projections, await this.commands.execute(new RenameStaffCommand(id, name, meta, ifMatch)));
  }

  @StaffChange('role', 'Give a staff member another role (addition): their token opens what the new role may do from then on; a role that works no tickets gives their open tickets back to the queue and withdraws their first approvals of critical accounts; never the last active admin (409)')
  async changeRole(@Param() { id }: StaffIdParam, @Body() { role }: ChangeRoleDto, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return onceApplied(this.projections, await this.commands.execute(new ChangeStaffRoleCommand(id, role, await this.known(id), meta, ifMatch)));
  }

  @Delete(':id')
  @HttpCode(200)
  @Access({ roles: ADMINISTERS })
  @ApiOperation({ summary: 'Deactivate a staff member (addition): their token stops working, no ticket can be assigned to them, their open tickets go back to the queue unclaimed, their first approvals of critical accounts stop counting; never the last active admin (409)' })
  @Answers(200, 'StaffChanged')
  @Refuses(404)
  async deactivate(@Param() { id }: StaffIdParam, @Meta() meta: CommandMeta, @IfMatch() ifMatch?: bigint) {
    return onceApplied(this.projections, await this.commands.execute(new DeactivateStaffCommand(id, await this.known(id), meta, ifMatch)));
  }

  /**
   * What a deactivation or a role change needs from the read models, read once they hold every
   * event so far (this server's and other servers' alike): the active admins, for the last-admin
   * check (an admin created before this request is among them), the open tickets the staff
   * member holds, and those whose first approval they gave.
   */
  private async known(id: string): Promise<KnownStaff> {
    await caughtUpWithLog(this.projections, this.store);
    const staff = await this.queries.execute(new ListStaffQuery());
    const heldTickets = await this.queries.execute(new HeldTicketsQuery(id));
    const approvedFirst = await this.queries.execute(new FirstApprovalsQuery(id));
    return { activeAdmins: staff.filter((member) => member.role === 'admin' && member.active).map((member) => member.id), heldTickets, approvedFirst };
  }
}
