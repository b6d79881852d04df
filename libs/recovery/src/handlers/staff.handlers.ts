import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { newToken, tokenHash } from '@reclaim/credentials';
import { eventIdFor, type CommandMeta } from '../shared/decided-event';
import { StaleRevision } from '../shared/errors';
import { reissueOf, requireIssuedBy } from '../shared/lost-answer';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { decideAdminRemoval, decideAdminRestoral } from '../staff/admin-roster.decider';
import { decideStaff, type StaffCommand } from '../staff/staff.decider';
import { TICKET_ROLES, type StaffEvent, type StaffState } from '../staff/staff.events';
import type { ApprovalLapse, ReleaseReason } from '../ticket/ticket.events';
import { ChangeStaffRoleCommand, CreateStaffCommand, DeactivateStaffCommand, RenameStaffCommand, ReplaceStaffTokenCommand, type KnownStaff } from './commands';
import { eachTicketOnce } from './each-ticket-once';
import { adminRosterFold, staffFold } from './folds';

/** The staff member as they now stand, as the API answers. */
function staffAnswer(staffId: string, state: StaffState, position: bigint) {
  const { name, role, active } = state.staff!;
  return { id: staffId, name, role, active, revision: state.revision.toString(), position: position.toString() };
}

/**
 * The decision on an existing staff member, refused (412) when `ifMatch` names a revision they
 * have moved past. An unknown member is refused by the decider (404), as no revision is theirs.
 */
function onStaff(command: StaffCommand, ifMatch?: bigint) {
  return (state: StaffState): StaffEvent[] => {
    if (ifMatch !== undefined && state.staff && ifMatch !== state.revision) throw new StaleRevision(ifMatch, state.revision, 'staff member');
    return decideStaff(command, state);
  };
}

/**
 * Judges a command on the staff member's stream as it stands, before the admin roster records
 * anything for it (a role change, a deactivation): a refusal, a stale If-Match included, leaves
 * the roster as it was. A retry of one applied already is answered by the run that follows.
 */
async function refuseEarly(runner: StreamRunner, staffId: string, command: StaffCommand, meta: CommandMeta, ifMatch?: bigint): Promise<void> {
  const { state } = await runner.load(streams.staff(staffId), staffFold);
  if (!state.commandIds.has(meta.commandId)) onStaff(command, ifMatch)(state);
}

const replaceToken = (tokenHash: string): StaffCommand => ({ type: 'ReplaceStaffToken', tokenHash });

/**
 * Runs a command that gives the staff member a new token, and answers with it. A retry whose
 * first answer was lost gets a new token in place of the lost one (see `lost-answer.ts`).
 */
async function issueToken(runner: StreamRunner, staffId: string, command: (tokenHash: string) => StaffCommand, meta: CommandMeta, ifMatch?: bigint) {
  const token = newToken('rcl');
  const { state, position, repeat } = await runner.run(streams.staff(staffId), staffFold, meta, onStaff(command(tokenHash(token)), ifMatch));
  if (repeat) {
    requireIssuedBy(meta, state.staff?.tokenIssuedBy, 'token');
    return issueToken(runner, staffId, replaceToken, reissueOf(meta));
  }
  return { ...staffAnswer(staffId, state, position), token };
}

@CommandHandler(CreateStaffCommand)
export class CreateStaffHandler implements ICommandHandler<CreateStaffCommand> {
  constructor(private readonly runner: StreamRunner) {}

  execute({ name, role, meta }: CreateStaffCommand) {
    const staffId = eventIdFor(meta.commandId, 'staff', 0);
    return issueToken(this.runner, staffId, (hash) => ({ type: 'CreateStaff', staffId, name, role, tokenHash: hash }), meta);
  }
}

@CommandHandler(ReplaceStaffTokenCommand)
export class ReplaceStaffTokenHandler implements ICommandHandler<ReplaceStaffTokenCommand> {
  constructor(private readonly runner: StreamRunner) {}

  execute({ staffId, meta, ifMatch }: ReplaceStaffTokenCommand) {
    return issueToken(this.runner, staffId, replaceToken, meta, ifMatch);
  }
}

@CommandHandler(RenameStaffCommand)
export class RenameStaffHandler implements ICommandHandler<RenameStaffCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ staffId, name, meta, ifMatch }: RenameStaffCommand) {
    const { state, position } = await this.runner.run(streams.staff(staffId), staffFold, meta, onStaff({ type: 'RenameStaff', name }, ifMatch));
    return staffAnswer(staffId, state, position);
  }
}

@CommandHandler(ChangeStaffRoleCommand)
export class ChangeStaffRoleHandler implements ICommandHandler<ChangeStaffRoleCommand> {
  constructor(
    private readonly runner: StreamRunner,
    private readonly commands: CommandBus,
  ) {}

  async execute({ staffId, role, known, meta, ifMatch }: ChangeStaffRoleCommand) {
    const change: StaffCommand = { type: 'ChangeStaffRole', role };
    await refuseEarly(this.runner, staffId, change, meta, ifMatch);
    // The roster first, as for a deactivation: an admin given another role is removed from it
    // (never the last), and one made an admin again is restored to it.
    await this.runner.run(streams.adminRoster, adminRosterFold, meta, (roster) =>
      role === 'admin' ? decideAdminRestoral(staffId, roster) : decideAdminRemoval(staffId, known.activeAdmins, roster),
    );
    const { state, position } = await this.runner.run(streams.staff(staffId), staffFold, meta, onStaff(change, ifMatch));
    // A role that does not work tickets holds none, and approves none.
    if (TICKET_ROLES.includes(role)) return staffAnswer(staffId, state, position);
    return staffAnswer(staffId, state, await stopWorkingTickets(this.commands, staffId, known, 'role-changed', meta, position));
  }
}

@CommandHandler(DeactivateStaffCommand)
export class DeactivateStaffHandler implements ICommandHandler<DeactivateStaffCommand> {
  constructor(
    private readonly runner: StreamRunner,
    private readonly commands: CommandBus,
  ) {}

  async execute({ staffId, known, meta, ifMatch }: DeactivateStaffCommand) {
    const deactivation: StaffCommand = { type: 'DeactivateStaff' };
    await refuseEarly(this.runner, staffId, deactivation, meta, ifMatch);
    // The roster first: once it holds the removal, no other deactivation counts this admin.
    await this.runner.run(streams.adminRoster, adminRosterFold, meta, (roster) => decideAdminRemoval(staffId, known.activeAdmins, roster));
    const { state, position } = await this.runner.run(streams.staff(staffId), staffFold, meta, onStaff(deactivation, ifMatch));
    return staffAnswer(staffId, state, await stopWorkingTickets(this.commands, staffId, known, 'deactivated', meta, position));
  }
}

/**
 * What follows when a staff member stops working tickets (see `eachTicketOnce`): their open
 * tickets go back to the queue, and their first approvals of critical accounts stop counting now,
 * not at the next approval, so that the tickets show the approvals still needed. One the read
 * models did not show yet is withdrawn by that next approval (see the ticket decider).
 */
async function stopWorkingTickets(commands: CommandBus, staffId: string, known: KnownStaff, because: ApprovalLapse['because'], meta: CommandMeta, after: bigint): Promise<bigint> {
  const release: ReleaseReason = because === 'deactivated' ? 'assignee-deactivated' : 'assignee-role-changed';
  const released = await eachTicketOnce(commands, known.heldTickets, 'release', { type: 'ReleaseTicket', from: staffId, because: release }, meta, after);
  return eachTicketOnce(commands, known.approvedFirst, 'withdraw', { type: 'WithdrawApproval', approver: staffId, because }, meta, released);
}
