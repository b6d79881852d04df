import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AlreadyAssigned, TransitionNotAllowed } from '../shared/errors';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { ChangeTicketCommand, ClaimNextTicketCommand } from './commands';
import { onTicket } from './each-ticket-once';
import { ticketFold } from './folds';

/**
 * Claims the first of the candidates (the oldest tickets waiting unclaimed, as the read models
 * listed them) that is still free and waiting for staff: one someone else claimed meanwhile,
 * asked a question of, or decided, is passed over. Each try is a claim of its own (`onTicket`),
 * so that two staff asking at once each get a ticket of their own.
 */
@CommandHandler(ClaimNextTicketCommand)
export class ClaimNextTicketHandler implements ICommandHandler<ClaimNextTicketCommand> {
  constructor(
    private readonly commands: CommandBus,
    private readonly runner: StreamRunner,
  ) {}

  async execute({ candidates, by, meta, held }: ClaimNextTicketCommand) {
    const claim = { type: 'AssignTicket', assignee: by.id, by, claim: true, waitingForStaff: true } as const;
    // A retry whose first answer was lost: the ticket the first try claimed is no longer among the
    // free ones, and claiming the next would give the caller a second. Answered as the repeat it is.
    for (const ticketId of held) {
      const first = onTicket(meta, 'claim', ticketId);
      if ((await this.runner.load(streams.ticket(ticketId), ticketFold)).state.commandIds.has(first.commandId)) {
        return this.commands.execute(new ChangeTicketCommand(ticketId, claim, first));
      }
    }
    for (const ticketId of candidates) {
      try {
        return await this.commands.execute(new ChangeTicketCommand(ticketId, claim, onTicket(meta, 'claim', ticketId)));
      } catch (error) {
        if (!(error instanceof AlreadyAssigned || error instanceof TransitionNotAllowed)) throw error;
      }
    }
    return undefined;
  }
}
