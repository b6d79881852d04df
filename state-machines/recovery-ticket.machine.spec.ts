import { getAdjacencyMap } from '@xstate/graph';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { lifecycleDocument } from './lifecycle-diagram';
import {
  MAX_FOLLOW_UPS,
  recoveryTicketMachine as machine,
  TICKET_STATES,
  type TicketMachineEvent,
  type TicketMachineInput,
} from './recovery-ticket.machine';

type Snapshot = SnapshotFrom<typeof machine>;

/** Every kind of command, with the payload variants the guards care about. */
const EVENTS: TicketMachineEvent[] = [
  { type: 'ASSIGN' },
  { type: 'NOTE' },
  { type: 'RECORD_EVIDENCE' },
  { type: 'REQUEST_INFO' },
  { type: 'REPLY' },
  { type: 'REPLY_OVER_LIMIT' },
  { type: 'APPROVE', approver: 'agent-1', role: 'agent' },
  { type: 'APPROVE', approver: 'agent-2', role: 'agent' },
  { type: 'APPROVE', approver: 'agent-1', role: 'supervisor' },
  { type: 'APPROVE', approver: 'super-1', role: 'supervisor' },
  { type: 'WITHDRAW_APPROVAL', approver: 'agent-1' },
  { type: 'WITHDRAW_APPROVAL', approver: 'super-1' },
  { type: 'CODE_VERIFY' },
  { type: 'ACCOUNT_STATUS', critical: true, frozen: false },
  { type: 'ACCOUNT_STATUS', critical: false, frozen: true },
  { type: 'ACCOUNT_STATUS', critical: false, frozen: false },
  { type: 'REJECT', reason: 'suspected-fraud' },
  { type: 'REJECT', reason: 'because' },
  { type: 'MARK_OVERDUE' },
  { type: 'REMIND' },
  { type: 'EXPIRE' },
];

const INPUTS: TicketMachineInput[] = [
  { reason: 'lost-email', critical: false, frozen: false },
  { reason: 'lost-email', critical: true, frozen: false },
  { reason: 'lost-2fa', critical: false, frozen: true },
  { reason: 'account-compromise', critical: false, frozen: false },
];

const key = (s: Snapshot) => JSON.stringify({ value: s.value, context: s.context });

/** Walks every snapshot reachable with EVENTS from each input: the model of the lifecycle. */
function walk(input: TicketMachineInput) {
  const map = getAdjacencyMap(machine, { events: EVENTS, input, serializeState: key as never });
  return Object.values(map).map((node) => node.state as Snapshot);
}

describe('recovery ticket machine (model-based)', () => {
  const reached = INPUTS.flatMap(walk);
  const edges = new Set<string>();
  for (const snapshot of reached) {
    for (const event of EVENTS) {
      if (!snapshot.can(event)) continue;
      const [next] = transition(machine, snapshot, event);
      edges.add(`${snapshot.value} -${event.type}-> ${next.value === snapshot.value ? '(stays)' : next.value}`);
    }
  }

  it('reaches every state', () => {
    expect(new Set(reached.map((s) => s.value))).toEqual(new Set(TICKET_STATES));
  });

  it('takes every transition the machine defines', () => {
    for (const node of Object.values(machine.root.states)) {
      for (const [eventType, transitions] of node.transitions) {
        for (const t of transitions) {
          const target = t.target?.[0]?.key;
          expect(edges).toContain(`${node.key} -${eventType}-> ${target && target !== node.key ? target : '(stays)'}`);
        }
      }
    }
  });

  it('changes nothing for every refused command, in every reachable snapshot', () => {
    let refusals = 0;
    for (const snapshot of reached) {
      for (const event of EVENTS) {
        if (snapshot.can(event)) continue;
        refusals++;
        const [next] = transition(machine, snapshot, event);
        expect(key(next)).toBe(key(snapshot));
      }
    }
    expect(refusals).toBeGreaterThan(50);
  });

  it('judges a code and an approval by the account as last noted, not as it was at filing', () => {
    const ordinary = initialTransition(machine, { reason: 'lost-email', critical: false, frozen: false })[0];
    const [frozen] = transition(machine, ordinary, { type: 'ACCOUNT_STATUS', critical: false, frozen: true });
    expect([ordinary.can({ type: 'CODE_VERIFY' }), frozen.can({ type: 'CODE_VERIFY' })]).toEqual([true, false]);
    const [critical] = transition(machine, ordinary, { type: 'ACCOUNT_STATUS', critical: true, frozen: false });
    const [approvedOnce] = transition(machine, critical, { type: 'APPROVE', approver: 'agent-1', role: 'agent' });
    expect([approvedOnce.value, approvedOnce.context.firstApprover]).toEqual(['submitted', 'agent-1']);
    const [noLongerCritical] = transition(machine, critical, { type: 'ACCOUNT_STATUS', critical: false, frozen: false });
    expect(transition(machine, noLongerCritical, { type: 'APPROVE', approver: 'agent-1', role: 'agent' })[0].value).toBe('verified');
  });

  it('refuses everything once final', () => {
    for (const snapshot of reached.filter((s) => s.status === 'done')) {
      for (const event of EVENTS) expect(snapshot.can(event)).toBe(false);
    }
  });

  it('allows exactly the contract lifecycle', () => {
    expect([...edges].filter((e) => !e.endsWith('(stays)')).sort()).toEqual(
      [
        'submitted -REQUEST_INFO-> awaiting-info',
        'submitted -APPROVE-> verified',
        'submitted -CODE_VERIFY-> verified',
        'submitted -REJECT-> rejected',
        'awaiting-info -REPLY-> submitted',
        'awaiting-info -APPROVE-> verified',
        'awaiting-info -CODE_VERIFY-> verified',
        'awaiting-info -REJECT-> rejected',
        'awaiting-info -EXPIRE-> rejected',
      ].sort(),
    );
  });
});

describe('recovery ticket machine (rules)', () => {
  const start = (input: Partial<TicketMachineInput> = {}) =>
    initialTransition(machine, { reason: 'lost-email', critical: false, frozen: false, ...input })[0];
  const send = (snapshot: Snapshot, ...events: TicketMachineEvent[]) =>
    events.reduce((s, event) => transition(machine, s, event)[0], snapshot);

  it('starts submitted', () => {
    expect(start().value).toBe('submitted');
  });

  it('an ordinary account is verified by one approver', () => {
    expect(send(start(), { type: 'APPROVE', approver: 'a', role: 'agent' }).value).toBe('verified');
  });

  it('a critical account needs a second approver who is a supervisor and not the first', () => {
    const once = send(start({ critical: true }), { type: 'APPROVE', approver: 'a', role: 'agent' });
    expect(once.value).toBe('submitted');
    expect(once.context.firstApprover).toBe('a');
    expect(once.can({ type: 'APPROVE', approver: 'a', role: 'supervisor' })).toBe(false);
    expect(once.can({ type: 'APPROVE', approver: 'b', role: 'agent' })).toBe(false);
    expect(send(once, { type: 'APPROVE', approver: 's', role: 'supervisor' }).value).toBe('verified');
  });

  it('a recovery code verifies alone only an ordinary, unfrozen, uncompromised account', () => {
    expect(start().can({ type: 'CODE_VERIFY' })).toBe(true);
    expect(start({ critical: true }).can({ type: 'CODE_VERIFY' })).toBe(false);
    expect(start({ frozen: true }).can({ type: 'CODE_VERIFY' })).toBe(false);
    expect(start({ reason: 'account-compromise' }).can({ type: 'CODE_VERIFY' })).toBe(false);
  });

  it('a rejection needs one of the contract reasons', () => {
    expect(start().can({ type: 'REJECT', reason: 'other' })).toBe(true);
    expect(start().can({ type: 'REJECT', reason: '' })).toBe(false);
  });

  it('marks overdue once, and reminds once per question', () => {
    const overdue = send(start(), { type: 'MARK_OVERDUE' });
    expect(overdue.context.overdue).toBe(true);
    expect(overdue.can({ type: 'MARK_OVERDUE' })).toBe(false);
    const reminded = send(start(), { type: 'REQUEST_INFO' }, { type: 'REMIND' });
    expect(reminded.can({ type: 'REMIND' })).toBe(false);
    const asked = send(reminded, { type: 'REPLY' }, { type: 'REQUEST_INFO' });
    expect(asked.can({ type: 'REMIND' })).toBe(true);
  });

  it('takes MAX_FOLLOW_UPS follow-ups while submitted, and as many more after each question, whose answer it always takes', () => {
    const follow = (snapshot: Snapshot, times: number) => send(snapshot, ...Array.from({ length: times }, () => ({ type: 'REPLY' }) as const));
    const full = follow(start(), MAX_FOLLOW_UPS);
    expect([full.value, full.context.followUps, full.can({ type: 'REPLY' })]).toEqual(['submitted', MAX_FOLLOW_UPS, false]);
    // The other steps of an open ticket go on.
    expect(full.can({ type: 'NOTE' }) && full.can({ type: 'APPROVE', approver: 'a', role: 'agent' })).toBe(true);
    const asked = send(full, { type: 'REQUEST_INFO' });
    expect(asked.can({ type: 'REPLY' })).toBe(true);
    const answered = send(asked, { type: 'REPLY' });
    expect([answered.value, answered.context.followUps]).toEqual(['submitted', 0]);
    expect(follow(answered, MAX_FOLLOW_UPS).can({ type: 'REPLY' })).toBe(false);
    expect(follow(answered, MAX_FOLLOW_UPS - 1).can({ type: 'REPLY' })).toBe(true);
  });

  it('counts a code refused over the attempt limit as a follow-up, in either open state, up to the same bound', () => {
    const refused = (snapshot: Snapshot, times: number) => send(snapshot, ...Array.from({ length: times }, () => ({ type: 'REPLY_OVER_LIMIT' }) as const));
    const mixed = refused(send(start(), { type: 'REPLY' }), MAX_FOLLOW_UPS - 1);
    expect([mixed.context.followUps, mixed.can({ type: 'REPLY' }), mixed.can({ type: 'REPLY_OVER_LIMIT' })]).toEqual([MAX_FOLLOW_UPS, false, false]);
    const waiting = refused(send(mixed, { type: 'REQUEST_INFO' }), MAX_FOLLOW_UPS);
    expect([waiting.value, waiting.can({ type: 'REPLY_OVER_LIMIT' }), waiting.can({ type: 'REPLY' })]).toEqual(['awaiting-info', false, true]);
  });

  it('asks one question at a time, and expires only while waiting for an answer', () => {
    const waiting = send(start(), { type: 'REQUEST_INFO' });
    expect(waiting.can({ type: 'REQUEST_INFO' })).toBe(false);
    expect(start().can({ type: 'EXPIRE' })).toBe(false);
    expect(send(waiting, { type: 'EXPIRE' }).value).toBe('rejected');
  });
});

describe('lifecycle diagram', () => {
  it('docs/lifecycle.md is generated from the current machine (run `npm run diagram`)', () => {
    const committed = readFileSync(join(__dirname, '..', 'docs', 'lifecycle.md'), 'utf8');
    expect(committed).toBe(lifecycleDocument(machine));
  });
});
