import { assign, setup } from 'xstate';

/**
 * The lifecycle of a recovery ticket, and the only place that says which step is allowed when.
 * Pure: no I/O, no clock. The deciders ask it (`snapshot.can`) before they emit an event, and fold
 * stored events through it (`transition`) to know where a ticket stands.
 */

export type StaffRole = 'admin' | 'supervisor' | 'agent';

/** What the machine needs to know about a ticket beyond its state. */
export interface TicketMachineContext {
  reason: string;
  /**
   * The account is critical or frozen: as it was when the ticket was filed, and as it changed
   * since (a code or an approval is judged by the account as it is when it comes).
   */
  critical: boolean;
  frozen: boolean;
  /** Staff id of the first approval of a critical account, waiting for a second approver. */
  firstApprover?: string;
  overdue: boolean;
  reminded: boolean;
  /**
   * What the requester wrote since the ticket was filed or staff last asked a question: follow-ups,
   * and codes refused over the attempt limit.
   */
  followUps: number;
}

/**
 * How many follow-ups (and codes refused over the attempt limit) may wait for staff: past it the
 * requester is asked to wait for a question. Each is kept in the ticket's view, so without a
 * bound anyone holding a requester's token (anyone who files a ticket) could grow one ticket, and
 * the work of keeping it, without end. A staff question starts the count again; an answer to it
 * is always taken.
 */
export const MAX_FOLLOW_UPS = 10;

export interface TicketMachineInput {
  reason: string;
  critical: boolean;
  frozen: boolean;
}

export type TicketMachineEvent =
  | { type: 'ASSIGN' }
  | { type: 'NOTE' }
  | { type: 'RECORD_EVIDENCE' }
  | { type: 'REQUEST_INFO' }
  /** The requester writes: a follow-up while submitted, an answer while awaiting info. */
  | { type: 'REPLY' }
  /** A code the requester sent with a reply, refused unchecked as over the attempt limit: recorded. */
  | { type: 'REPLY_OVER_LIMIT' }
  /** A staff member verifies. */
  | { type: 'APPROVE'; approver: string; role: StaffRole }
  /** The first approval of a critical account no longer counts: its approver was deactivated. */
  | { type: 'WITHDRAW_APPROVAL'; approver: string }
  /** The engine verifies by itself after a valid recovery code. */
  | { type: 'CODE_VERIFY' }
  /** The platform made the account critical or frozen, or no longer so, since the ticket last knew. */
  | { type: 'ACCOUNT_STATUS'; critical: boolean; frozen: boolean }
  | { type: 'REJECT'; reason: string }
  | { type: 'MARK_OVERDUE' }
  | { type: 'REMIND' }
  | { type: 'EXPIRE' };

export const REJECTION_REASONS = [
  'insufficient-evidence',
  'suspected-fraud',
  'duplicate',
  'no-response',
  'account-frozen',
  'other',
] as const;

/** What may happen on any open ticket, whichever of the two open states it is in. */
const whileOpen = {
  REPLY_OVER_LIMIT: { guard: 'mayFollowUp', actions: 'countFollowUp' },
  ASSIGN: { actions: 'recordInLog' },
  NOTE: { actions: 'recordInLog' },
  RECORD_EVIDENCE: { actions: 'recordInLog' },
  APPROVE: [
    { guard: 'isOrdinaryAccount', target: 'verified' },
    { guard: 'isSecondApprovalBySupervisor', target: 'verified' },
    { guard: 'isFirstApprovalOfCriticalAccount', actions: 'recordFirstApprover' },
  ],
  WITHDRAW_APPROVAL: { guard: 'isFirstApprover', actions: 'forgetFirstApprover' },
  CODE_VERIFY: { guard: 'codeMayVerifyAlone', target: 'verified' },
  ACCOUNT_STATUS: { actions: 'recordAccountStatus' },
  REJECT: { guard: 'hasKnownRejectionReason', target: 'rejected' },
} as const;

export const recoveryTicketMachine = setup({
  types: {
    context: {} as TicketMachineContext,
    events: {} as TicketMachineEvent,
    input: {} as TicketMachineInput,
  },
  guards: {
    /** A critical account needs two approvers: the first approval only records itself. */
    isFirstApprovalOfCriticalAccount: ({ context }) => context.critical && context.firstApprover === undefined,
    /** The second approval of a critical account: a supervisor who is not the first approver. */
    isSecondApprovalBySupervisor: ({ context, event }) =>
      event.type === 'APPROVE' &&
      context.critical &&
      context.firstApprover !== undefined &&
      event.role === 'supervisor' &&
      event.approver !== context.firstApprover,
    isOrdinaryAccount: ({ context }) => !context.critical,
    isFirstApprover: ({ context, event }) => event.type === 'WITHDRAW_APPROVAL' && context.firstApprover === event.approver,
    /** A recovery code alone verifies only ordinary, unfrozen accounts that were not compromised. */
    codeMayVerifyAlone: ({ context }) => !context.critical && !context.frozen && context.reason !== 'account-compromise',
    hasKnownRejectionReason: ({ event }) =>
      event.type === 'REJECT' && (REJECTION_REASONS as readonly string[]).includes(event.reason),
    isNotOverdueYet: ({ context }) => !context.overdue,
    isNotRemindedYet: ({ context }) => !context.reminded,
    mayFollowUp: ({ context }) => context.followUps < MAX_FOLLOW_UPS,
  },
  actions: {
    /**
     * For steps that are recorded in the log but leave state and context as they are. XState's
     * `can()` counts a transition only if it has a target or an action, so they name this one.
     */
    recordInLog: () => undefined,
    recordFirstApprover: assign({ firstApprover: ({ event }) => (event.type === 'APPROVE' ? event.approver : undefined) }),
    forgetFirstApprover: assign({ firstApprover: undefined }),
    recordAccountStatus: assign(({ event }) => (event.type === 'ACCOUNT_STATUS' ? { critical: event.critical, frozen: event.frozen } : {})),
    markOverdue: assign({ overdue: true }),
    markReminded: assign({ reminded: true }),
    /** A new question gets its own reminder, and lets the requester follow up again. */
    startQuestion: assign({ reminded: false, followUps: 0 }),
    countFollowUp: assign({ followUps: ({ context }) => context.followUps + 1 }),
  },
}).createMachine({
  id: 'recovery-ticket',
  initial: 'submitted',
  context: ({ input }) => ({ ...input, overdue: false, reminded: false, followUps: 0 }),
  states: {
    submitted: {
      on: {
        ...whileOpen,
        REPLY: { guard: 'mayFollowUp', actions: 'countFollowUp' },
        REQUEST_INFO: { target: 'awaiting-info', actions: 'startQuestion' },
        MARK_OVERDUE: { guard: 'isNotOverdueYet', actions: 'markOverdue' },
      },
    },
    'awaiting-info': {
      on: {
        ...whileOpen,
        REPLY: { target: 'submitted' },
        REMIND: { guard: 'isNotRemindedYet', actions: 'markReminded' },
        EXPIRE: { target: 'rejected' },
      },
    },
    verified: { type: 'final' },
    rejected: { type: 'final' },
  },
});

export type TicketState = 'submitted' | 'awaiting-info' | 'verified' | 'rejected';
export const TICKET_STATES: readonly TicketState[] = ['submitted', 'awaiting-info', 'verified', 'rejected'];
