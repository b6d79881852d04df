import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { RejectOpenTicketsCommand } from './commands';
import { StreamRunner } from '../shared/stream-runner';
import { countChanged, eachTicketOnce } from './each-ticket-once';

/** Each listed ticket rejected once (a command cut short is finished by sending it again); one closed meanwhile is passed over, and not counted. */
@CommandHandler(RejectOpenTicketsCommand)
export class RejectOpenTicketsHandler implements ICommandHandler<RejectOpenTicketsCommand> {
  constructor(private readonly commands: CommandBus, private readonly runner: StreamRunner) {}

  async execute({ openTickets, rejection, after, meta }: RejectOpenTicketsCommand) {
    const last = await eachTicketOnce(this.commands, openTickets, 'reject', { type: 'RejectTicket', ...rejection }, meta, after);
    return { position: last.toString(), rejected: await countChanged(this.runner, openTickets, 'reject', meta) };
  }
}
