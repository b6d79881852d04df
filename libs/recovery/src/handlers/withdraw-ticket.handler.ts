import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../shared/clock';
import { NotFound } from '../shared/errors';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { decideTicket } from '../ticket/ticket.decider';
import { WithdrawTicketCommand } from './commands';
import { ticketFold } from './folds';
import { RECOVERY_CONFIG, type RecoveryConfig } from './recovery-config';
import { requesterTicketResult } from './ticket-results';

/** The requester withdraws their open ticket: load, decide, append, answered with the revision they see. */
@CommandHandler(WithdrawTicketCommand)
export class WithdrawTicketHandler implements ICommandHandler<WithdrawTicketCommand> {
  constructor(
    private readonly runner: StreamRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RECOVERY_CONFIG) private readonly config: RecoveryConfig,
  ) {}

  async execute({ ticketId, message, meta, ifMatch }: WithdrawTicketCommand) {
    const { state, position } = await this.runner.run(
      streams.ticket(ticketId),
      ticketFold,
      meta,
      (ticket) => {
        if (!ticket.snapshot) throw new NotFound('ticket');
        return decideTicket({ type: 'WithdrawTicket', message }, ticket, { now: this.clock.now(), policy: this.config });
      },
      { ifMatch, revisionOf: (ticket) => ticket.requesterRevision },
    );
    return requesterTicketResult(ticketId, state, position);
  }
}
