import type { CommandBus } from '@nestjs/cqrs';
import { eventIdFor, type CommandMeta } from '../shared/decided-event';
import { TransitionNotAllowed } from '../shared/errors';
import { inGroups } from '../shared/in-groups';
import type { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { ChangeTicketCommand, type TicketChange } from './commands';
import { ticketFold } from './folds';

/** Tickets changed at once (see `inGroups`): 2,000 rejected together in 0.5 s, where one after another took 2.1 s. */
const TICKETS_AT_ONCE = 32;

/**
 * Runs a change on each ticket, several at once, each once however often this runs (its command
 * id comes from the command that asks for it: a staff member's deactivation, an account's
 * removal): a command cut short is finished by sending it again. A ticket closed meanwhile is
 * passed over. Answers the last position recorded, so that the asking command's answer covers
 * these and a read after it sees them.
 */
export async function eachTicketOnce(commands: CommandBus, ticketIds: readonly string[], what: string, change: TicketChange, meta: CommandMeta, after: bigint): Promise<bigint> {
  let last = after;
  await inGroups(ticketIds, TICKETS_AT_ONCE, async (ticketId) => {
    try {
      const { position } = await commands.execute(new ChangeTicketCommand(ticketId, change, onTicket(meta, what, ticketId)));
      if (BigInt(position) > last) last = BigInt(position);
    } catch (error) {
      // Closed meanwhile: nothing to change.
      if (!(error instanceof TransitionNotAllowed)) throw error;
    }
  });
  return last;
}

/**
 * How many of the tickets hold the change `eachTicketOnce` sent them for this command: those it
 * changed, now or in an earlier run cut short, and not those closed meanwhile, which it passed
 * over (a refusal, or a decision that nothing needed doing, records nothing).
 */
export async function countChanged(runner: StreamRunner, ticketIds: readonly string[], what: string, meta: CommandMeta): Promise<number> {
  let changed = 0;
  for (const ticketId of ticketIds) {
    const { state } = await runner.load(streams.ticket(ticketId), ticketFold);
    if (state.commandIds.has(onTicket(meta, what, ticketId).commandId)) changed++;
  }
  return changed;
}

/**
 * The command one command sends to one of several tickets (`what` it does there): its id made
 * from the asking command's and the ticket, so it applies once however often that runs, and
 * correlated with it, so a history shows what asked for it.
 */
export function onTicket(meta: CommandMeta, what: string, ticketId: string): CommandMeta {
  return { commandId: eventIdFor(meta.commandId, `${what} ${ticketId}`, 0), correlationId: meta.correlationId ?? meta.commandId, actor: meta.actor };
}
