import fc from 'fast-check';
import type { RecordedEvent } from '@reclaim/event-store';
import { REJECTION_REASONS } from '@reclaim/state-machines';
import { AlreadyAssigned, TransitionNotAllowed } from '../shared/errors';
import type { TicketCommand, TicketPolicy } from '../ticket/ticket.commands';
import { decideTicket, evolveTicket, initialTicketState, type TicketState } from '../ticket/ticket.decider';
import { RECOVERY_REASONS, RELEASE_REASONS, type ApprovalLapse, type EvidenceCheck, type StaffRef, type TicketEvent } from '../ticket/ticket.events';

/**
 * Random histories of one ticket for property tests: whatever staff, requesters and timers do,
 * in whatever order and at whatever pace, on whatever account. `playTicketHistory` decides each
 * command on the state so far and records what it decides, as the store would.
 */
const HOUR = 3_600_000;
const POLICY: TicketPolicy = { slaResponseMs: 10 * HOUR, replyTimeoutMs: 4 * HOUR };
const T0 = Date.parse('2026-03-01T00:00:00Z');

const staff = fc.constantFrom<StaffRef>(
  { id: 'agent-1', role: 'agent' },
  { id: 'agent-2', role: 'agent' },
  { id: 'super-1', role: 'supervisor' },
  { id: 'admin-1', role: 'admin' },
);
const evidence = fc.array(
  fc.oneof(
    fc.constantFrom('accepted', 'rejected', 'already-used').map((outcome) => ({ kind: 'recovery-code', outcome }) as EvidenceCheck),
    fc.constantFrom('accepted', 'replayed').map((outcome) => ({ kind: 'totp', outcome }) as EvidenceCheck),
  ),
  { maxLength: 2 },
);
/** The account's status as a handler read it, which the platform may have changed since filing. */
const account = fc.option(fc.record({ critical: fc.boolean(), frozen: fc.boolean() }), { nil: undefined });
/** A first approver whose approval lapsed, and why. */
const lapse = fc.record({ approver: fc.constantFrom('agent-1', 'super-1'), because: fc.constantFrom<ApprovalLapse['because']>('deactivated', 'role-changed') });
const command = fc.oneof(
  fc.record({ checks: evidence, account }).map(({ checks, account }): TicketCommand => ({ type: 'ReplyToTicket', message: 'hello', evidence: checks, account })),
  fc.record({ by: staff, claim: fc.boolean(), assignee: fc.constantFrom('agent-1', 'agent-2') }).map(({ by, claim, assignee }): TicketCommand =>
    claim ? { type: 'AssignTicket', assignee: by.id, by, claim } : { type: 'AssignTicket', assignee, by },
  ),
  fc.record({ from: fc.constantFrom('agent-1', 'agent-2'), because: fc.constantFrom(...RELEASE_REASONS) }).map(
    ({ from, because }): TicketCommand => ({ type: 'ReleaseTicket', from, because }),
  ),
  staff.map((by): TicketCommand => ({ type: 'RequestInfo', question: 'which email?', by })),
  fc.record({ by: staff, account, firstApproverLapsed: fc.option(lapse, { nil: undefined }) }).map(
    ({ by, account, firstApproverLapsed }): TicketCommand => ({ type: 'VerifyTicket', evidence: ['id card'], note: 'ok', by, account, firstApproverLapsed }),
  ),
  lapse.map((lapsed): TicketCommand => ({ type: 'WithdrawApproval', ...lapsed })),
  fc.record({ by: staff, reason: fc.constantFrom(...REJECTION_REASONS, 'because') }).map(({ by, reason }): TicketCommand => ({ type: 'RejectTicket', reason, note: 'no', by })),
  staff.map((by): TicketCommand => ({ type: 'AddNote', body: 'looked', by })),
  fc.constantFrom<TicketCommand>({ type: 'ReplaceRequesterToken', requesterTokenHash: 'h2' }, { type: 'MarkOverdue' }, { type: 'RemindRequester' }, { type: 'ExpireTicket' }),
  fc.constantFrom<TicketCommand>({ type: 'RecordReplyOverLimit', kinds: ['recovery-code'] }, { type: 'RecordReplyOverLimit', kinds: ['recovery-code', 'totp'] }),
);

export const ticketHistory = fc.record({
  reason: fc.constantFrom(...RECOVERY_REASONS),
  critical: fc.boolean(),
  frozen: fc.boolean(),
  atSubmission: evidence,
  steps: fc.array(fc.record({ command, hoursLater: fc.integer({ min: 0, max: 12 }) }), { maxLength: 25 }),
});
export type TicketHistory = typeof ticketHistory extends fc.Arbitrary<infer H> ? H : never;

/** One command of a history: the state it was decided on, and the events, or the refusal's name. */
export interface PlayedStep {
  command: TicketCommand;
  now: Date;
  before: TicketState;
  decided: TicketEvent[] | string;
  after: TicketState;
}

/**
 * Decides a history's commands one by one and records each decision as a stored event of the
 * ticket's stream, at positions as if the ticket's events were the whole log.
 */
export function playTicketHistory(
  { reason, critical, frozen, atSubmission, steps }: TicketHistory,
  ticketId = 't-1',
): { played: PlayedStep[]; stored: RecordedEvent[] } {
  const stored: RecordedEvent[] = [];
  let state = initialTicketState();
  let now = T0;
  const record = (events: TicketEvent[], commandId: string) => {
    for (const event of events) {
      const revision = BigInt(stored.length);
      const metadata = { occurredAt: new Date(now).toISOString(), causationId: commandId, schemaVersion: 1, actor: { kind: 'staff' as const, id: 'x' } };
      const recorded: RecordedEvent = {
        id: `${ticketId}-${revision}`, type: event.type, data: event.data, metadata, streamName: `ticket-${ticketId}`, revision, position: revision + 1n, recordedAt: metadata.occurredAt,
      };
      stored.push(recorded);
      state = evolveTicket(state, recorded);
    }
  };
  const submit: TicketCommand = {
    type: 'SubmitTicket', ticketId, ticketNumber: 1, username: 'zoe', contactEmail: 'zoe@example.org', previousEmails: [], reason,
    explanation: 'lost it', packages: [], requesterTokenHash: 'h', account: { known: true, critical, frozen }, evidence: atSubmission,
  };
  record(decideTicket(submit, state, { now: new Date(now), policy: POLICY }), 'c-0');

  const played: PlayedStep[] = [];
  for (const [i, { command: next, hoursLater }] of steps.entries()) {
    now += hoursLater * HOUR;
    const before = state;
    const decided = decideOrRefuse(before, next, new Date(now));
    if (typeof decided !== 'string') record(decided, `c-${i + 1}`);
    played.push({ command: next, now: new Date(now), before, decided, after: state });
  }
  return { played, stored };
}

/** What deciding gives, comparable: the events, or the name of the refusal. */
export function decideOrRefuse(state: TicketState, command: TicketCommand, now: Date): TicketEvent[] | string {
  try {
    return decideTicket(command, state, { now, policy: POLICY });
  } catch (error) {
    if (error instanceof TransitionNotAllowed || error instanceof AlreadyAssigned) return error.name;
    throw error;
  }
}
