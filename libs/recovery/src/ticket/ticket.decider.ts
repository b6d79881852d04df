import { CommandIds } from '../shared/command-ids';
import type { Every } from '../shared/every';
import { foldBookkeeping } from '../shared/stream-runner';
import {
  MAX_FOLLOW_UPS,
  recoveryTicketMachine,
  type TicketMachineEvent,
  type TicketState as LifecycleState,
} from '@reclaim/state-machines';
import { createActor, initialTransition, type AnyActorScope, type SnapshotFrom } from 'xstate';
import type { FoldableEvent } from '../shared/decided-event';
import { AlreadyAssigned, RecoveredElsewhere, TransitionNotAllowed } from '../shared/errors';
import type { RecoveredThrough } from '../requester/recovery-claim';
import type { TicketCommand, TicketPolicy } from './ticket.commands';
import { seenByRequester } from './seen-by-requester';
import type { AccountStatus, ApprovalLapse, EvidenceCheck, TicketEvent, TicketEventOf } from './ticket.events';

export type TicketSnapshot = SnapshotFrom<typeof recoveryTicketMachine>;

/** What deciding needs to know about a ticket; views for people are built elsewhere. */
export interface TicketState {
  /** Revision of the last event folded; -1n before the ticket exists. */
  revision: bigint;
  /**
   * The revision as the requester knows it: counts only the events their view shows (see
   * `seenByRequester`), from 0 at submission; -1n before the ticket exists.
   */
  requesterRevision: bigint;
  snapshot?: TicketSnapshot;
  ticketId?: string;
  ticketNumber?: number;
  username?: string;
  contactEmail?: string;
  requesterTokenHash?: string;
  /**
   * The command that issued the requester token in force (its causation id), so that a retry of
   * one whose answer was lost replaces only the token it issued, not one issued since.
   */
  requesterTokenIssuedBy?: string;
  priority: 'normal' | 'high';
  /** The staff id the ticket is assigned to, if any. */
  assignee?: string;
  /** The SLA clock runs while the ticket waits for staff: time used so far, and since when it runs. */
  sla: { usedMs: number; runningSince?: string };
  /** When the open question was asked, while awaiting info. */
  questionAskedAt?: string;
  /** Ids of the commands already applied, so that a retried command applies once. */
  commandIds: CommandIds;
}

/** Every key is there from the start, undefined or not (see `Every` for why). */
export const initialTicketState = (): TicketState => ({
  revision: -1n,
  requesterRevision: -1n,
  snapshot: undefined,
  ticketId: undefined,
  ticketNumber: undefined,
  username: undefined,
  contactEmail: undefined,
  requesterTokenHash: undefined,
  requesterTokenIssuedBy: undefined,
  priority: 'normal',
  assignee: undefined,
  sla: { usedMs: 0 },
  questionAskedAt: undefined,
  commandIds: CommandIds.empty(),
}) satisfies Every<TicketState>;

export function lifecycleState(state: TicketState): LifecycleState | undefined {
  return state.snapshot?.value as LifecycleState | undefined;
}

/** The machine event a stored fact stands for; facts that do not move the lifecycle map to none. */
function machineEventFor(event: TicketEvent): TicketMachineEvent | undefined {
  switch (event.type) {
    case 'TicketAssigned':
    case 'TicketReleased':
      return { type: 'ASSIGN' };
    case 'NoteAdded':
      return { type: 'NOTE' };
    case 'EvidenceRecorded':
      return event.data.outcome === 'rate-limited' && event.data.via === 'reply' ? { type: 'REPLY_OVER_LIMIT' } : { type: 'RECORD_EVIDENCE' };
    case 'TicketPrioritised':
      return { type: 'RECORD_EVIDENCE' };
    case 'InfoRequested':
      return { type: 'REQUEST_INFO' };
    case 'InfoProvided':
    case 'FollowUpReceived':
      return { type: 'REPLY' };
    case 'ApprovalRecorded':
      return { type: 'APPROVE', approver: event.data.approver, role: machineRole(event.data.role) };
    case 'ApprovalWithdrawn':
      return { type: 'WITHDRAW_APPROVAL', approver: event.data.approver };
    case 'TicketVerified':
      return event.data.verifiedBy.kind === 'system'
        ? { type: 'CODE_VERIFY' }
        : { type: 'APPROVE', approver: event.data.verifiedBy.id, role: machineRole(event.data.verifiedBy.role ?? 'agent') };
    case 'TicketRejected':
      return event.data.rejectedBy.kind === 'system' && event.data.reason === 'no-response'
        ? { type: 'EXPIRE' }
        : { type: 'REJECT', reason: event.data.reason };
    case 'TicketMarkedOverdue':
      return { type: 'MARK_OVERDUE' };
    case 'ReplyReminderSent':
      return { type: 'REMIND' };
    case 'AccountStatusNoted':
      return { type: 'ACCOUNT_STATUS', critical: event.data.critical, frozen: event.data.frozen };
    case 'TicketSubmitted':
    case 'RequesterTokenReplaced':
      return undefined;
  }
}

/** Admins hold every staff power, so the machine sees them as supervisors. */
function machineRole(role: 'admin' | 'supervisor' | 'agent'): 'supervisor' | 'agent' | 'admin' {
  return role === 'admin' ? 'supervisor' : role;
}

/**
 * Per state, the machine events whose every transition keeps state and context as they are (the
 * machine's `recordInLog` steps). Read off the machine, so folding can skip asking it about them
 * without knowing any rule of its own: replaying a long history is then mostly free.
 */
const KEEPS_STATE: Map<string, Set<string>> = new Map(
  Object.values(recoveryTicketMachine.root.states).map((node) => [
    node.key,
    new Set(
      [...node.transitions]
        .filter(([, transitions]) =>
          transitions.every((t) => !t.target?.length && !t.guard && t.actions.length === 1 && actionName(t.actions[0]) === 'recordInLog'),
        )
        .map(([eventType]) => eventType),
    ),
  ]),
);

/** xstate keeps an action named in the config as its name, and an inline one as an object. */
function actionName(action: unknown): string | undefined {
  return typeof action === 'string' ? action : (action as { type?: string } | undefined)?.type;
}

/** Whether the machine marks this step as keeping state and context as they are. */
function keepsState(snapshot: TicketSnapshot, event: TicketMachineEvent): boolean {
  return KEEPS_STATE.get(snapshot.value as string)?.has(event.type) ?? false;
}

/** The machine's first snapshot for a ticket; snapshots are immutable, so equal inputs share one. */
const initialSnapshots = new Map<string, TicketSnapshot>();
function initialSnapshot(input: { reason: string; critical: boolean; frozen: boolean }): TicketSnapshot {
  const key = `${input.reason}|${input.critical}|${input.frozen}`;
  let snapshot = initialSnapshots.get(key);
  if (!snapshot) initialSnapshots.set(key, (snapshot = initialTransition(recoveryTicketMachine, input)[0]));
  return snapshot;
}

/**
 * One step of the machine, as xstate's pure `transition` takes it, but with one inert actor
 * scope made once: `transition` builds a new actor (and computes the machine's first snapshot)
 * on every call, which is most of the cost of replaying a history. The machine has no children,
 * no delays and only `assign` actions, so nothing of the scope carries from one step to the next.
 */
const inertScope: AnyActorScope = (() => {
  // Never started: it only stands in as the scope's `self`; the input is any valid one.
  const self = createActor(recoveryTicketMachine, { input: { reason: 'lost-email', critical: false, frozen: false } });
  return { self, system: self.system, id: '', sessionId: '', logger: () => undefined, defer: () => undefined, emit: () => undefined, stopChild: () => undefined, actionExecutor: () => undefined } as unknown as AnyActorScope;
})();

/**
 * Steps already taken, by snapshot and event. A step is pure and snapshots are never changed,
 * so tickets with the same history share their snapshots, and replaying a million events runs
 * the machine only for the histories it has not seen yet. Forgotten wholesale at a bound, as
 * every snapshot reachable from a shared first one stays reachable.
 */
const STEPS_LIMIT = 50_000;
let steps = new WeakMap<TicketSnapshot, Map<string, TicketSnapshot>>();
let stepCount = 0;

export function machineStep(snapshot: TicketSnapshot, event: TicketMachineEvent): TicketSnapshot {
  if (keepsState(snapshot, event)) return snapshot;
  let taken = steps.get(snapshot);
  if (!taken) steps.set(snapshot, (taken = new Map()));
  const key = JSON.stringify(event);
  let next = taken.get(key);
  if (!next) {
    next = recoveryTicketMachine.transition(snapshot, event, inertScope);
    if (++stepCount > STEPS_LIMIT) [steps, stepCount] = [new WeakMap(), 0];
    else taken.set(key, next);
  }
  return next;
}

/** Folds one event (stored, or decided and about to be stored) into the state. Pure. */
export function evolveTicket(state: TicketState, stored: FoldableEvent): TicketState {
  const event = stored as TicketEvent;
  const at = stored.metadata?.occurredAt ?? new Date(0).toISOString();
  const next: TicketState = {
    ...state,
    ...foldBookkeeping(state, stored),
    requesterRevision: seenByRequester(event.type) ? state.requesterRevision + 1n : state.requesterRevision,
  };
  if (event.type === 'TicketSubmitted') {
    const { ticketId, ticketNumber, username, contactEmail, requesterTokenHash, reason, critical, frozen } = event.data;
    const snapshot = initialSnapshot({ reason, critical, frozen });
    return { ...next, snapshot, ticketId, ticketNumber, username, contactEmail, requesterTokenHash, requesterTokenIssuedBy: stored.metadata?.causationId, sla: { usedMs: 0, runningSince: at } };
  }
  if (!state.snapshot) return next;
  const machineEvent = machineEventFor(event);
  // A decided ticket's machine is done: what is still recorded on it (a note, a new requester
  // token) moves nothing.
  if (machineEvent && state.snapshot.status === 'active') next.snapshot = machineStep(state.snapshot, machineEvent);
  if (event.type === 'TicketPrioritised') next.priority = event.data.priority;
  if (event.type === 'TicketAssigned') next.assignee = event.data.assignee;
  if (event.type === 'TicketReleased') next.assignee = undefined;
  if (event.type === 'RequesterTokenReplaced') {
    next.requesterTokenHash = event.data.requesterTokenHash;
    next.requesterTokenIssuedBy = stored.metadata?.causationId;
  }

  // The SLA clock runs exactly while the ticket is submitted.
  const wasRunning = state.snapshot.value === 'submitted';
  const runs = next.snapshot!.value === 'submitted';
  if (wasRunning && !runs) {
    next.sla = { usedMs: state.sla.usedMs + elapsed(state.sla.runningSince, at) };
  } else if (!wasRunning && runs) {
    next.sla = { usedMs: state.sla.usedMs, runningSince: at };
  }
  if (event.type === 'InfoRequested') next.questionAskedAt = at;
  if (next.snapshot!.value !== 'awaiting-info') next.questionAskedAt = undefined;
  return next;
}

function elapsed(since: string | undefined, until: string): number {
  return since ? Math.max(0, Date.parse(until) - Date.parse(since)) : 0;
}

/**
 * The timers of an open ticket: the SLA running out (`overdue`, or `overdue-high` for a ticket of
 * high priority, whose SLA may be shorter), the reminder, the expiry of a question.
 */
export const TICKET_TIMERS = ['overdue', 'overdue-high', 'remind', 'expire'] as const;
export type TicketTimer = (typeof TICKET_TIMERS)[number];
export type TimerAnchors = Partial<Record<TicketTimer, number>>;

/**
 * What each timer of an open ticket counts from, in epoch ms, independent of the configured
 * durations (`timerDelays` adds those). The timer read model stores these, so a changed policy
 * needs no rebuild.
 */
export function ticketTimerAnchors(state: TicketState): TimerAnchors {
  const snapshot = state.snapshot;
  if (!snapshot || snapshot.status === 'done') return {};
  if (snapshot.value === 'submitted') {
    if (snapshot.context.overdue || !state.sla.runningSince) return {};
    const started = Date.parse(state.sla.runningSince) - state.sla.usedMs;
    return state.priority === 'high' ? { 'overdue-high': started } : { overdue: started };
  }
  const askedAt = Date.parse(state.questionAskedAt ?? '');
  if (Number.isNaN(askedAt)) return {};
  return { remind: snapshot.context.reminded ? undefined : askedAt, expire: askedAt };
}

/** When each timer of the ticket falls due under a policy; none for a closed ticket. */
export function ticketDeadlines(state: TicketState, policy: TicketPolicy): { overdueAt?: Date; remindAt?: Date; expireAt?: Date } {
  return deadlinesOf(ticketTimerAnchors(state), policy);
}

/**
 * How long after its anchor each timer falls due. The one place this rule is written: the timers
 * fire by it and the views show it, so the two cannot drift apart.
 */
export function timerDelays(policy: TicketPolicy): Record<TicketTimer, number> {
  return { overdue: policy.slaResponseMs, 'overdue-high': policy.slaHighPriorityMs ?? policy.slaResponseMs, remind: policy.replyTimeoutMs / 2, expire: policy.replyTimeoutMs };
}

/** When timers with these anchors fall due under a policy (for anchors read back from the timers' rows). */
export function deadlinesOf(anchors: TimerAnchors, policy: TicketPolicy): { overdueAt?: Date; remindAt?: Date; expireAt?: Date } {
  const delays = timerDelays(policy);
  const at = (kind: TicketTimer) => (anchors[kind] === undefined ? undefined : new Date(anchors[kind] + delays[kind]));
  return { overdueAt: at('overdue') ?? at('overdue-high'), remindAt: at('remind'), expireAt: at('expire') };
}

/** A ticket state as plain JSON, for read models that keep it between events. */
export interface SerialisedTicketState extends Omit<TicketState, 'snapshot' | 'revision' | 'requesterRevision' | 'commandIds' | 'requesterTokenIssuedBy' | 'ticketNumber'> {
  revision: string;
  requesterRevision: string;
  lifecycle?: { value: string; context: TicketSnapshot['context'] };
}

/**
 * Both directions name every key rather than copy the rest and add to it, as read models convert
 * a state for each ticket they write (see `Every` for why).
 */
export function serialiseTicketState(state: TicketState): SerialisedTicketState {
  const { snapshot } = state;
  return {
    revision: state.revision.toString(),
    requesterRevision: state.requesterRevision.toString(),
    ticketId: state.ticketId,
    username: state.username,
    contactEmail: state.contactEmail,
    requesterTokenHash: state.requesterTokenHash,
    priority: state.priority,
    assignee: state.assignee,
    sla: state.sla,
    questionAskedAt: state.questionAskedAt,
    lifecycle: snapshot && { value: snapshot.value as string, context: snapshot.context },
  } satisfies Every<SerialisedTicketState>;
}

/**
 * Read models skip command ids and who issued the token: they never decide, so they never need to
 * spot a repeat. Nor the number, which their views hold.
 */
export function restoreTicketState(serialised: SerialisedTicketState): TicketState {
  const { lifecycle } = serialised;
  return {
    revision: BigInt(serialised.revision),
    requesterRevision: BigInt(serialised.requesterRevision),
    snapshot: lifecycle && recoveryTicketMachine.resolveState({ value: lifecycle.value, context: lifecycle.context }),
    ticketId: serialised.ticketId,
    ticketNumber: undefined,
    username: serialised.username,
    contactEmail: serialised.contactEmail,
    requesterTokenHash: serialised.requesterTokenHash,
    requesterTokenIssuedBy: undefined,
    priority: serialised.priority,
    assignee: serialised.assignee,
    sla: serialised.sla,
    questionAskedAt: serialised.questionAskedAt,
    commandIds: CommandIds.empty(),
  } satisfies Every<TicketState>;
}

export interface DecideContext {
  now: Date;
  policy: TicketPolicy;
}

/**
 * Refuses a requester's reply that the lifecycle does not take now: on a closed ticket, or a
 * follow-up past those that may wait for staff. The reply handler asks it before checking any code
 * sent with the reply, so that a refused reply burns nothing.
 */
export function assertMayReply(state: TicketState): void {
  const snapshot = state.snapshot;
  if (snapshot?.can({ type: 'REPLY' })) return;
  const why = snapshot?.status === 'active' ? `${MAX_FOLLOW_UPS} follow-ups or refused codes already wait for staff; write again once they ask you a question` : 'the ticket is closed';
  throw new TransitionNotAllowed('ReplyToTicket', lifecycleState(state) ?? 'unknown', why);
}

/**
 * Decides what a command means for a ticket: the events to record, or a refusal. Pure. Every
 * question of "is this allowed now" goes to the machine; this function only builds the facts.
 */
export function decideTicket(command: TicketCommand, state: TicketState, { now, policy }: DecideContext): TicketEvent[] {
  if (command.type === 'SubmitTicket') {
    if (state.snapshot) throw new TransitionNotAllowed(command.type, lifecycleState(state)!, 'the ticket exists already');
    const { type: _type, account, evidence, recoveredThrough, ...fields } = command;
    const submitted: TicketEventOf<'TicketSubmitted'> = {
      type: 'TicketSubmitted',
      data: { ...fields, accountKnown: account.known, ...(account.onFile && { onFile: account.onFile }), critical: account.critical, frozen: account.frozen },
    };
    if (!command.duplicateOf) delete submitted.data.duplicateOf;
    return withEvidence(state, [submitted], evidence, 'submission', now, recoveredThrough);
  }

  const snapshot = state.snapshot;
  if (!snapshot) throw new TransitionNotAllowed(command.type, 'unknown', 'there is no such ticket');
  const current = snapshot.value as LifecycleState;
  const require = (event: TicketMachineEvent, why?: string) => {
    // A step the machine marks as keeping the state is allowed without running it.
    if (!keepsState(snapshot, event) && !snapshot.can(event)) throw new TransitionNotAllowed(command.type, current, why);
  };

  switch (command.type) {
    case 'ReplyToTicket': {
      assertMayReply(state);
      const reply: TicketEvent =
        current === 'awaiting-info'
          ? { type: 'InfoProvided', data: { message: command.message } }
          : { type: 'FollowUpReceived', data: { message: command.message } };
      return withEvidence(state, [...accountStatusNoted(snapshot, command.account), reply], command.evidence, 'reply', now, command.recoveredThrough);
    }
    case 'WithdrawTicket':
      require({ type: 'REJECT', reason: 'other' });
      return [
        {
          type: 'TicketRejected',
          data: { reason: 'other', note: command.message ?? 'Withdrawn by the requester.', rejectedBy: { kind: 'requester', id: state.ticketId! }, contactEmail: state.contactEmail! },
        },
      ];
    case 'RecordReplyOverLimit':
      // Past what may wait for staff (the reply handler asked `assertMayReply` before the limit,
      // so only while a question waits for its answer), the attempt is refused and not recorded again.
      if (!snapshot.can({ type: 'REPLY_OVER_LIMIT' })) return [];
      return command.kinds.map((kind): TicketEvent => ({ type: 'EvidenceRecorded', data: { kind, outcome: 'rate-limited', via: 'reply' } }));
    case 'AssignTicket':
      require({ type: 'ASSIGN' });
      // Claiming a ticket one already holds changes nothing, so it records nothing: no second
      // "assigned" for the history, the feed and the webhooks.
      if (state.assignee === command.assignee) return [];
      // Two staff who claim one ticket at the same moment must not both believe they hold it:
      // a claim takes a free ticket only (or that of a holder who may no longer hold it); taking over another's is an
      // assignment by name.
      if (command.claim && state.assignee && state.assignee !== command.fromUnassignable) throw new AlreadyAssigned(state.assignee);
      if (command.waitingForStaff && current !== 'submitted') throw new TransitionNotAllowed(command.type, current, 'the ticket no longer waits for staff');
      return [{ type: 'TicketAssigned', data: { assignee: command.assignee, assignedBy: command.by.id } }];
    case 'ReleaseTicket':
      // Changing hands is allowed exactly while the ticket is open, as assigning is.
      require({ type: 'ASSIGN' });
      if (!state.assignee) return [];
      // A hand-back names whose ticket it gives back, so that one given back at the same moment
      // as someone else took it over does not take it from them.
      if (state.assignee !== command.from) {
        if (command.because === 'handed-back') throw new AlreadyAssigned(state.assignee);
        return [];
      }
      return [{ type: 'TicketReleased', data: { previousAssignee: command.from, because: command.because } }];
    case 'RequestInfo':
      require({ type: 'REQUEST_INFO' }, current === 'awaiting-info' ? 'a question is already open' : undefined);
      return [{ type: 'InfoRequested', data: { question: command.question, requestedBy: command.by.id, contactEmail: state.contactEmail! } }];
    case 'VerifyTicket': {
      const approve = { type: 'APPROVE', approver: command.by.id, role: machineRole(command.by.role) } as const;
      // Judged by the account as it is now: one that became critical since needs two approvers;
      // and by the staff as they are now: a first approver since deactivated (a credential that
      // leaked, say) or given a role that works no tickets no longer makes one of the two.
      const noted: TicketEvent[] = [...accountStatusNoted(snapshot, command.account), ...approvalWithdrawn(snapshot, command.firstApproverLapsed)];
      const judged = noted.reduce((step, event) => machineStep(step, machineEventFor(event)!), snapshot);
      const first = judged.status === 'active' ? judged.context.firstApprover : undefined;
      if (!judged.can(approve)) {
        throw new TransitionNotAllowed(command.type, current, first ? `a critical account needs a second approval, by a supervisor other than ${first}` : undefined);
      }
      const next = machineStep(judged, approve);
      const { evidence, note, by } = command;
      if (next.value === 'verified') {
        // A report of a compromise may be the owner's answer to that very recovery: a person
        // reads it (the system raised it), and may decide it for the reporter.
        if (command.recoveredThrough && snapshot.context.reason !== 'account-compromise') throw new RecoveredElsewhere(command.recoveredThrough);
        return [
          ...noted,
          {
            type: 'TicketVerified',
            data: { verifiedBy: { kind: 'staff', id: by.id, role: by.role }, evidence, note, username: state.username!, contactEmail: state.contactEmail! },
          },
        ];
      }
      return [...noted, { type: 'ApprovalRecorded', data: { approver: by.id, role: by.role, evidence, note } }];
    }
    case 'WithdrawApproval':
      // A decided ticket has no approval left to withdraw; on an open one, only the first
      // approver's own counts (a second approval made it the first again meanwhile, say).
      return snapshot.status === 'active' ? approvalWithdrawn(snapshot, { approver: command.approver, because: command.because }) : [];
    case 'RejectTicket':
      require({ type: 'REJECT', reason: command.reason });
      return [{ type: 'TicketRejected', data: { reason: command.reason, note: command.note, rejectedBy: { kind: 'staff', id: command.by.id }, contactEmail: state.contactEmail! } }];
    // The system closes what is left open once its account is gone, or recovered through another
    // ticket. Sent after the fact, maybe more than once: a ticket closed meanwhile stays as it is.
    case 'RejectForRemovedAccount':
      return closedBySystem(state, 'other', 'The platform removed the account: there is nothing left to recover.', 'account-removed');
    case 'RejectAsRecoveredElsewhere':
      return closedBySystem(state, 'duplicate', `Access to the account was restored through ticket ${command.throughTicketNumber}, filed under the same username.`, 'account-recovered');
    case 'PrioritiseRecoveredWhileReported':
      if (state.priority === 'high' || !snapshot.can({ type: 'RECORD_EVIDENCE' })) return [];
      return [
        {
          type: 'TicketPrioritised',
          data: { priority: 'high', because: `access to the account was restored through ticket ${command.throughTicketNumber} while this report of a compromise was open` },
        },
      ];
    case 'AddNote':
      // A note records what staff learn, also once the ticket is decided (a call that confirms a
      // fraud, say): not a step of the lifecycle, which a decided ticket has no more of.
      if (snapshot.status === 'active') require({ type: 'NOTE' });
      return [{ type: 'NoteAdded', data: { body: command.body, author: command.by.id } }];
    case 'ReplaceRequesterToken':
      // Not a step of the lifecycle: a requester follows their ticket in every state, closed too.
      return [{ type: 'RequesterTokenReplaced', data: { requesterTokenHash: command.requesterTokenHash } }];
    case 'MarkOverdue': {
      const { overdueAt } = ticketDeadlines(state, policy);
      if (!overdueAt || now < overdueAt || !snapshot.can({ type: 'MARK_OVERDUE' })) return [];
      return [{ type: 'TicketMarkedOverdue', data: { dueAt: overdueAt.toISOString() } }];
    }
    case 'RemindRequester': {
      const { remindAt, expireAt } = ticketDeadlines(state, policy);
      // Past the end too (after a long stop, or a shorter RECLAIM_REPLY_TIMEOUT), a reminder would
      // ask for an answer before a time gone by: the ticket is rejected for no response instead.
      if (!remindAt || !expireAt || now < remindAt || now >= expireAt || !snapshot.can({ type: 'REMIND' })) return [];
      return [{ type: 'ReplyReminderSent', data: { dueAt: remindAt.toISOString(), expiresAt: expireAt.toISOString(), contactEmail: state.contactEmail! } }];
    }
    case 'ExpireTicket': {
      const { expireAt } = ticketDeadlines(state, policy);
      if (!expireAt || now < expireAt || !snapshot.can({ type: 'EXPIRE' })) return [];
      return [
        {
          type: 'TicketRejected',
          data: { reason: 'no-response', note: 'No reply from the requester in time.', rejectedBy: { kind: 'system', id: 'reply-timeout' }, contactEmail: state.contactEmail! },
        },
      ];
    }
  }
}

/** The system's rejection of a ticket still open; none for one decided already. */
function closedBySystem(state: TicketState, reason: string, note: string, by: string): TicketEvent[] {
  if (!state.snapshot!.can({ type: 'REJECT', reason })) return [];
  return [{ type: 'TicketRejected', data: { reason, note, rejectedBy: { kind: 'system', id: by }, contactEmail: state.contactEmail! } }];
}

/** The withdrawal of the first approval, where its approver is the one whose approval lapsed; none otherwise. */
function approvalWithdrawn(snapshot: TicketSnapshot, lapse: ApprovalLapse | undefined): TicketEvent[] {
  if (!lapse || snapshot.context.firstApprover !== lapse.approver) return [];
  return [{ type: 'ApprovalWithdrawn', data: { approver: lapse.approver, because: lapse.because } }];
}

/** A note of the account's status, where it is not what the ticket last knew; none otherwise. */
function accountStatusNoted(snapshot: TicketSnapshot, account: AccountStatus | undefined): TicketEvent[] {
  if (!account || (account.critical === snapshot.context.critical && account.frozen === snapshot.context.frozen)) return [];
  return [{ type: 'AccountStatusNoted', data: { critical: account.critical, frozen: account.frozen } }];
}

/**
 * Appends the evidence facts, then what an accepted recovery code means: the engine verifies the
 * ticket when the machine lets a code verify alone, and otherwise marks it for a person; so too
 * when the account was recovered through another ticket since this one was filed.
 */
function withEvidence(
  state: TicketState,
  events: TicketEvent[],
  evidence: EvidenceCheck[],
  via: 'submission' | 'reply',
  now: Date,
  recoveredThrough: RecoveredThrough | undefined,
): TicketEvent[] {
  const recorded: TicketEvent[] = [...events, ...evidence.map((check): TicketEvent => ({ type: 'EvidenceRecorded', data: { ...check, via } }))];
  if (!evidence.some((check) => check.kind === 'recovery-code' && check.outcome === 'accepted')) return recorded;
  const at = { occurredAt: now.toISOString() };
  const after = recorded.reduce((s, event) => evolveTicket(s, { ...event, metadata: at }), state);
  if (after.snapshot!.can({ type: 'CODE_VERIFY' }) && !recoveredThrough) {
    return [
      ...recorded,
      {
        type: 'TicketVerified',
        data: {
          verifiedBy: { kind: 'system', id: 'recovery-code' },
          evidence: ['recovery-code'],
          note: 'A valid recovery code of the account was presented.',
          username: after.username!,
          contactEmail: after.contactEmail!,
        },
      },
    ];
  }
  if (after.priority === 'high') return recorded;
  const because = recoveredThrough
    ? `a valid recovery code was presented, but access to the account ${recoveredThrough.verified ? 'was' : 'is being'} restored through ticket ${recoveredThrough.ticketNumber} since this ticket was filed`
    : 'a valid recovery code needs a person to decide';
  return [...recorded, { type: 'TicketPrioritised', data: { priority: 'high', because } }];
}
