import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { newToken, tokenHash } from '@reclaim/credentials';
import { eventIdFor, type CommandMeta } from '../shared/decided-event';
import { TransitionNotAllowed } from '../shared/errors';
import { reissueOf, requireIssuedBy } from '../shared/lost-answer';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { decideAdminRemoval } from '../staff/admin-roster.decider';
import { decideStaff, type StaffCommand } from '../staff/staff.decider';
import type { StaffState } from '../staff/staff.events';
import { ChangeTicketCommand, CreateStaffCommand, DeactivateStaffCommand, ReplaceStaffTokenCommand } from './commands';
import { adminRosterFold, staffFold } from './folds';

/** The staff member as they now stand, as the API answers. */
function staffAnswer(staffId: string, state: StaffState, position: bigint) {
  const { name, role, active } = state.staff!;
  return { id: staffId, name, role, active, position: position.toString() };
}

const replaceToken = (tokenHash: string): StaffCommand => ({ type: 'ReplaceStaffToken', tokenHash });

/**
 * Runs a command that gives the staff member a new token, and answers with it. A retry whose
 * first answer was lost gets a new token in place of the lost one (see `lost-answer.ts`).
 */
async function issueToken(runner: StreamRunner, staffId: string, command: (tokenHash: string) => StaffCommand, meta: CommandMeta) {
  const token = newToken('rcl');
  const { state, position, repeat } = await runner.run(streams.staff(staffId), staffFold, meta, (current: StaffState) =>
    decideStaff(command(tokenHash(token)), current),
  );
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

  execute({ staffId, meta }: ReplaceStaffTokenCommand) {
    return issueToken(this.runner, staffId, replaceToken, meta);
  }
}

@CommandHandler(DeactivateStaffCommand)
export class DeactivateStaffHandler implements ICommandHandler<DeactivateStaffCommand> {
  constructor(
    private readonly runner: StreamRunner,
    private readonly commands: CommandBus,
  ) {}

  async execute({ staffId, known, meta }: DeactivateStaffCommand) {
    // The roster first: once it holds the removal, no other deactivation counts this admin.
    await this.runner.run(streams.adminRoster, adminRosterFold, meta, (roster) => decideAdminRemoval(staffId, known.activeAdmins, roster));
    const { state, position } = await this.runner.run(streams.staff(staffId), staffFold, meta, (current) => decideStaff({ type: 'DeactivateStaff' }, current));
    // Then their open tickets go back to the queue, each once however often this runs: a
    // deactivation cut short is finished by sending it again.
    let last = position;
    for (const ticketId of known.heldTickets) {
      const release = { commandId: eventIdFor(meta.commandId, `release ${ticketId}`, 0), correlationId: meta.correlationId ?? meta.commandId, actor: meta.actor };
      try {
        const { position: released } = await this.commands.execute(new ChangeTicketCommand(ticketId, { type: 'ReleaseTicket', from: staffId, because: 'assignee-deactivated' }, release));
        if (BigInt(released) > last) last = BigInt(released);
      } catch (error) {
        // Closed meanwhile: nothing to give back.
        if (!(error instanceof TransitionNotAllowed)) throw error;
      }
    }
    // The answer's position covers the releases, so that a read after it sees them.
    return staffAnswer(staffId, state, last);
  }
}
