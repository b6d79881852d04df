import { lifecycleState, type TicketState } from '../ticket/ticket.decider';
import type { RecoveryClaim, RequesterState } from './requester.events';

/**
 * One recovery of a username at a time. Each open ticket of a username carries its own contact
 * address, and a verification tells the platform to give the account to that address: once one
 * ticket is verified, verifying another filed before it would hand the account to a second
 * address (how a takeover rides on a genuine recovery). The tickets projector has the system close
 * those others within seconds; this closes the seconds between. Before a verification is
 * recorded, its ticket claims the recovery on the username's requests stream, whose revision
 * check lets one of two claims at once through: the other then finds the first standing.
 */

/** How long a claim whose ticket is still open holds others back: a verification recorded moments after its claim, or never (its server stopped). */
export const CLAIM_LAPSES_AFTER_MS = 60_000;

/** The ticket through which the account was recovered (`verified`), or is being recovered. */
export interface RecoveredThrough {
  ticketNumber: number;
  verified: boolean;
}

/** The claims a verification of this ticket must respect: through other tickets, made after it was filed. */
export function claimsAfterFiling(requests: RequesterState, ticketId: string): RecoveryClaim[] {
  const filed = requests.ticketIds.indexOf(ticketId);
  return requests.claims.filter((claim) => claim.ticketId !== ticketId && filed < claim.filedBefore);
}

/**
 * How a claim stands, by its ticket as it is now: verified, still being recorded (open, and
 * claimed moments ago), or void (decided otherwise, or lapsed) as none.
 */
export function claimStanding(claim: RecoveryClaim, through: TicketState, now: Date): RecoveredThrough | undefined {
  const current = lifecycleState(through);
  const ticketNumber = through.ticketNumber!;
  if (current === 'verified') return { ticketNumber, verified: true };
  const open = current === 'submitted' || current === 'awaiting-info';
  return open && now.getTime() - claim.at < CLAIM_LAPSES_AFTER_MS ? { ticketNumber, verified: false } : undefined;
}
