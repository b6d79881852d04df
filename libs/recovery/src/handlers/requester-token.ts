import { newToken, tokenHash } from '@reclaim/credentials';
import type { CommandMeta } from '../shared/decided-event';
import { NotFound } from '../shared/errors';
import { reissueOf, requireIssuedBy } from '../shared/lost-answer';
import type { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { decideTicket, type DecideContext, type TicketState } from '../ticket/ticket.decider';
import { ticketFold } from './folds';

/**
 * A new requester token for the ticket, in place of the one in force, which stops working. Only
 * its hash is kept, so a repeat whose answer was lost cannot show it again: it issues another in
 * its place, unless a later request issued one since (see `lost-answer.ts`). `ifMatch`: of the
 * ticket's revision, as on every command on a ticket.
 */
export async function replaceRequesterToken(
  runner: StreamRunner,
  ticketId: string,
  meta: CommandMeta,
  context: () => DecideContext,
  ifMatch?: bigint,
): Promise<{ state: TicketState; position: bigint; accessToken: string }> {
  const accessToken = newToken('rqt');
  const { state, position, repeat } = await runner.run(streams.ticket(ticketId), ticketFold, meta, (ticket) => {
    if (!ticket.snapshot) throw new NotFound('ticket');
    return decideTicket({ type: 'ReplaceRequesterToken', requesterTokenHash: tokenHash(accessToken) }, ticket, context());
  }, { ifMatch });
  if (!repeat) return { state, position, accessToken };
  requireIssuedBy(meta, state.requesterTokenIssuedBy, 'access token');
  return replaceRequesterToken(runner, ticketId, reissueOf(meta), context);
}
