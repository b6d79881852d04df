import type { OnFile } from './on-file';
import type { DecidedEvent } from '../shared/decided-event';

/** Reasons a requester may give, as in the contract. */
export const RECOVERY_REASONS = ['lost-email', 'forgotten-password', 'account-compromise', 'username-change', 'lost-2fa'] as const;
export type RecoveryReason = (typeof RECOVERY_REASONS)[number];

/** How an engine-checked piece of evidence went. Never the code itself. */
export const EVIDENCE_OUTCOMES = ['accepted', 'rejected', 'already-used', 'replayed', 'not-enrolled', 'rate-limited'] as const;
export type EvidenceOutcome = (typeof EVIDENCE_OUTCOMES)[number];

export interface EvidenceCheck {
  kind: 'recovery-code' | 'totp';
  outcome: EvidenceOutcome;
}

/** What a requester tells when filing a ticket. */
export interface RecoveryRequest {
  username: string;
  contactEmail: string;
  previousEmails: string[];
  reason: RecoveryReason;
  explanation: string;
  packages: string[];
}

/**
 * Why a ticket went back to the queue: its holder was deactivated, or given a role that works
 * no tickets (the actor is the admin who did it), or a person who works tickets gave it back (the
 * actor is that person).
 */
export const RELEASE_REASONS = ['assignee-deactivated', 'assignee-role-changed', 'handed-back'] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/** What the platform says of an account that changes how a ticket for it is decided. */
export interface AccountStatus {
  critical: boolean;
  frozen: boolean;
}

/**
 * Why a first approval stops counting: its approver was deactivated, or given a role that works no
 * tickets (an auditor, an integrator), either of which takes away what an approval vouches for.
 */
export interface ApprovalLapse {
  approver: string;
  because: 'deactivated' | 'role-changed';
}

export interface StaffRef {
  id: string;
  role: 'admin' | 'supervisor' | 'agent';
}

export type TicketEvent =
  | DecidedEvent<'TicketSubmitted', RecoveryRequest & {
      ticketId: string;
      ticketNumber: number;
      /** Whether the username is a known account: for staff, never shown to the requester. */
      accountKnown: boolean;
      /** Which of the request's addresses and packages the account's record held (a known account; tickets filed since it was recorded). */
      onFile?: OnFile;
      critical: boolean;
      frozen: boolean;
      /** SHA-256 of the requester's access token; the token itself is shown once and never stored. */
      requesterTokenHash: string;
      duplicateOf?: string;
    }>
  | DecidedEvent<'EvidenceRecorded', EvidenceCheck & { via: 'submission' | 'reply' }>
  | DecidedEvent<'TicketPrioritised', { priority: 'high'; because: string }>
  /**
   * The account's status as the ticket found it when a code or an approval came, where it had
   * changed since filing (or since last noted): the code or approval is judged by it.
   */
  | DecidedEvent<'AccountStatusNoted', AccountStatus>
  | DecidedEvent<'TicketAssigned', { assignee: string; assignedBy: string }>
  /** The ticket is no one's again, and goes back to the queue unclaimed. */
  | DecidedEvent<'TicketReleased', { previousAssignee: string; because: ReleaseReason }>
  | DecidedEvent<'InfoRequested', { question: string; requestedBy: string } & TellsRequester>
  | DecidedEvent<'InfoProvided', { message: string }>
  | DecidedEvent<'FollowUpReceived', { message: string }>
  | DecidedEvent<'NoteAdded', { body: string; author: string }>
  /** SHA-256 of a new requester access token, which replaces the one issued at submission. */
  | DecidedEvent<'RequesterTokenReplaced', { requesterTokenHash: string }>
  | DecidedEvent<'ApprovalRecorded', { approver: string; role: StaffRef['role']; evidence: string[]; note: string }>
  /** A critical account's first approval no longer counts: its approver no longer works tickets. */
  | DecidedEvent<'ApprovalWithdrawn', ApprovalLapse>
  | DecidedEvent<'TicketVerified', {
      verifiedBy: { kind: 'staff' | 'system'; id: string; role?: StaffRef['role'] };
      evidence: string[];
      note: string;
      /** For the platform, which restores access on this event. */
      username: string;
      contactEmail: string;
    }>
  /** `rejectedBy.kind` `requester`: the requester withdrew the ticket (reason `other`), `id` the ticket's. */
  | DecidedEvent<'TicketRejected', { reason: string; note: string; rejectedBy: { kind: 'staff' | 'system' | 'requester'; id: string } } & TellsRequester>
  | DecidedEvent<'TicketMarkedOverdue', { dueAt: string }>
  | DecidedEvent<'ReplyReminderSent', { dueAt: string; expiresAt: string } & TellsRequester>;

/**
 * On the events the requester should hear of (a question, a reminder, a decision): the contact
 * address they gave, for the platform, which tells them (`TicketSubmitted` and `TicketVerified`
 * hold it too). Absent on such events recorded before 2026-11-29.
 */
interface TellsRequester {
  contactEmail?: string;
}

export type TicketEventType = TicketEvent['type'];
export type TicketEventOf<T extends TicketEventType> = Extract<TicketEvent, { type: T }>;
