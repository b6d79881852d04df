import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AlreadyAssigned, TransitionNotAllowed } from '../shared/errors';
import { ChangeTicketCommand, ClaimNextTicketCommand } from './commands';
import { onTicket } from './each-ticket-once';

/**
 * Claims the first of the candidates (the oldest tickets waiting unclaimed, as the read models
 * listed them) that is still free and waiting for staff: one someone else claimed meanwhile,
 * asked a question of, or decided, is passed over. Each try is a claim of its own (`onTicket`),
 * so that two staff asking at once each get a ticket of their own.
 */
@CommandHandler(ClaimNextTicketCommand)
export class ClaimNextTicketHandler implements ICommandHandler<ClaimNextTicketCommand> {
  constructor(private readonly commands: CommandBus) {}

  async execute({ candidates, by, meta }: ClaimNextTicketCommand) {
    const claim = { type: 'AssignTicket', assignee: by.id, by, claim: true, waitingForStaff: true } as const;
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
