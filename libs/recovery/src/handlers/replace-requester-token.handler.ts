import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../shared/clock';
import { StreamRunner } from '../shared/stream-runner';
import { ReplaceRequesterTokenCommand } from './commands';
import { RECOVERY_CONFIG, type RecoveryConfig } from './recovery-config';
import { replaceRequesterToken } from './requester-token';

/** A requester who lost their token gets a new one through the platform; the old one stops working. */
@CommandHandler(ReplaceRequesterTokenCommand)
export class ReplaceRequesterTokenHandler implements ICommandHandler<ReplaceRequesterTokenCommand> {
  constructor(
    private readonly runner: StreamRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RECOVERY_CONFIG) private readonly config: RecoveryConfig,
  ) {}

  async execute({ ticketId, meta, ifMatch }: ReplaceRequesterTokenCommand) {
    const { position, accessToken } = await replaceRequesterToken(this.runner, ticketId, meta, () => ({ now: this.clock.now(), policy: this.config }), ifMatch);
    return { ticketId, accessToken, position: position.toString() };
  }
}
