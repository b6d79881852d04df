import { subCommand, type CommandMeta } from '../shared/decided-event';
import type { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { claimsAfterFiling, claimStanding, type RecoveredThrough } from '../requester/recovery-claim';
import type { RequesterState } from '../requester/requester.events';
import type { TicketEvent } from '../ticket/ticket.events';
import { requesterFold, ticketFold } from './folds';

const verifies = (events: TicketEvent[]) => events.some((event) => event.type === 'TicketVerified');

/**
 * Decides a command on a ticket; where the decision verifies the ticket, it first claims the
 * recovery of the username (see `recovery-claim.ts`), and decides again knowing the ticket through
 * which the account was recovered, if another's claim stands. Called inside the ticket's own run,
 * so the claim is made again by a retry (once: its command id is the command's), and the ticket's
 * append follows it.
 */
export async function decideClaimingRecovery(
  runner: StreamRunner,
  now: Date,
  ticket: { ticketId: string; username: string },
  meta: CommandMeta,
  decide: (recoveredThrough?: RecoveredThrough) => TicketEvent[],
): Promise<TicketEvent[]> {
  const unclaimed = decide();
  if (!verifies(unclaimed)) return unclaimed;
  let decided = unclaimed;
  await runner.run(streams.requests(ticket.username), requesterFold, subCommand(meta, 'recovery-claim'), async (requests) => {
    const through = await standingClaim(runner, requests, ticket.ticketId, now);
    decided = through ? decide(through) : unclaimed;
    return verifies(decided) ? [{ type: 'RecoveryClaimed', data: { ticketId: ticket.ticketId } }] : [];
  });
  return decided;
}

/** The first claim through another ticket that stands against this one, if any. */
async function standingClaim(runner: StreamRunner, requests: RequesterState, ticketId: string, now: Date): Promise<RecoveredThrough | undefined> {
  for (const claim of claimsAfterFiling(requests, ticketId)) {
    const { state } = await runner.load(streams.ticket(claim.ticketId), ticketFold);
    const standing = claimStanding(claim, state, now);
    if (standing) return standing;
  }
  return undefined;
}
