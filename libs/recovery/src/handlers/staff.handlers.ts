import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { newToken, tokenHash } from '@reclaim/credentials';
import { eventIdFor, type CommandMeta } from '../shared/decided-event';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { decideStaff, type StaffCommand } from '../staff/staff.decider';
import type { StaffState } from '../staff/staff.events';
import { CreateStaffCommand, DeactivateStaffCommand, ReplaceStaffTokenCommand } from './commands';
import { staffFold } from './folds';

/** Runs one staff command on its stream and answers the staff member as they now stand. */
async function runStaffCommand(runner: StreamRunner, staffId: string, command: StaffCommand, meta: CommandMeta) {
  const { state, position } = await runner.run(streams.staff(staffId), staffFold, meta, (current: StaffState) => decideStaff(command, current));
  const { name, role, active } = state.staff!;
  return { id: staffId, name, role, active, position: position.toString() };
}

@CommandHandler(CreateStaffCommand)
export class CreateStaffHandler implements ICommandHandler<CreateStaffCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ name, role, meta }: CreateStaffCommand) {
    const staffId = eventIdFor(meta.commandId, 'staff', 0);
    const token = newToken('rcl');
    const staff = await runStaffCommand(this.runner, staffId, { type: 'CreateStaff', staffId, name, role, tokenHash: tokenHash(token) }, meta);
    return { ...staff, token };
  }
}

@CommandHandler(ReplaceStaffTokenCommand)
export class ReplaceStaffTokenHandler implements ICommandHandler<ReplaceStaffTokenCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ staffId, meta }: ReplaceStaffTokenCommand) {
    const token = newToken('rcl');
    const staff = await runStaffCommand(this.runner, staffId, { type: 'ReplaceStaffToken', tokenHash: tokenHash(token) }, meta);
    return { ...staff, token };
  }
}

@CommandHandler(DeactivateStaffCommand)
export class DeactivateStaffHandler implements ICommandHandler<DeactivateStaffCommand> {
  constructor(private readonly runner: StreamRunner) {}

  execute({ staffId, meta }: DeactivateStaffCommand) {
    return runStaffCommand(this.runner, staffId, { type: 'DeactivateStaff' }, meta);
  }
}
