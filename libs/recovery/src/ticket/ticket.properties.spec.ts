import fc from 'fast-check';
import { REJECTION_REASONS } from '@reclaim/state-machines';
import { AlreadyAssigned, TransitionNotAllowed } from '../shared/errors';
import type { TicketCommand } from './ticket.commands';
import {
  decideTicket,
  evolveTicket,
  initialTicketState,
  lifecycleState,
  restoreTicketState,
  serialiseTicketState,
  ticketTimerAnchors,
  type TicketState,
} from './ticket.decider';
import { RECOVERY_REASONS, type EvidenceCheck, type StaffRef, type TicketEvent } from './ticket.events';

/**
 * Random histories of a ticket: whatever staff, requesters and timers do, in whatever order and
 * at whatever pace, the decider keeps the lifecycle's promises, and what read models keep of a
 * state (its serialised form, its timer anchors) decides as the state itself.
 */
const HOUR = 3_600_000;
const policy = { slaResponseMs: 10 * HOUR, replyTimeoutMs: 4 * HOUR };
const T0 = Date.parse('2026-03-01T00:00:00Z');

const staff = fc.constantFrom<StaffRef>(
  { id: 'agent-1', role: 'agent' },
  { id: 'agent-2', role: 'agent' },
  { id: 'super-1', role: 'supervisor' },
  { id: 'admin-1', role: 'admin' },
);
const evidence = fc.array(
  fc.oneof(
    fc.constantFrom('accepted', 'rejected', 'already-used').map((outcome): EvidenceCheck => ({ kind: 'recovery-code', outcome }) as EvidenceCheck),
    fc.constantFrom('accepted', 'replayed').map((outcome): EvidenceCheck => ({ kind: 'totp', outcome }) as EvidenceCheck),
  ),
  { maxLength: 2 },
);
const command = fc.oneof(
  evidence.map((checks): TicketCommand => ({ type: 'ReplyToTicket', message: 'hello', evidence: checks })),
  fc.record({ by: staff, claim: fc.boolean(), assignee: fc.constantFrom('agent-1', 'agent-2') }).map(({ by, claim, assignee }): TicketCommand =>
    claim ? { type: 'AssignTicket', assignee: by.id, by, claim } : { type: 'AssignTicket', assignee, by },
  ),
  staff.map((by): TicketCommand => ({ type: 'RequestInfo', question: 'which email?', by })),
  staff.map((by): TicketCommand => ({ type: 'VerifyTicket', evidence: ['id card'], note: 'ok', by })),
  fc.record({ by: staff, reason: fc.constantFrom(...REJECTION_REASONS, 'because') }).map(({ by, reason }): TicketCommand => ({ type: 'RejectTicket', reason, note: 'no', by })),
  staff.map((by): TicketCommand => ({ type: 'AddNote', body: 'looked', by })),
  fc.constantFrom<TicketCommand>({ type: 'ReplaceRequesterToken', requesterTokenHash: 'h2' }, { type: 'MarkOverdue' }, { type: 'RemindRequester' }, { type: 'ExpireTicket' }),
);
const history = fc.record({
  reason: fc.constantFrom(...RECOVERY_REASONS),
  critical: fc.boolean(),
  frozen: fc.boolean(),
  atSubmission: evidence,
  steps: fc.array(fc.record({ command, hoursLater: fc.integer({ min: 0, max: 12 }) }), { maxLength: 25 }),
});

const FINAL = ['verified', 'rejected'];

/** The outcome of deciding, comparable: the events, or the kind of refusal. */
function outcome(state: TicketState, next: TicketCommand, now: Date): TicketEvent[] | string {
  try {
    return decideTicket(next, state, { now, policy });
  } catch (error) {
    if (error instanceof TransitionNotAllowed || error instanceof AlreadyAssigned) return error.name;
    throw error;
  }
}

describe('ticket decider on random histories', () => {
  it('keeps the lifecycle promises, and a serialised state decides as the state', () => {
    fc.assert(
      fc.property(history, ({ reason, critical, frozen, atSubmission, steps }) => {
        let now = T0;
        let state = initialTicketState();
        const stored: Array<TicketEvent & { metadata: { occurredAt: string; causationId: string } }> = [];
        const record = (events: TicketEvent[], commandId: string) => {
          for (const event of events) {
            const withMeta = { ...event, metadata: { occurredAt: new Date(now).toISOString(), causationId: commandId } };
            stored.push(withMeta);
            state = evolveTicket(state, withMeta);
          }
        };
        const submit: TicketCommand = {
          type: 'SubmitTicket', ticketId: 't-1', ticketNumber: 1, username: 'zoe', contactEmail: 'zoe@example.org', previousEmails: [], reason,
          explanation: 'lost it', packages: [], requesterTokenHash: 'h', account: { known: true, critical, frozen }, evidence: atSubmission,
        };
        record(decideTicket(submit, state, { now: new Date(now), policy }), 'c-0');

        for (const [i, { command: next, hoursLater }] of steps.entries()) {
          now += hoursLater * HOUR;
          const before = lifecycleState(state)!;
          const usedBefore = state.sla.usedMs;
          const holder = state.assignee;
          const decided = outcome(state, next, new Date(now));

          // What a read model keeps of the state decides the same.
          expect(outcome(restoreTicketState(serialiseTicketState(state)), next, new Date(now))).toEqual(decided);

          if (typeof decided === 'string') continue;
          // A final ticket only takes a new requester token, and stays as it is.
          if (FINAL.includes(before)) expect(decided.every((event) => event.type === 'RequesterTokenReplaced')).toBe(true);
          const revision = state.revision;
          record(decided, `c-${i + 1}`);
          expect(state.revision).toBe(revision + BigInt(decided.length));
          const after = lifecycleState(state)!;
          if (FINAL.includes(before)) expect(after).toBe(before);

          // A claim takes only a free ticket: two who claim at once cannot both hold it.
          if (next.type === 'AssignTicket' && next.claim && decided.length) expect(holder).toBeUndefined();
          // Verified only by a code on an account that a code may verify alone, or by staff.
          const verified = decided.find((event) => event.type === 'TicketVerified');
          if (verified?.type === 'TicketVerified' && verified.data.verifiedBy.kind === 'system') {
            expect(critical || frozen || reason === 'account-compromise').toBe(false);
          }
          // A critical account's verification needs an approval before it, by someone else.
          if (verified?.type === 'TicketVerified' && critical && verified.data.verifiedBy.kind === 'staff') {
            const approvals = stored.filter((event) => event.type === 'ApprovalRecorded');
            expect(approvals).toHaveLength(1);
            expect(approvals[0]!.type === 'ApprovalRecorded' && approvals[0]!.data.approver).not.toBe(verified.data.verifiedBy.id);
            expect(verified.data.verifiedBy.role).not.toBe('agent');
          }

          // The SLA clock only moves forward, and runs exactly while the ticket waits for staff.
          expect(state.sla.usedMs).toBeGreaterThanOrEqual(usedBefore);
          expect(state.sla.runningSince !== undefined).toBe(after === 'submitted');
          const anchors = ticketTimerAnchors(state);
          if (FINAL.includes(after)) expect(anchors).toEqual({});
          if (after === 'awaiting-info') expect(anchors.expire).toBe(Date.parse(state.questionAskedAt!));
          if (after === 'submitted') expect(anchors.overdue !== undefined).toBe(!state.snapshot!.context.overdue);
        }

        // Replayed from the log, the history gives the state it was decided on.
        const replayed = stored.reduce((s, event) => evolveTicket(s, event), initialTicketState());
        expect(serialiseTicketState(replayed)).toEqual(serialiseTicketState(state));
        // Overdue and each question's reminder happen once at most.
        expect(stored.filter((event) => event.type === 'TicketMarkedOverdue').length).toBeLessThanOrEqual(1);
        expect(stored.filter((event) => event.type === 'ReplyReminderSent').length).toBeLessThanOrEqual(stored.filter((event) => event.type === 'InfoRequested').length);
      }),
      { numRuns: 2000 },
    );
  });
});
