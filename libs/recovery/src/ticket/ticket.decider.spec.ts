import { AlreadyAssigned, RecoveredElsewhere, TransitionNotAllowed } from '../shared/errors';
import type { TicketCommand } from './ticket.commands';
import { decideTicket, evolveTicket, machineStep, initialTicketState, lifecycleState, restoreTicketState, serialiseTicketState, ticketDeadlines, ticketTimerAnchors, type TicketState } from './ticket.decider';
import type { EvidenceCheck, TicketEvent } from './ticket.events';

const HOUR = 3_600_000;
const policy = { slaResponseMs: 10 * HOUR, replyTimeoutMs: 4 * HOUR };
const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (hours: number) => new Date(T0 + hours * HOUR);
const agent = { id: 'agent-1', role: 'agent' } as const;
const agent2 = { id: 'agent-2', role: 'agent' } as const;
const supervisor = { id: 'super-1', role: 'supervisor' } as const;
const admin = { id: 'admin-1', role: 'admin' } as const;

function submitted(overrides: { critical?: boolean; frozen?: boolean; reason?: string } = {}): TicketEvent {
  return {
    type: 'TicketSubmitted',
    data: {
      ticketId: 't-1',
      ticketNumber: 1,
      username: 'zoe',
      contactEmail: 'zoe@example.org',
      previousEmails: [],
      reason: (overrides.reason ?? 'lost-email') as never,
      explanation: 'lost my phone',
      packages: [],
      accountKnown: true,
      critical: overrides.critical ?? false,
      frozen: overrides.frozen ?? false,
      requesterTokenHash: 'h',
    },
  };
}

/** given(events at hours) → state */
function given(...events: Array<TicketEvent | [TicketEvent, number]>): TicketState {
  return events.reduce((state, entry) => {
    const [event, hours] = Array.isArray(entry) ? entry : [entry, 0];
    return evolveTicket(state, { ...event, metadata: { occurredAt: at(hours).toISOString() } });
  }, initialTicketState());
}

const when = (state: TicketState, command: TicketCommand, hours = 0) => decideTicket(command, state, { now: at(hours), policy });
const types = (events: TicketEvent[]) => events.map((e) => e.type);
const then = (state: TicketState, events: TicketEvent[]) => lifecycleState(events.reduce((s, e) => evolveTicket(s, e), state));
const refused = (state: TicketState, command: TicketCommand) => {
  const error = (() => {
    try {
      when(state, command);
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(TransitionNotAllowed);
  return error as TransitionNotAllowed;
};

function submit(evidence: EvidenceCheck[], account = { known: true, critical: false, frozen: false }, reason = 'lost-email'): TicketCommand {
  const { data } = submitted() as Extract<TicketEvent, { type: 'TicketSubmitted' }>;
  const { accountKnown: _k, critical: _c, frozen: _f, ...fields } = data;
  return { type: 'SubmitTicket', ...fields, reason: reason as never, account, evidence };
}

const code = (outcome: EvidenceCheck['outcome']): EvidenceCheck => ({ kind: 'recovery-code', outcome });

describe('ticket decider: submission', () => {
  it('files a new ticket as submitted', () => {
    const events = when(given(), submit([]));
    expect(types(events)).toEqual(['TicketSubmitted']);
    expect(then(given(), events)).toBe('submitted');
    expect(events[0]!.data).not.toHaveProperty('duplicateOf');
  });

  it('links a duplicate', () => {
    const events = when(given(), { ...submit([]), duplicateOf: 't-0' } as TicketCommand);
    expect(events[0]!.data).toMatchObject({ duplicateOf: 't-0' });
  });

  it('a valid recovery code verifies an ordinary account by itself', () => {
    const events = when(given(), submit([code('accepted')]));
    expect(types(events)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'TicketVerified']);
    expect(events[2]!.data).toMatchObject({ verifiedBy: { kind: 'system' }, username: 'zoe', contactEmail: 'zoe@example.org' });
    expect(then(given(), events)).toBe('verified');
  });

  it.each([
    ['critical', { known: true, critical: true, frozen: false }, 'lost-email'],
    ['frozen', { known: true, critical: false, frozen: true }, 'lost-email'],
    ['compromised', { known: true, critical: false, frozen: false }, 'account-compromise'],
  ])('a valid recovery code on a %s account marks the ticket high priority for a person', (_, account, reason) => {
    const events = when(given(), submit([code('accepted')], account, reason));
    expect(types(events)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'TicketPrioritised']);
    expect(then(given(), events)).toBe('submitted');
  });

  it('a second valid code on a ticket already marked for a person records the evidence only, not a second mark', () => {
    const marked = given(
      submitted({ critical: true }),
      { type: 'EvidenceRecorded', data: { kind: 'recovery-code', outcome: 'accepted', via: 'submission' } },
      { type: 'TicketPrioritised', data: { priority: 'high', because: 'a valid recovery code needs a person to decide' } },
    );
    const events = when(marked, { type: 'ReplyToTicket', message: 'another of my codes', evidence: [code('accepted')] });
    expect(types(events)).toEqual(['FollowUpReceived', 'EvidenceRecorded']);
  });

  it('records failed and TOTP evidence without verifying', () => {
    const events = when(given(), submit([code('rejected'), { kind: 'totp', outcome: 'accepted' }]));
    expect(types(events)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'EvidenceRecorded']);
    expect(events.slice(1).map((e) => e.data)).toEqual([
      { kind: 'recovery-code', outcome: 'rejected', via: 'submission' },
      { kind: 'totp', outcome: 'accepted', via: 'submission' },
    ]);
  });

  it('refuses to submit a ticket twice', () => {
    refused(given(submitted()), submit([]));
  });
});

describe('ticket decider: staff and requester commands', () => {
  const open = given(submitted());
  const waiting = given(submitted(), { type: 'InfoRequested', data: { question: 'which phone?', requestedBy: 'agent-1' } });
  const verified = given(submitted(), { type: 'TicketVerified', data: { verifiedBy: { kind: 'staff', id: 'agent-1', role: 'agent' }, evidence: [], note: '', username: 'zoe', contactEmail: 'z' } });
  const rejected = given(submitted(), { type: 'TicketRejected', data: { reason: 'other', note: '', rejectedBy: { kind: 'staff', id: 'agent-1' } } });

  it('assigns an open ticket, refuses a closed one', () => {
    expect(when(open, { type: 'AssignTicket', assignee: 'agent-2', by: agent })).toEqual([
      { type: 'TicketAssigned', data: { assignee: 'agent-2', assignedBy: 'agent-1' } },
    ]);
    expect(types(when(waiting, { type: 'AssignTicket', assignee: 'agent-2', by: agent }))).toEqual(['TicketAssigned']);
    refused(verified, { type: 'AssignTicket', assignee: 'agent-2', by: agent });
  });

  it('records nothing when the ticket is assigned to the one who already holds it', () => {
    const held = given(submitted(), { type: 'TicketAssigned', data: { assignee: 'agent-1', assignedBy: 'agent-1' } });
    expect(when(held, { type: 'AssignTicket', assignee: 'agent-1', by: agent })).toEqual([]);
    expect(when(held, { type: 'AssignTicket', assignee: 'agent-1', by: supervisor })).toEqual([]);
    expect(types(when(held, { type: 'AssignTicket', assignee: 'agent-2', by: agent }))).toEqual(['TicketAssigned']);
    const closed = evolveTicket(held, { type: 'TicketRejected', data: { reason: 'other', note: '', rejectedBy: { kind: 'staff', id: 'agent-1' } } });
    refused(closed, { type: 'AssignTicket', assignee: 'agent-1', by: agent });
  });

  it('a claim takes only a ticket no one else holds; assigning by name takes it over', () => {
    const held = given(submitted(), { type: 'TicketAssigned', data: { assignee: 'agent-1', assignedBy: 'agent-1' } });
    expect(when(open, { type: 'AssignTicket', assignee: 'agent-2', by: agent2, claim: true })).toEqual([
      { type: 'TicketAssigned', data: { assignee: 'agent-2', assignedBy: 'agent-2' } },
    ]);
    expect(() => when(held, { type: 'AssignTicket', assignee: 'agent-2', by: agent2, claim: true })).toThrow(new AlreadyAssigned('agent-1'));
    expect(when(held, { type: 'AssignTicket', assignee: 'agent-1', by: agent, claim: true })).toEqual([]);
    // A holder who was deactivated, or moved to a role that works no tickets, cannot work the ticket: a claim takes it from them, and only them.
    expect(when(held, { type: 'AssignTicket', assignee: 'agent-2', by: agent2, claim: true, fromUnassignable: 'agent-1' })).toEqual([
      { type: 'TicketAssigned', data: { assignee: 'agent-2', assignedBy: 'agent-2' } },
    ]);
    expect(() => when(held, { type: 'AssignTicket', assignee: 'agent-2', by: agent2, claim: true, fromUnassignable: 'agent-9' })).toThrow(new AlreadyAssigned('agent-1'));
    expect(when(held, { type: 'AssignTicket', assignee: 'agent-2', by: supervisor })).toEqual([
      { type: 'TicketAssigned', data: { assignee: 'agent-2', assignedBy: 'super-1' } },
    ]);
  });

  it("gives back a deactivated holder's open ticket, and nobody else's", () => {
    const held = given(submitted(), { type: 'TicketAssigned', data: { assignee: 'agent-1', assignedBy: 'agent-1' } });
    const released = when(held, { type: 'ReleaseTicket', from: 'agent-1', because: 'assignee-deactivated' });
    expect(released).toEqual([{ type: 'TicketReleased', data: { previousAssignee: 'agent-1', because: 'assignee-deactivated' } }]);
    const free = released.reduce((state, event) => evolveTicket(state, event), held);
    expect([free.assignee, lifecycleState(free)]).toEqual([undefined, 'submitted']);
    // Taken by someone else meanwhile, or free already: nothing to give back.
    expect(when(held, { type: 'ReleaseTicket', from: 'agent-2', because: 'assignee-deactivated' })).toEqual([]);
    expect(when(free, { type: 'ReleaseTicket', from: 'agent-1', because: 'assignee-deactivated' })).toEqual([]);
    refused(evolveTicket(held, { type: 'TicketRejected', data: { reason: 'other', note: '', rejectedBy: { kind: 'staff', id: 'agent-1' } } }), { type: 'ReleaseTicket', from: 'agent-1', because: 'assignee-deactivated' });
  });

  it("hands back the holder's open ticket to the queue, and refuses to hand back one that someone else holds", () => {
    const held = evolveTicket(waiting, { type: 'TicketAssigned', data: { assignee: 'agent-1', assignedBy: 'agent-1' } });
    const handedBack = when(held, { type: 'ReleaseTicket', from: 'agent-1', because: 'handed-back' });
    expect(handedBack).toEqual([{ type: 'TicketReleased', data: { previousAssignee: 'agent-1', because: 'handed-back' } }]);
    const free = handedBack.reduce((state, event) => evolveTicket(state, event), held);
    expect([free.assignee, lifecycleState(free)]).toEqual([undefined, 'awaiting-info']);
    // Given back already: nothing more to record.
    expect(when(free, { type: 'ReleaseTicket', from: 'agent-1', because: 'handed-back' })).toEqual([]);
    // Taken over by agent-2 meanwhile: the hand-back that names agent-1 does not take it from them.
    const takenOver = evolveTicket(held, { type: 'TicketAssigned', data: { assignee: 'agent-2', assignedBy: 'supervisor-1' } });
    expect(() => when(takenOver, { type: 'ReleaseTicket', from: 'agent-1', because: 'handed-back' })).toThrow(AlreadyAssigned);
    refused(verified, { type: 'ReleaseTicket', from: 'agent-1', because: 'handed-back' });
  });

  it('asks a question: submitted → awaiting-info, one question at a time', () => {
    const events = when(open, { type: 'RequestInfo', question: 'which phone?', by: agent });
    expect(events).toEqual([{ type: 'InfoRequested', data: { question: 'which phone?', requestedBy: 'agent-1', contactEmail: 'zoe@example.org' } }]);
    expect(then(open, events)).toBe('awaiting-info');
    expect(refused(waiting, { type: 'RequestInfo', question: 'again?', by: agent }).message).toMatch(/awaiting-info/);
    refused(rejected, { type: 'RequestInfo', question: '?', by: agent });
  });

  it('a reply answers the question (back to submitted) or is a follow-up (stays)', () => {
    const answer = when(waiting, { type: 'ReplyToTicket', message: 'the old one', evidence: [] });
    expect(types(answer)).toEqual(['InfoProvided']);
    expect(then(waiting, answer)).toBe('submitted');
    const followUp = when(open, { type: 'ReplyToTicket', message: 'also…', evidence: [] });
    expect(types(followUp)).toEqual(['FollowUpReceived']);
    expect(then(open, followUp)).toBe('submitted');
  });

  it('a reply to a final ticket is refused with its state', () => {
    expect(refused(verified, { type: 'ReplyToTicket', message: 'x', evidence: [] }).state).toBe('verified');
    expect(refused(rejected, { type: 'ReplyToTicket', message: 'x', evidence: [] }).state).toBe('rejected');
  });

  it('a reply with a valid code verifies an ordinary account', () => {
    const events = when(waiting, { type: 'ReplyToTicket', message: 'here', evidence: [code('accepted')] });
    expect(types(events)).toEqual(['InfoProvided', 'EvidenceRecorded', 'TicketVerified']);
  });

  it('verifies an ordinary account with one approval, and carries what the platform needs', () => {
    const events = when(open, { type: 'VerifyTicket', evidence: ['id-document'], note: 'ok', by: agent });
    expect(events).toEqual([
      {
        type: 'TicketVerified',
        data: { verifiedBy: { kind: 'staff', id: 'agent-1', role: 'agent' }, evidence: ['id-document'], note: 'ok', username: 'zoe', contactEmail: 'zoe@example.org' },
      },
    ]);
    expect(then(waiting, when(waiting, { type: 'VerifyTicket', evidence: [], note: '', by: agent }))).toBe('verified');
    refused(verified, { type: 'VerifyTicket', evidence: [], note: '', by: agent });
  });

  it('a critical account takes two approvers, the second a supervisor who is not the first', () => {
    const critical = given(submitted({ critical: true }));
    const first = when(critical, { type: 'VerifyTicket', evidence: ['call'], note: 'looks right', by: agent });
    expect(types(first)).toEqual(['ApprovalRecorded']);
    const once = first.reduce((s, e) => evolveTicket(s, e), critical);
    expect(lifecycleState(once)).toBe('submitted');
    expect(refused(once, { type: 'VerifyTicket', evidence: [], note: '', by: agent }).message).toMatch(/second approval/);
    refused(once, { type: 'VerifyTicket', evidence: [], note: '', by: agent2 });
    expect(types(when(once, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor }))).toEqual(['TicketVerified']);
    expect(types(when(once, { type: 'VerifyTicket', evidence: [], note: '', by: admin }))).toEqual(['TicketVerified']);
    const bySupervisor = given(submitted({ critical: true }), { type: 'ApprovalRecorded', data: { approver: 'super-1', role: 'supervisor', evidence: [], note: '' } });
    refused(bySupervisor, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor });
    // Once verified, a further approval is refused because the ticket is closed, not for want of
    // a second approver.
    const done = when(once, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor }).reduce((s, e) => evolveTicket(s, e), once);
    const late = refused(done, { type: 'VerifyTicket', evidence: [], note: '', by: admin });
    expect(late.state).toBe('verified');
    expect(late.message).not.toMatch(/second approval/);
  });

  it('counts no first approval of a critical account whose approver was deactivated or given a role that works no tickets since: the next approval is the first again', () => {
    const once = given(submitted({ critical: true }), { type: 'ApprovalRecorded', data: { approver: 'agent-1', role: 'agent', evidence: [], note: '' } });
    const afterDeactivation = when(once, { type: 'VerifyTicket', evidence: ['call'], note: 'n', by: supervisor, firstApproverLapsed: { approver: 'agent-1', because: 'deactivated' } });
    expect(afterDeactivation).toEqual([
      { type: 'ApprovalWithdrawn', data: { approver: 'agent-1', because: 'deactivated' } },
      expect.objectContaining({ type: 'ApprovalRecorded', data: expect.objectContaining({ approver: 'super-1' }) }),
    ]);
    const again = afterDeactivation.reduce((s, e) => evolveTicket(s, e), once);
    expect([lifecycleState(again), again.snapshot!.context.firstApprover]).toEqual(['submitted', 'super-1']);
    // The second is then a supervisor other than the first, as always; an agent may be the first again.
    refused(again, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor });
    expect(types(when(again, { type: 'VerifyTicket', evidence: [], note: '', by: admin }))).toEqual(['TicketVerified']);
    expect(when(once, { type: 'VerifyTicket', evidence: [], note: '', by: agent2, firstApproverLapsed: { approver: 'agent-1', because: 'role-changed' } }).map(({ type, data }) => [type, type === 'ApprovalWithdrawn' ? data : undefined])).toEqual([
      ['ApprovalWithdrawn', { approver: 'agent-1', because: 'role-changed' }],
      ['ApprovalRecorded', undefined],
    ]);
    // Someone else's lapse changes nothing: the first approval stands.
    expect(types(when(once, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor, firstApproverLapsed: { approver: 'agent-2', because: 'deactivated' } }))).toEqual(['TicketVerified']);
  });

  it("withdraws a first approval when its approver is deactivated or given a role that works no tickets, only theirs, and only while the ticket is open", () => {
    const once = given(submitted({ critical: true }), { type: 'ApprovalRecorded', data: { approver: 'agent-1', role: 'agent', evidence: [], note: '' } });
    const withdrawn = when(once, { type: 'WithdrawApproval', approver: 'agent-1', because: 'deactivated' });
    expect(withdrawn).toEqual([{ type: 'ApprovalWithdrawn', data: { approver: 'agent-1', because: 'deactivated' } }]);
    expect(when(once, { type: 'WithdrawApproval', approver: 'agent-1', because: 'role-changed' })).toEqual([{ type: 'ApprovalWithdrawn', data: { approver: 'agent-1', because: 'role-changed' } }]);
    const after = withdrawn.reduce((s, e) => evolveTicket(s, e), once);
    expect([lifecycleState(after), after.snapshot!.context.firstApprover]).toEqual(['submitted', undefined]);
    // Twice, or someone else's: nothing to withdraw. The next approval is the first again.
    expect(when(after, { type: 'WithdrawApproval', approver: 'agent-1', because: 'deactivated' })).toEqual([]);
    expect(when(once, { type: 'WithdrawApproval', approver: 'agent-2', because: 'deactivated' })).toEqual([]);
    expect(types(when(after, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor }))).toEqual(['ApprovalRecorded']);
    const done = when(once, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor }).reduce((s, e) => evolveTicket(s, e), once);
    expect([lifecycleState(done), when(done, { type: 'WithdrawApproval', approver: 'agent-1', because: 'deactivated' })]).toEqual(['verified', []]);
  });

  it('judges an approval by the account as it is now: one that became critical since filing takes two approvers', () => {
    const nowCritical = { critical: true, frozen: false };
    const first = when(open, { type: 'VerifyTicket', evidence: ['call'], note: 'n', by: agent, account: nowCritical });
    expect(first).toEqual([{ type: 'AccountStatusNoted', data: nowCritical }, expect.objectContaining({ type: 'ApprovalRecorded' })]);
    const once = first.reduce((s, e) => evolveTicket(s, e), open);
    expect(lifecycleState(once)).toBe('submitted');
    // Noted once: the next approval finds the ticket knowing it.
    expect(types(when(once, { type: 'VerifyTicket', evidence: [], note: 'n', by: supervisor, account: nowCritical }))).toEqual(['TicketVerified']);
    // No longer critical: one approval is enough again.
    const critical = given(submitted({ critical: true }));
    expect(types(when(critical, { type: 'VerifyTicket', evidence: [], note: 'n', by: agent, account: { critical: false, frozen: false } }))).toEqual([
      'AccountStatusNoted',
      'TicketVerified',
    ]);
    // Unchanged: nothing to note.
    expect(types(when(open, { type: 'VerifyTicket', evidence: [], note: 'n', by: agent, account: { critical: false, frozen: false } }))).toEqual(['TicketVerified']);
  });

  it('judges a code in a reply by the account as it is now: one frozen since filing is not verified by a code alone', () => {
    const nowFrozen = { critical: false, frozen: true };
    const events = when(open, { type: 'ReplyToTicket', message: 'my code', evidence: [code('accepted')], account: nowFrozen });
    expect(types(events)).toEqual(['AccountStatusNoted', 'FollowUpReceived', 'EvidenceRecorded', 'TicketPrioritised']);
    expect(events[0]!.data).toEqual(nowFrozen);
    expect(then(open, events)).toBe('submitted');
    // Thawed since filing as frozen: the code verifies.
    const filedFrozen = given(submitted({ frozen: true }));
    const thawed = when(filedFrozen, { type: 'ReplyToTicket', message: 'my code', evidence: [code('accepted')], account: { critical: false, frozen: false } });
    expect(types(thawed)).toEqual(['AccountStatusNoted', 'FollowUpReceived', 'EvidenceRecorded', 'TicketVerified']);
  });

  it('rejects with a contract reason only', () => {
    expect(when(open, { type: 'RejectTicket', reason: 'suspected-fraud', note: 'n', by: agent })).toEqual([
      { type: 'TicketRejected', data: { reason: 'suspected-fraud', note: 'n', rejectedBy: { kind: 'staff', id: 'agent-1' }, contactEmail: 'zoe@example.org' } },
    ]);
    refused(open, { type: 'RejectTicket', reason: 'bored', note: '', by: agent });
    // The account removed by the platform: the system rejects what is still open, and nothing decided.
    for (const still of [open, waiting]) {
      expect(when(still, { type: 'RejectForRemovedAccount' })).toEqual([
        { type: 'TicketRejected', data: { reason: 'other', note: expect.stringContaining('removed the account'), rejectedBy: { kind: 'system', id: 'account-removed' }, contactEmail: 'zoe@example.org' } },
      ]);
    }
    // Access restored through another ticket under the username: the system closes this one as its duplicate.
    for (const still of [open, waiting]) {
      expect(when(still, { type: 'RejectAsRecoveredElsewhere', throughTicketNumber: 7 })).toEqual([
        { type: 'TicketRejected', data: { reason: 'duplicate', note: expect.stringContaining('through ticket 7'), rejectedBy: { kind: 'system', id: 'account-recovered' }, contactEmail: 'zoe@example.org' } },
      ]);
    }
    // A report of a compromise that such a recovery left open is raised to high priority, once.
    const reported = given(submitted({ reason: 'account-compromise' }));
    const raise = { type: 'PrioritiseRecoveredWhileReported', throughTicketNumber: 7 } as const;
    const raised = when(reported, raise);
    expect(raised).toEqual([{ type: 'TicketPrioritised', data: { priority: 'high', because: expect.stringContaining('through ticket 7') } }]);
    expect(when(raised.reduce((s, e) => evolveTicket(s, e), reported), raise)).toEqual([]);
    // The system's follow-ups come after the fact, maybe twice: a decided ticket stays as it is.
    for (const decided of [verified, rejected]) {
      expect(when(decided, { type: 'RejectForRemovedAccount' })).toEqual([]);
      expect(when(decided, { type: 'RejectAsRecoveredElsewhere', throughTicketNumber: 7 })).toEqual([]);
      expect(when(decided, { type: 'PrioritiseRecoveredWhileReported', throughTicketNumber: 7 })).toEqual([]);
    }
    refused(rejected, { type: 'RejectTicket', reason: 'other', note: '', by: agent });
  });

  it('refuses a verification once the account was recovered through another ticket since this one was filed, but for a report of a compromise', () => {
    const recoveredThrough = { ticketNumber: 7, verified: true };
    const verify = { type: 'VerifyTicket' as const, evidence: ['id card'], note: 'ok', by: agent };
    for (const still of [open, waiting]) {
      expect(types(when(still, verify))).toEqual(['TicketVerified']);
      expect(() => when(still, { ...verify, recoveredThrough })).toThrow(new RecoveredElsewhere(recoveredThrough));
    }
    // A report of a compromise may be the owner's answer to that very recovery: a person may decide it for them.
    expect(types(when(given(submitted({ reason: 'account-compromise' })), { ...verify, recoveredThrough }))).toEqual(['TicketVerified']);
    // A first approval of a critical account verifies nothing yet, so nothing stands against it.
    expect(types(when(given(submitted({ critical: true })), { ...verify, by: supervisor, recoveredThrough }))).toEqual(['ApprovalRecorded']);
  });

  it('lets a valid code verify nothing once the account was recovered through another ticket since this one was filed: a person decides', () => {
    const recoveredThrough = { ticketNumber: 7, verified: false };
    const reply: TicketCommand = { type: 'ReplyToTicket', message: 'my code', evidence: [code('accepted')], recoveredThrough };
    const events = when(open, reply);
    expect(types(events)).toEqual(['FollowUpReceived', 'EvidenceRecorded', 'TicketPrioritised']);
    expect(events[2]!.data).toEqual({ priority: 'high', because: expect.stringContaining('is being restored through ticket 7 since this ticket was filed') });
    const filed = when(given(), { ...submit([code('accepted')]), recoveredThrough } as TicketCommand);
    expect(types(filed)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'TicketPrioritised']);
    expect(filed[0]!.data).not.toHaveProperty('recoveredThrough');
  });

  it('lets the requester withdraw an open ticket, with or without a word for staff, and nothing decided', () => {
    const by = { kind: 'requester', id: open.ticketId };
    expect(when(open, { type: 'WithdrawTicket', message: 'I got back in.' })).toEqual([
      { type: 'TicketRejected', data: { reason: 'other', note: 'I got back in.', rejectedBy: by, contactEmail: 'zoe@example.org' } },
    ]);
    expect(when(waiting, { type: 'WithdrawTicket' })).toEqual([
      { type: 'TicketRejected', data: { reason: 'other', note: 'Withdrawn by the requester.', rejectedBy: { kind: 'requester', id: waiting.ticketId }, contactEmail: 'zoe@example.org' } },
    ]);
    for (const decided of [verified, rejected]) refused(decided, { type: 'WithdrawTicket' });
  });

  it('adds internal notes to open tickets, and to decided ones, whose state they leave as it is', () => {
    expect(when(waiting, { type: 'AddNote', body: 'called them', by: agent })).toEqual([
      { type: 'NoteAdded', data: { body: 'called them', author: 'agent-1' } },
    ]);
    for (const decided of [verified, rejected]) {
      const events = when(decided, { type: 'AddNote', body: 'they called back', by: agent });
      expect(events).toEqual([{ type: 'NoteAdded', data: { body: 'they called back', author: 'agent-1' } }]);
      const next = events.reduce((s, e) => evolveTicket(s, e), decided);
      expect([next.snapshot, next.revision]).toEqual([decided.snapshot, decided.revision + 1n]);
    }
  });

  it('replaces the requester token in every state, closed too, and keeps the state', () => {
    for (const state of [given(submitted()), waiting, verified, rejected]) {
      const events = when(state, { type: 'ReplaceRequesterToken', requesterTokenHash: 'h2' });
      expect(events).toEqual([{ type: 'RequesterTokenReplaced', data: { requesterTokenHash: 'h2' } }]);
      const next = events.reduce((s, e) => evolveTicket(s, e), state);
      expect(next.requesterTokenHash).toBe('h2');
      expect(next.snapshot).toBe(state.snapshot);
    }
  });

  it('refuses every command on a ticket that does not exist', () => {
    refused(given(), { type: 'AddNote', body: 'x', by: agent });
    refused(given(), { type: 'ReplyToTicket', message: 'x', evidence: [] });
    refused(given(), { type: 'ReplaceRequesterToken', requesterTokenHash: 'h2' });
  });
});

describe('ticket decider: timers', () => {
  it('marks a ticket overdue once the SLA has run out, and only once', () => {
    const open = given([submitted(), 0]);
    expect(when(open, { type: 'MarkOverdue' }, 9.9)).toEqual([]);
    const events = when(open, { type: 'MarkOverdue' }, 10);
    expect(events).toEqual([{ type: 'TicketMarkedOverdue', data: { dueAt: at(10).toISOString() } }]);
    const overdue = given([submitted(), 0], [events[0]!, 10]);
    expect(when(overdue, { type: 'MarkOverdue' }, 20)).toEqual([]);
  });

  it('pauses the SLA clock while waiting for the requester', () => {
    const state = given(
      [submitted(), 0],
      [{ type: 'InfoRequested', data: { question: '?', requestedBy: 'a' } }, 4],
      [{ type: 'InfoProvided', data: { message: '!' } }, 7],
    );
    // 4 h used before the question, the 3 h of waiting do not count: due at 7 + 6 = 13 h.
    expect(ticketDeadlines(state, policy).overdueAt).toEqual(at(13));
    expect(when(state, { type: 'MarkOverdue' }, 12.9)).toEqual([]);
    expect(types(when(state, { type: 'MarkOverdue' }, 13))).toEqual(['TicketMarkedOverdue']);
  });

  it('keeps the SLA clock running through a claim and an internal note, which the requester does not see', () => {
    const state = given(
      [submitted(), 0],
      [{ type: 'TicketAssigned', data: { assignee: 'a', assignedBy: 'a' } }, 2],
      [{ type: 'NoteAdded', data: { body: 'looking', author: 'a' } }, 5],
    );
    expect(ticketDeadlines(state, policy).overdueAt).toEqual(at(10));
    expect(types(when(state, { type: 'MarkOverdue' }, 10))).toEqual(['TicketMarkedOverdue']);
  });

  it('holds a ticket of high priority to its own, shorter SLA, counted from the same start, once it is raised', () => {
    const urgent = { ...policy, slaHighPriorityMs: 2 * HOUR };
    const state = given([submitted(), 0], [{ type: 'TicketPrioritised', data: { priority: 'high', because: 'a valid recovery code needs a person to decide' } }, 1]);
    expect(ticketTimerAnchors(state)).toEqual({ 'overdue-high': T0 });
    expect(ticketDeadlines(state, urgent).overdueAt).toEqual(at(2));
    expect(when(state, { type: 'MarkOverdue' }, 1.9)).toEqual([]);
    expect(decideTicket({ type: 'MarkOverdue' }, state, { now: at(2), policy: urgent })).toEqual([{ type: 'TicketMarkedOverdue', data: { dueAt: at(2).toISOString() } }]);
    // Unset, it is the SLA of every ticket; an ordinary ticket keeps that one.
    expect(ticketDeadlines(state, policy).overdueAt).toEqual(at(10));
    const ordinary = given([submitted(), 0]);
    expect(ticketTimerAnchors(ordinary)).toEqual({ overdue: T0 });
    expect(ticketDeadlines(ordinary, urgent).overdueAt).toEqual(at(10));
  });

  it('reminds at half the reply timeout, then rejects with no-response at the end', () => {
    const waiting = given([submitted(), 0], [{ type: 'InfoRequested', data: { question: '?', requestedBy: 'a' } }, 1]);
    expect(when(waiting, { type: 'RemindRequester' }, 2.9)).toEqual([]);
    const reminder = when(waiting, { type: 'RemindRequester' }, 3);
    // The question, the reminder and the decision say where to tell the requester (the platform does).
    expect(reminder).toEqual([{ type: 'ReplyReminderSent', data: { dueAt: expect.any(String), expiresAt: expect.any(String), contactEmail: 'zoe@example.org' } }]);
    const reminded = given([submitted(), 0], [{ type: 'InfoRequested', data: { question: '?', requestedBy: 'a' } }, 1], [reminder[0]!, 3]);
    expect(when(reminded, { type: 'RemindRequester' }, 4)).toEqual([]);
    expect(when(reminded, { type: 'ExpireTicket' }, 4.9)).toEqual([]);
    const expired = when(reminded, { type: 'ExpireTicket' }, 5);
    expect(expired).toEqual([
      { type: 'TicketRejected', data: { reason: 'no-response', note: expect.any(String), rejectedBy: { kind: 'system', id: 'reply-timeout' }, contactEmail: 'zoe@example.org' } },
    ]);
    expect(then(reminded, expired)).toBe('rejected');
  });

  it('sends no reminder once the reply time is over (a long stop, a shorter timeout): the ticket is rejected instead', () => {
    const waiting = given([submitted(), 0], [{ type: 'InfoRequested', data: { question: '?', requestedBy: 'a' } }, 1]);
    expect(types(when(waiting, { type: 'RemindRequester' }, 4.9))).toEqual(['ReplyReminderSent']);
    expect(when(waiting, { type: 'RemindRequester' }, 5)).toEqual([]);
    expect(when(waiting, { type: 'RemindRequester' }, 50)).toEqual([]);
    expect(types(when(waiting, { type: 'ExpireTicket' }, 50))).toEqual(['TicketRejected']);
  });

  it('timers do nothing on a closed ticket or in the wrong state', () => {
    const open = given([submitted(), 0]);
    expect(when(open, { type: 'ExpireTicket' }, 100)).toEqual([]);
    expect(when(open, { type: 'RemindRequester' }, 100)).toEqual([]);
    const closed = given(submitted(), { type: 'TicketRejected', data: { reason: 'other', note: '', rejectedBy: { kind: 'staff', id: 'a' } } });
    expect(when(closed, { type: 'MarkOverdue' }, 100)).toEqual([]);
    expect(ticketDeadlines(closed, policy)).toEqual({});
  });
});

describe('ticket state serialisation', () => {
  it('restores a state that decides as the original', () => {
    const critical = given(
      [submitted({ critical: true }), 0],
      [{ type: 'ApprovalRecorded', data: { approver: 'agent-1', role: 'agent', evidence: [], note: '' } }, 1],
    );
    const restored = restoreTicketState(JSON.parse(JSON.stringify(serialiseTicketState(critical))));
    expect(lifecycleState(restored)).toBe('submitted');
    expect(restored.snapshot!.context).toEqual(critical.snapshot!.context);
    refused(restored, { type: 'VerifyTicket', evidence: [], note: '', by: agent });
    expect(types(when(restored, { type: 'VerifyTicket', evidence: [], note: '', by: supervisor }))).toEqual(['TicketVerified']);
    expect(ticketDeadlines(restored, policy)).toEqual(ticketDeadlines(critical, policy));
  });
});

describe('folding without asking the machine about steps that keep state', () => {
  it('gives the same state as asking the machine about every step', () => {
    const { recoveryTicketMachine } = jest.requireActual('@reclaim/state-machines');
    const { initialTransition, transition } = jest.requireActual('xstate');
    const steps: TicketEvent[] = [
      { type: 'TicketAssigned', data: { assignee: 'a', assignedBy: 'a' } },
      { type: 'NoteAdded', data: { body: 'n', author: 'a' } },
      { type: 'EvidenceRecorded', data: { kind: 'totp', outcome: 'accepted', via: 'submission' } },
      { type: 'FollowUpReceived', data: { message: 'm' } },
      { type: 'InfoRequested', data: { question: '?', requestedBy: 'a' } },
      { type: 'NoteAdded', data: { body: 'n', author: 'a' } },
      { type: 'ReplyReminderSent', data: { dueAt: '', expiresAt: '' } },
      { type: 'InfoProvided', data: { message: '!' } },
      { type: 'ApprovalRecorded', data: { approver: 'a', role: 'agent', evidence: [], note: '' } },
    ];
    let reference = initialTransition(recoveryTicketMachine, { reason: 'lost-email', critical: true, frozen: false })[0];
    const machineEvents = [{ type: 'ASSIGN' }, { type: 'NOTE' }, { type: 'RECORD_EVIDENCE' }, { type: 'REPLY' }, { type: 'REQUEST_INFO' }, { type: 'NOTE' }, { type: 'REMIND' }, { type: 'REPLY' }, { type: 'APPROVE', approver: 'a', role: 'agent' }];
    let folded = given(submitted({ critical: true }));
    steps.forEach((step, i) => {
      reference = transition(recoveryTicketMachine, reference, machineEvents[i])[0];
      folded = evolveTicket(folded, step);
      expect({ value: folded.snapshot!.value, context: folded.snapshot!.context }).toEqual({ value: reference.value, context: reference.context });
    });
  });
  it('really skips the machine for them: deciding and folding a note runs no transition', () => {
    const { recoveryTicketMachine } = jest.requireActual('@reclaim/state-machines');
    const state = given(submitted());
    const transition = jest.spyOn(recoveryTicketMachine, 'transition');
    const can = jest.spyOn(state.snapshot!, 'can');
    try {
      const [note] = decideTicket({ type: 'AddNote', body: 'checked', by: agent }, state, { now: at(1), policy });
      const after = evolveTicket(state, note!);
      expect(after.snapshot).toBe(state.snapshot);
      expect(can).not.toHaveBeenCalled();
      expect(transition).not.toHaveBeenCalled();
    } finally {
      transition.mockRestore();
      can.mockRestore();
    }
  });
});

describe('remembered machine steps', () => {
  it('answer what the machine answers, and the same step gives the same snapshot', () => {
    const { recoveryTicketMachine } = jest.requireActual('@reclaim/state-machines');
    const { transition } = jest.requireActual('xstate');
    const start = given(submitted({ critical: true })).snapshot!;
    const path = [{ type: 'REQUEST_INFO' }, { type: 'REPLY' }, { type: 'APPROVE', approver: 'a', role: 'supervisor' }, { type: 'APPROVE', approver: 'b', role: 'supervisor' }] as const;
    let reference = start;
    let first = start;
    for (const event of path) {
      reference = transition(recoveryTicketMachine, reference, event)[0];
      first = machineStep(first, event);
      expect({ value: first.value, context: first.context }).toEqual({ value: reference.value, context: reference.context });
    }
    // Another ticket with the same history shares the snapshots; another approver does not.
    expect(path.reduce<typeof start>((s, e) => machineStep(s, e), start)).toBe(first);
    const other = machineStep(machineStep(machineStep(start, path[0]), path[1]), { type: 'APPROVE', approver: 'c', role: 'supervisor' });
    expect(other.context).not.toEqual(machineStep(machineStep(machineStep(start, path[0]), path[1]), path[2]).context);
  });
});
