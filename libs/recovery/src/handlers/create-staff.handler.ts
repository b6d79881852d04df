import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { newToken, tokenHash } from '@reclaim/credentials';
import { eventIdFor } from '../shared/decided-event';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { CreateStaffCommand } from './commands';
import { staffFold } from './folds';

@CommandHandler(CreateStaffCommand)
export class CreateStaffHandler implements ICommandHandler<CreateStaffCommand> {
  constructor(private readonly runner: StreamRunner) {}

  async execute({ name, role, meta }: CreateStaffCommand) {
    const staffId = eventIdFor(meta.commandId, 'staff', 0);
    const token = newToken('rcl');
    await this.runner.run(streams.staff(staffId), staffFold, meta, () => [
      { type: 'StaffCreated', data: { staffId, name, role, tokenHash: tokenHash(token) } },
    ]);
    return { id: staffId, name, role, token };
  }
}
