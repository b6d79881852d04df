import type { RecoveredThrough } from '../requester/recovery-claim';
import type { OnFile } from './on-file';
import type { AccountStatus, ApprovalLapse, EvidenceCheck, RecoveryRequest, ReleaseReason, StaffRef } from './ticket.events';

/** The commands a ticket decides on, as plain data (the Nest command classes wrap them). */
export type TicketCommand =
  | (RecoveryRequest & {
      type: 'SubmitTicket';
      ticketId: string;
      ticketNumber: number;
      requesterTokenHash: string;
      /** `onFile` when the account is known: the request compared with its record. */
      account: { known: boolean; critical: boolean; frozen: boolean; onFile?: OnFile };
      evidence: EvidenceCheck[];
      duplicateOf?: string;
      recoveredThrough?: RecoveredThrough;
    })
  /**
   * `account`, on a reply and a verification: the account's status as the handler read it just
   * now. Where it changed since the ticket last knew, the change is noted first, and the code or
   * approval is judged by it. `recoveredThrough`, on those and a submission: the ticket through
   * which the account was recovered, or is being, since this one was filed (see `recovery-claim.ts`),
   * where the handler found one when the command would verify the ticket: a code then verifies
   * nothing, and staff are refused.
   */
  | { type: 'ReplyToTicket'; message: string; evidence: EvidenceCheck[]; account?: AccountStatus; recoveredThrough?: RecoveredThrough }
  /** A reply whose codes were over the attempt limit: the codes are recorded as refused, unchecked; the reply is not. */
  | { type: 'RecordReplyOverLimit'; kinds: Array<EvidenceCheck['kind']> }
  /** The requester no longer needs the ticket (they got back in, or filed it by mistake); `message` says why, for staff. */
  | { type: 'WithdrawTicket'; message?: string }
  /**
   * `claim`: staff taking the ticket for themselves, which takes only a ticket no one else holds,
   * or one held by `fromUnassignable` (a holder the handler found deactivated, or in a role that
   * works no tickets: they cannot work it). `waitingForStaff`: the next ticket of a queue, taken
   * only while it still waits for staff (not once a question went out meanwhile).
   */
  | { type: 'AssignTicket'; assignee: string; by: StaffRef; claim?: boolean; fromUnassignable?: string; waitingForStaff?: boolean }
  /**
   * Gives back to the queue a ticket that `from` holds (a ticket no one holds stays as it is).
   * A ticket someone else holds is left to them by a deactivation's sweep, and refused to a
   * hand-back: the one it names no longer holds it.
   */
  | { type: 'ReleaseTicket'; from: string; because: ReleaseReason }
  | { type: 'RequestInfo'; question: string; by: StaffRef }
  /**
   * `firstApproverLapsed`: the first approver of a critical account, where the handler found them
   * deactivated or in a role that works no tickets: their approval no longer counts, and this one
   * is the first again.
   */
  | { type: 'VerifyTicket'; evidence: string[]; note: string; by: StaffRef; account?: AccountStatus; firstApproverLapsed?: ApprovalLapse; recoveredThrough?: RecoveredThrough }
  /** The first approval no longer counts, where `approver` gave it (see `ApprovalLapse`). */
  | ({ type: 'WithdrawApproval' } & ApprovalLapse)
  | { type: 'RejectTicket'; reason: string; note: string; by: StaffRef }
  /** The platform removed the account: there is nothing left to recover. */
  | { type: 'RejectForRemovedAccount' }
  /**
   * Access to the account was restored through another ticket, filed under the same username:
   * this one, filed before that, has nothing left to recover, and verifying it as well would hand
   * the account to a second contact address.
   */
  | { type: 'RejectAsRecoveredElsewhere'; throughTicketNumber: number }
  /** The same, of a report of a compromise: not closed, as it may be about that very recovery, but raised for a person to read. */
  | { type: 'PrioritiseRecoveredWhileReported'; throughTicketNumber: number }
  | { type: 'AddNote'; body: string; by: StaffRef }
  /** A new requester token in place of one that was lost before anyone saw it (see `lost-answer.ts`). */
  | { type: 'ReplaceRequesterToken'; requesterTokenHash: string }
  /** Timers: each checks for itself that it is due at `now`. */
  | { type: 'MarkOverdue' }
  | { type: 'RemindRequester' }
  | { type: 'ExpireTicket' };

export type TicketCommandType = TicketCommand['type'];

/** Durations the timers are measured against. */
export interface TicketPolicy {
  slaResponseMs: number;
  /** The SLA of a ticket of high priority; unset, the same as any other's. */
  slaHighPriorityMs?: number;
  replyTimeoutMs: number;
}
