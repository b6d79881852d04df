import type { TicketEventType } from './ticket.events';

/**
 * Which events the requester's view shows: their request, the messages between them and staff
 * (questions, answers, follow-ups, reminders) and the decision. The requester's revision counts
 * only these, so that neither it nor their ETag nor a reply's answer tells a requester of work
 * they cannot see: claims, notes, the engine's checks of their codes, approvals, priority. A
 * record of every type, so that a new event cannot be added without deciding this for it.
 */
export const SEEN_BY_REQUESTER: Readonly<Record<TicketEventType, boolean>> = {
  TicketSubmitted: true,
  InfoRequested: true,
  InfoProvided: true,
  FollowUpReceived: true,
  ReplyReminderSent: true,
  TicketVerified: true,
  TicketRejected: true,
  EvidenceRecorded: false,
  TicketPrioritised: false,
  AccountStatusNoted: false,
  TicketAssigned: false,
  TicketReleased: false,
  NoteAdded: false,
  RequesterTokenReplaced: false,
  ApprovalRecorded: false,
  ApprovalWithdrawn: false,
  TicketMarkedOverdue: false,
};

export function seenByRequester(type: string): boolean {
  // Own keys only: a name such as `toString` is no event, though every object answers to it.
  return Object.hasOwn(SEEN_BY_REQUESTER, type) && SEEN_BY_REQUESTER[type as TicketEventType];
}
