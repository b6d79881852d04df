import type { RecordedEvent } from '@reclaim/event-store';
import {
  evolveTicket,
  initialTicketState,
  lifecycleState,
  restoreTicketState,
  serialiseTicketState,
  deadlinesOf,
  ticketTimerAnchors,
  type OnFile,
  type SerialisedTicketState,
  type TicketEvent,
  type TicketPolicy,
  type TimerAnchors,
  type TicketState,
} from '@reclaim/recovery';

export interface TicketMessage {
  id: string;
  from: 'requester' | 'staff' | 'system';
  kind: 'question' | 'answer' | 'follow-up' | 'reminder';
  body: string;
  at: string;
}

export type EvidenceItem =
  | { source: 'engine'; kind: 'recovery-code' | 'totp'; outcome: string; via: string; at: string }
  | { source: 'staff'; items: string[]; by: string; note: string; at: string };

/**
 * Everything staff may know about a ticket, folded from its events. The lifecycle part is the
 * decider's own state, so the view never has an opinion of its own on what state a ticket is in.
 */
export interface TicketView {
  ticketId: string;
  ticketNumber: number;
  state: string;
  reason: string;
  submittedAt: string;
  updatedAt: string;
  revision: string;
  position: string;
  username: string;
  contactEmail: string;
  previousEmails: string[];
  explanation: string;
  packages: string[];
  accountKnown: boolean;
  /** Which of the request's addresses and packages the account's record held at filing; none for an unknown account or a ticket filed before it was recorded. */
  onFile?: OnFile;
  messages: TicketMessage[];
  openQuestion?: { question: string; askedAt: string };
  evidence: EvidenceItem[];
  assignee?: string;
  notes: Array<{ author: string; body: string; at: string }>;
  duplicateOf?: string;
  /**
   * The first tickets linked to this one (`MOST_DUPLICATES_LISTED`), and how many are: filled in
   * when read, from the linked tickets' rows (see `TicketQueries`), not kept in this view.
   */
  duplicates: string[];
  duplicateCount: number;
  overdue: boolean;
  priority: 'normal' | 'high';
  approvals: Array<{ approver: string; role: string; at: string }>;
  decision?: { state: 'verified' | 'rejected'; by: { kind: string; id: string }; reason?: string; note: string; at: string };
  /**
   * What the requester's view shows of these two: only the events it shows count (`seenByRequester`).
   * Kept here, not read from `lifecycle`, which is brought up to date only when the view is stored.
   */
  requesterRevision: string;
  requesterUpdatedAt: string;
  lifecycle: SerialisedTicketState;
}

/**
 * A view together with the decider state it was folded with, so that a run of events restores
 * and serialises that state once: `view.lifecycle` is brought up to date by whoever stores it.
 */
export interface FoldedTicketView {
  view: TicketView;
  state: TicketState;
}

/** Folds one stored event into the view (undefined before the ticket exists). Pure. */
export function evolveTicketView(view: TicketView | undefined, stored: RecordedEvent): TicketView | undefined {
  const folded = foldTicketView(view && { view, state: restoreTicketState(view.lifecycle) }, stored);
  return folded && { ...folded.view, lifecycle: serialiseTicketState(folded.state) };
}

export function foldTicketView(current: FoldedTicketView | undefined, stored: RecordedEvent): FoldedTicketView | undefined {
  const event = stored as unknown as TicketEvent & RecordedEvent;
  const at = stored.metadata.occurredAt;
  if (event.type === 'TicketSubmitted') {
    const d = event.data;
    const lifecycle = evolveTicket(initialTicketState(), stored);
    return { state: lifecycle, view: {
      ticketId: d.ticketId,
      ticketNumber: d.ticketNumber,
      state: lifecycleState(lifecycle)!,
      reason: d.reason,
      submittedAt: at,
      updatedAt: at,
      revision: stored.revision.toString(),
      position: stored.position.toString(),
      username: d.username,
      contactEmail: d.contactEmail,
      previousEmails: d.previousEmails,
      explanation: d.explanation,
      packages: d.packages,
      accountKnown: d.accountKnown,
      onFile: d.onFile,
      messages: [],
      evidence: [],
      notes: [],
      duplicateOf: d.duplicateOf,
      duplicates: [],
      duplicateCount: 0,
      overdue: false,
      priority: 'normal',
      approvals: [],
      requesterRevision: lifecycle.requesterRevision.toString(),
      requesterUpdatedAt: at,
      lifecycle: serialiseTicketState(lifecycle),
    } };
  }
  if (!current) return undefined;
  const view = current.view;
  const lifecycle = evolveTicket(current.state, stored);
  const next: TicketView = {
    ...view,
    state: lifecycleState(lifecycle)!,
    overdue: lifecycle.snapshot!.context.overdue,
    priority: lifecycle.priority,
    updatedAt: at,
    revision: stored.revision.toString(),
    position: stored.position.toString(),
    requesterRevision: lifecycle.requesterRevision.toString(),
    requesterUpdatedAt: lifecycle.requesterRevision === current.state.requesterRevision ? view.requesterUpdatedAt : at,
  };
  const message = (from: TicketMessage['from'], kind: TicketMessage['kind'], body: string) => {
    next.messages = [...view.messages, { id: stored.id, from, kind, body, at }];
  };
  switch (event.type) {
    case 'EvidenceRecorded':
      next.evidence = [...view.evidence, { source: 'engine', ...event.data, at }];
      break;
    case 'TicketAssigned':
      next.assignee = event.data.assignee;
      break;
    case 'TicketReleased':
      next.assignee = undefined;
      break;
    case 'InfoRequested':
      message('staff', 'question', event.data.question);
      next.openQuestion = { question: event.data.question, askedAt: at };
      break;
    case 'InfoProvided':
      message('requester', 'answer', event.data.message);
      next.openQuestion = undefined;
      break;
    case 'FollowUpReceived':
      message('requester', 'follow-up', event.data.message);
      break;
    case 'ReplyReminderSent':
      message('system', 'reminder', `A reminder: please answer the open question before ${event.data.expiresAt}.`);
      break;
    case 'NoteAdded':
      next.notes = [...view.notes, { author: event.data.author, body: event.data.body, at }];
      break;
    case 'ApprovalRecorded':
      next.approvals = [...view.approvals, { approver: event.data.approver, role: event.data.role, at }];
      next.evidence = [...view.evidence, { source: 'staff', items: event.data.evidence, by: event.data.approver, note: event.data.note, at }];
      break;
    case 'ApprovalWithdrawn':
      // The approvals that count: the evidence its approver recorded stays, as a fact of the ticket.
      next.approvals = view.approvals.filter((approval) => approval.approver !== event.data.approver);
      break;
    case 'TicketVerified': {
      const { verifiedBy, evidence, note } = event.data;
      if (verifiedBy.kind === 'staff') {
        next.approvals = [...view.approvals, { approver: verifiedBy.id, role: verifiedBy.role ?? 'agent', at }];
        next.evidence = [...view.evidence, { source: 'staff', items: evidence, by: verifiedBy.id, note, at }];
      }
      next.decision = { state: 'verified', by: { kind: verifiedBy.kind, id: verifiedBy.id }, note, at };
      next.openQuestion = undefined;
      break;
    }
    case 'TicketRejected':
      next.decision = { state: 'rejected', by: event.data.rejectedBy, reason: event.data.reason, note: event.data.note, at };
      next.openQuestion = undefined;
      break;
  }
  return { view: next, state: lifecycle };
}

/**
 * The staff view, as the API shows it, with when the ticket's clocks run out under the server's
 * policy: `overdueAt` while the SLA clock runs (submitted, not yet overdue), `noResponseAt` while
 * a question waits for its answer (the ticket is then rejected, reason `no-response`). The
 * durations are configuration, so the times are worked out when asked, from the state's anchors.
 */
export function staffView(view: TicketView, policy: TicketPolicy): Omit<TicketView, 'lifecycle' | 'requesterRevision' | 'requesterUpdatedAt'> & TicketClocks {
  const { lifecycle, requesterRevision, requesterUpdatedAt, ...rest } = view;
  return { ...rest, ...ticketClocks(ticketTimerAnchors(restoreTicketState(lifecycle)), policy) };
}

/** When a ticket's clocks run out, as the staff view and queue items show them: none once stopped. */
export interface TicketClocks {
  overdueAt?: string;
  noResponseAt?: string;
}

/** The clocks of a ticket whose timers have these anchors, under the server's policy. */
export function ticketClocks(anchors: TimerAnchors, policy: TicketPolicy): TicketClocks {
  const { overdueAt, expireAt } = deadlinesOf(anchors, policy);
  return { ...(overdueAt && { overdueAt: overdueAt.toISOString() }), ...(expireAt && { noResponseAt: expireAt.toISOString() }) };
}

/**
 * Only what the requester may see: their messages and the staff's questions, never notes or
 * evidence, and a revision and a time of change that move only with what they see. An open
 * question says by when to answer it (`replyBy`: the ticket is rejected for no response then), so
 * the requester need not wait for the reminder to learn it. A ticket rejected because its question
 * went unanswered says so (`rejectionReason: no-response`): it is the requester's own silence; one
 * they withdrew says that (`withdrawn`).
 * No other reason is shown: `suspected-fraud` would warn the one suspected, and `duplicate` would
 * tell whoever filed it that someone else has a request open for the username.
 */
export function requesterView(view: TicketView, policy: TicketPolicy, queuePosition?: number) {
  const { noResponseAt } = ticketClocks(ticketTimerAnchors(restoreTicketState(view.lifecycle)), policy);
  return {
    ticketId: view.ticketId,
    ticketNumber: view.ticketNumber,
    state: view.state,
    reason: view.reason,
    submittedAt: view.submittedAt,
    updatedAt: view.requesterUpdatedAt,
    messages: view.messages,
    ...(view.openQuestion && { openQuestion: { ...view.openQuestion, ...(noResponseAt && { replyBy: noResponseAt }) } }),
    revision: view.requesterRevision,
    ...(view.state === 'submitted' && queuePosition !== undefined ? { queuePosition } : {}),
    ...(view.decision?.reason === 'no-response' && { rejectionReason: 'no-response' as const }),
    ...(view.decision?.by.kind === 'requester' && { rejectionReason: 'withdrawn' as const }),
  };
}
