import Database from 'better-sqlite3';
import fc from 'fast-check';
import { QueryBus, type CommandBus } from '@nestjs/cqrs';
import { eventHash, SqliteEventStore } from '@reclaim/event-store';
import {
  ChangeTicketCommand,
  CreateStaffCommand,
  EnrolTotpCommand,
  IssueRecoveryCodesCommand,
  RemoveAccountCommand,
  ReplyToTicketCommand,
  SubmitTicketCommand,
  UpsertAccountCommand,
  streams,
  type RecoveryReason,
  type TicketChange,
} from '@reclaim/recovery';
import { recoveryHarness, settlesWithin, type RecoveryHarness } from '@reclaim/recovery/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_LOG_DIGEST, verifyAudit, type AuditReport } from './audit/verify-audit';
import { ProjectionRunner } from './projection-runner';
import type { Projector } from './projector';
import { ProjectionsModule } from './projections.module';
import { READ_MODEL_DB } from './read-model-db';
import { FindTicketsQuery, GetAccountQuery, GetTicketHistoryQuery, GetTicketQuery, HeldTicketsQuery, ListQueueQuery, QueueStatsQuery, VerifyAuditQuery } from './queries/queries';
import { VerifyAuditHandler } from './queries/query-handlers';
import { decodeCursor } from './queries/cursor';
import type { TicketFilter } from './queries/ticket-queries';
import { MOST_DUPLICATES_LISTED, TicketQueries } from './queries/ticket-queries';
import { requesterView, staffView } from './tickets/ticket-view';
import { TicketTimers } from './timers/ticket-timers';
import { listStaff, StaffProjector } from './staff/staff.projector';
import { TicketsProjector } from './tickets/tickets.projector';
import { readModelRows } from './testing/read-model-rows';

const HOUR = 3_600_000;
const agent = { id: 'agent-1', role: 'agent' } as const;
const POLICY = { slaResponseMs: 10 * HOUR, replyTimeoutMs: 4 * HOUR };

async function engine(options: { dataDir?: string; keep?: RecoveryHarness['clock']; slaHighPriorityMs?: number } = {}) {
  const h = await recoveryHarness(
    { ...POLICY, slaHighPriorityMs: options.slaHighPriorityMs },
    { imports: (dir) => [ProjectionsModule.forRoot({ dataDir: dir, timers: false })], dataDir: options.dataDir, clock: options.keep },
  );
  const runner = h.moduleRef.get(ProjectionRunner);
  const caughtUp = async () => expect(await runner.waitFor(await h.store.headPosition(), 5000)).toBe(true);
  return {
    ...h,
    runner,
    caughtUp,
    queries: h.moduleRef.get(QueryBus),
    tickets: h.moduleRef.get(TicketQueries),
    timers: h.moduleRef.get(TicketTimers),
    submit: (username: string, given: { recoveryCode?: string; contactEmail?: string; reason?: RecoveryReason } = {}, meta = h.meta()) =>
      h.bus.execute(
        new SubmitTicketCommand(
          { username, contactEmail: `${username}@example.org`, previousEmails: [], reason: 'lost-email', explanation: 'help', packages: [], ...given },
          meta,
        ),
      ),
    change: (ticketId: string, change: TicketChange) =>
      h.bus.execute(new ChangeTicketCommand(ticketId, change, h.meta({ kind: 'staff', id: 'agent-1' }))),
  };
}
type Engine = Awaited<ReturnType<typeof engine>>;

describe('read side', () => {
  let e: Engine;
  beforeEach(async () => {
    e = await engine();
  });
  afterEach(async () => e.close());

  it('lists a queue in arrival order, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await e.submit(`user${i}`)).ticketId);
    await e.change(ids[2]!, { type: 'RequestInfo', question: '?', by: agent });
    await e.caughtUp();
    const seen: string[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await e.queries.execute(new ListQueueQuery('submitted', 'agent-1', 2, after));
      seen.push(...page.items.map((item) => item.ticketId));
      if (!page.next) break;
      after = decodeCursor(page.next);
    }
    expect(seen).toEqual(ids.filter((_, i) => i !== 2));
    const waiting = await e.queries.execute(new ListQueueQuery('awaiting-info', 'agent-1', 50));
    expect(waiting.items).toEqual([
      expect.objectContaining({ ticketId: ids[2], state: 'awaiting-info', username: 'user2', reason: 'lost-email', overdue: false, priority: 'normal', assignee: null }),
    ]);
    expect(e.tickets.queuePosition(ids[0]!)).toBe(1);
    expect(e.tickets.queuePosition(ids[3]!)).toBe(3);
    expect(e.tickets.queuePosition(ids[2]!)).toBeUndefined();
  });

  it("knows every open ticket a staff member holds, oldest first, and none they decided or another holds", async () => {
    const [ada, bo] = [await e.bus.execute(new CreateStaffCommand('Ada', 'agent', e.meta())), await e.bus.execute(new CreateStaffCommand('Bo', 'agent', e.meta()))];
    const tickets = [];
    for (const name of ['t0', 't1', 't2', 't3', 't4']) tickets.push((await e.submit(name)).ticketId);
    const assign = (ticketId: string, assignee: string) => e.change(ticketId, { type: 'AssignTicket', assignee, by: agent });
    await assign(tickets[3]!, ada.id);
    await assign(tickets[0]!, ada.id);
    await assign(tickets[1]!, ada.id);
    await assign(tickets[2]!, bo.id);
    await e.change(tickets[1]!, { type: 'VerifyTicket', evidence: ['document'], note: 'ok', by: agent });
    await e.change(tickets[3]!, { type: 'RequestInfo', question: 'Which one?', by: agent });
    await e.caughtUp();
    expect(await e.queries.execute(new HeldTicketsQuery(ada.id))).toEqual([tickets[0], tickets[3]]);
    expect(await e.queries.execute(new HeldTicketsQuery(bo.id))).toEqual([tickets[2]]);
    expect(await e.queries.execute(new HeldTicketsQuery('nobody'))).toEqual([]);
  });

  it('keeps mine, high-priority and decided queues, with counts and median time to decision', async () => {
    const staff = await e.bus.execute(new CreateStaffCommand('Ada', 'agent', e.meta()));
    await e.bus.execute(new UpsertAccountCommand('vip', { primaryEmail: 'v@x.org', emails: [], packages: [], critical: true, frozen: false }, e.meta()));
    const { codes } = await e.bus.execute(new IssueRecoveryCodesCommand('vip', e.meta()));
    const a = await e.submit('a');
    const vip = await e.submit('vip', { recoveryCode: codes![0] });
    await e.change(a.ticketId, { type: 'AssignTicket', assignee: staff.id, by: agent });
    e.clock.advance(2 * HOUR);
    await e.change(a.ticketId, { type: 'VerifyTicket', evidence: ['document'], note: 'ok', by: agent });
    await e.caughtUp();
    const queue = async (name: 'mine' | 'high-priority' | 'verified') =>
      (await e.queries.execute(new ListQueueQuery(name, staff.id, 50))).items.map((item) => item.ticketId);
    expect(await queue('mine')).toEqual([]); // decided tickets leave "mine"
    expect(await queue('high-priority')).toEqual([vip.ticketId]);
    expect(await queue('verified')).toEqual([a.ticketId]);
    const verified = async () => (await e.queries.execute(new QueueStatsQuery(staff.id))).find((s) => s.queue === 'verified');
    const stats = await e.queries.execute(new QueueStatsQuery(staff.id));
    expect(stats.find((s) => s.queue === 'verified')).toEqual({ queue: 'verified', count: 1, medianTimeToDecisionSeconds: 7200 });
    expect(stats.find((s) => s.queue === 'submitted')).toEqual({ queue: 'submitted', count: 1 });
    // The median follows each new decision (it is kept while the queue's size stays the same).
    for (const [hours, median] of [[6, 7200], [8, 6 * 3600], [1, 7200]] as const) {
      const next = await e.submit(`median${hours}`);
      e.clock.advance(hours * HOUR);
      await e.change(next.ticketId, { type: 'VerifyTicket', evidence: ['document'], note: 'ok', by: agent });
      await e.caughtUp();
      expect(await verified()).toMatchObject({ medianTimeToDecisionSeconds: median });
      expect(await verified()).toMatchObject({ medianTimeToDecisionSeconds: median });
    }
    // Another's open ticket is theirs, not in anyone else's "mine" or its count.
    const other = await e.bus.execute(new CreateStaffCommand('Bo', 'agent', e.meta()));
    const held = await e.submit('held');
    await e.change(held.ticketId, { type: 'AssignTicket', assignee: other.id, by: agent });
    await e.caughtUp();
    const mine = async (viewer: string) => [
      (await e.queries.execute(new ListQueueQuery('mine', viewer, 50))).items.map((item) => item.ticketId),
      (await e.queries.execute(new QueueStatsQuery(viewer))).find((s) => s.queue === 'mine')!.count,
    ];
    expect([await mine(staff.id), await mine(other.id)]).toEqual([[[], 0], [[held.ticketId], 1]]);
  });

  it("tells staff when the ticket's clocks run out: the SLA while it runs, the answer while a question waits", async () => {
    const clocks = async (ticketId: string) => {
      await e.caughtUp();
      const { overdueAt, noResponseAt } = staffView((await e.queries.execute(new GetTicketQuery(ticketId)))!, POLICY);
      // A queue's item tells the same times, so a queue shows which tickets are about to run out.
      const [item] = (await e.queries.execute(new FindTicketsQuery({ username: 'clocks' }, 1))).items;
      expect({ overdueAt: item!.overdueAt, noResponseAt: item!.noResponseAt }).toEqual({ overdueAt, noResponseAt });
      return { overdueAt, noResponseAt };
    };
    const submittedAt = e.clock.now().getTime();
    const at = (ms: number) => new Date(submittedAt + ms).toISOString();
    const t = await e.submit('clocks');
    expect(await clocks(t.ticketId)).toEqual({ overdueAt: at(10 * HOUR), noResponseAt: undefined });
    e.clock.advance(1 * HOUR);
    await e.change(t.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
    expect(await clocks(t.ticketId)).toEqual({ overdueAt: undefined, noResponseAt: at(1 * HOUR + 4 * HOUR) });
    // Two hours waiting for the requester do not count against the SLA.
    e.clock.advance(2 * HOUR);
    await e.bus.execute(new ReplyToTicketCommand(t.ticketId, { message: 'The old one' }, e.meta()));
    expect(await clocks(t.ticketId)).toEqual({ overdueAt: at(12 * HOUR), noResponseAt: undefined });
    await e.change(t.ticketId, { type: 'RejectTicket', reason: 'other', note: 'done', by: agent });
    expect(await clocks(t.ticketId)).toEqual({ overdueAt: undefined, noResponseAt: undefined });
  });

  it('shows staff everything and the requester only what is theirs', async () => {
    const t = await e.submit('zoe');
    await e.change(t.ticketId, { type: 'AddNote', body: 'internal: sounds fishy', by: agent });
    await e.change(t.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
    await e.bus.execute(new ReplyToTicketCommand(t.ticketId, { message: 'The old one' }, e.meta()));
    await e.caughtUp();
    const view = (await e.queries.execute(new GetTicketQuery(t.ticketId)))!;
    const staff = staffView(view, POLICY);
    expect(staff).toMatchObject({ state: 'submitted', username: 'zoe', notes: [{ body: 'internal: sounds fishy', author: 'agent-1' }] });
    expect(staff.messages.map((m) => [m.from, m.kind, m.body])).toEqual([
      ['staff', 'question', 'Which phone?'],
      ['requester', 'answer', 'The old one'],
    ]);
    const requester = requesterView(view, POLICY, 1);
    expect(JSON.stringify(requester)).not.toContain('fishy');
    expect(requester).not.toHaveProperty('username');
    expect(requester).not.toHaveProperty('evidence');
    expect(requester).toMatchObject({ state: 'submitted', queuePosition: 1 });
  });

  it('tells the requester why a ticket was rejected only when it was their own silence, never a reason about others or suspicion', async () => {
    for (const reason of ['duplicate', 'suspected-fraud', 'insufficient-evidence', 'account-frozen', 'other'] as const) {
      const t = await e.submit(`rejected-${reason}`);
      await e.change(t.ticketId, { type: 'RejectTicket', reason, note: 'internal', by: agent });
      await e.caughtUp();
      const view = (await e.queries.execute(new GetTicketQuery(t.ticketId)))!;
      expect(staffView(view, POLICY).decision).toMatchObject({ reason });
      expect(requesterView(view, POLICY)).not.toHaveProperty('rejectionReason');
    }
  });

  it('tells the requester by when to answer an open question: when the ticket is rejected for no response', async () => {
    const t = await e.submit('yves');
    await e.change(t.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
    await e.caughtUp();
    const view = (await e.queries.execute(new GetTicketQuery(t.ticketId)))!;
    const { noResponseAt } = staffView(view, POLICY);
    expect(Date.parse(noResponseAt!) - Date.parse(view.openQuestion!.askedAt)).toBe(POLICY.replyTimeoutMs);
    expect(requesterView(view, POLICY).openQuestion).toEqual({ question: 'Which phone?', askedAt: view.openQuestion!.askedAt, replyBy: noResponseAt });
  });

  it('answers ?at= with the ticket as it stood then, from the log', async () => {
    const t = await e.submit('zoe');
    const before = new Date(Date.now());
    await new Promise((r) => setTimeout(r, 15));
    await e.change(t.ticketId, { type: 'RequestInfo', question: '?', by: agent });
    const later = await e.submit('zoe'); // linked to the first: its duplicate, filed after `before`
    await e.caughtUp();
    const then = (await e.queries.execute(new GetTicketQuery(t.ticketId, before)))!;
    const now = (await e.queries.execute(new GetTicketQuery(t.ticketId)))!;
    expect([then.state, then.duplicates]).toEqual(['submitted', []]);
    expect([now.state, now.duplicates]).toEqual(['awaiting-info', [later.ticketId]]);
    expect(await e.queries.execute(new GetTicketQuery(t.ticketId, new Date('2000-01-01')))).toBeUndefined();
  });

  it(`lists the first ${MOST_DUPLICATES_LISTED} duplicates of a ticket and counts them all, now and ?at= a time, and rewrites no view to link one`, async () => {
    const original = await e.submit('flood');
    const linked: string[] = [];
    for (let i = 0; i < MOST_DUPLICATES_LISTED + 2; i++) linked.push((await e.submit('flood')).ticketId);
    await e.caughtUp();
    const stored = () => e.moduleRef.get<Database.Database>(READ_MODEL_DB).prepare('SELECT view FROM ticket_views WHERE ticket_id = ?').pluck().get(original.ticketId);
    const storedBefore = stored();
    const now = (await e.queries.execute(new GetTicketQuery(original.ticketId)))!;
    expect([now.duplicates, now.duplicateCount]).toEqual([linked.slice(0, MOST_DUPLICATES_LISTED), MOST_DUPLICATES_LISTED + 2]);
    const between = new Date(Date.now());
    await new Promise((r) => setTimeout(r, 15));
    const later = await e.submit('flood');
    await e.caughtUp();
    expect(stored()).toBe(storedBefore);
    expect((await e.queries.execute(new GetTicketQuery(original.ticketId)))!.duplicateCount).toBe(MOST_DUPLICATES_LISTED + 3);
    const then = (await e.queries.execute(new GetTicketQuery(original.ticketId, between)))!;
    expect([then.duplicates, then.duplicateCount]).toEqual([linked.slice(0, MOST_DUPLICATES_LISTED), MOST_DUPLICATES_LISTED + 2]);
    // A duplicate has none of its own.
    expect((await e.queries.execute(new GetTicketQuery(later.ticketId)))).toMatchObject({ duplicateOf: original.ticketId, duplicates: [], duplicateCount: 0 });
  });

  it('lists a ticket history with actors and causation, and no token hash', async () => {
    const t = await e.submit('zoe');
    await e.change(t.ticketId, { type: 'AddNote', body: 'n', by: agent });
    const history = (await e.queries.execute(new GetTicketHistoryQuery(t.ticketId)))!;
    expect(history.events.map((h) => [h.type, h.revision, h.actor.kind])).toEqual([
      ['TicketSubmitted', '0', 'public'],
      ['NoteAdded', '1', 'staff'],
    ]);
    expect(history.next).toBeUndefined();
    expect(history.events[1]!.causationId).toBeDefined();
    expect(JSON.stringify(history)).not.toContain('requesterTokenHash');
    expect(await e.queries.execute(new GetTicketHistoryQuery('no-such-ticket'))).toBeUndefined();
  });

  it('pages a history by revision when asked: each event once, in order, and an empty page past the end', async () => {
    const t = await e.submit('paged');
    for (const body of ['a', 'b', 'c', 'd']) await e.change(t.ticketId, { type: 'AddNote', body, by: agent });
    const revisions: string[][] = [];
    let after: number | undefined;
    do {
      const page = (await e.queries.execute(new GetTicketHistoryQuery(t.ticketId, { limit: 2, after })))!;
      revisions.push(page.events.map((entry) => entry.revision));
      after = page.next === undefined ? undefined : decodeCursor(page.next);
    } while (after !== undefined);
    expect(revisions).toEqual([['0', '1'], ['2', '3'], ['4']]);
    // `after` alone reads the rest; past the end, the ticket is still there, with nothing more.
    expect((await e.queries.execute(new GetTicketHistoryQuery(t.ticketId, { after: 2 })))!.events.map((entry) => entry.revision)).toEqual(['3', '4']);
    expect(await e.queries.execute(new GetTicketHistoryQuery(t.ticketId, { after: 4, limit: 2 }))).toEqual({ events: [] });
    expect(await e.queries.execute(new GetTicketHistoryQuery('no-such-ticket', { after: 4 }))).toBeUndefined();
  });

  it("counts an account's recoveries and shows the last, as long as the directory holds it; a new account of the name starts with none", async () => {
    await e.bus.execute(new UpsertAccountCommand('zoe', { primaryEmail: 'zoe@x.org', emails: [], packages: [], critical: false, frozen: false }, e.meta()));
    const account = async () => e.queries.execute(new GetAccountQuery('zoe'));
    const first = await e.submit('zoe');
    await e.change(first.ticketId, { type: 'VerifyTicket', evidence: ['passport'], note: 'ok', by: agent });
    e.clock.advance(HOUR);
    const again = await e.submit('zoe');
    await e.change(again.ticketId, { type: 'VerifyTicket', evidence: ['passport'], note: 'ok', by: agent });
    // An unknown username's recovery counts for no account.
    const stranger = await e.submit('nobody');
    await e.change(stranger.ticketId, { type: 'VerifyTicket', evidence: ['passport'], note: 'ok', by: agent });
    await e.caughtUp();
    expect(await account()).toMatchObject({ recoveries: 2, lastRecovery: { ticketId: again.ticketId, at: e.clock.now().toISOString() } });
    expect(await e.queries.execute(new GetAccountQuery('nobody'))).toBeUndefined();
    await e.bus.execute(new RemoveAccountCommand('zoe', [], e.meta()));
    await e.bus.execute(new UpsertAccountCommand('zoe', { primaryEmail: 'zoe@x.org', emails: [], packages: [], critical: false, frozen: false }, e.meta()));
    await e.caughtUp();
    expect(await account()).toMatchObject({ recoveries: 0 });
    expect(await account()).not.toHaveProperty('lastRecovery');
  });

  it('lists the tickets that wait for staff and that no one holds as the unclaimed queue, oldest first, and counts them', async () => {
    const [taken, free, asked, later] = [await e.submit('a'), await e.submit('b'), await e.submit('c'), await e.submit('d')];
    const staff = await e.bus.execute(new CreateStaffCommand('Ada', 'agent', e.meta()));
    await e.change(taken.ticketId, { type: 'AssignTicket', assignee: staff.id, by: agent });
    await e.change(asked.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
    await e.caughtUp();
    const unclaimed = async () => (await e.queries.execute(new ListQueueQuery('unclaimed', 'x', 50))).items.map((item) => item.ticketId);
    const count = async () => (await e.queries.execute(new QueueStatsQuery('x'))).find((stat) => stat.queue === 'unclaimed')!.count;
    expect([await unclaimed(), await count()]).toEqual([[free.ticketId, later.ticketId], 2]);
    // Given back, it waits unclaimed again.
    await e.change(taken.ticketId, { type: 'ReleaseTicket', from: staff.id, because: 'handed-back' });
    await e.caughtUp();
    expect([await unclaimed(), await count()]).toEqual([[taken.ticketId, free.ticketId, later.ticketId], 3]);
  });

  it('fires SLA, reminder and no-response timers from the due-work list, once each', async () => {
    const slow = await e.submit('slow');
    const quiet = await e.submit('quiet');
    await e.change(quiet.ticketId, { type: 'RequestInfo', question: 'Anyone?', by: agent });
    await e.caughtUp();
    expect(await e.timers.tick()).toBe(0);
    e.clock.advance(2 * HOUR + 1);
    expect(await e.timers.tick()).toBe(1); // the reminder, at half of 4 h
    await e.caughtUp();
    expect(await e.timers.tick()).toBe(0);
    e.clock.advance(8 * HOUR);
    await e.timers.tick(); // overdue (10 h) and expiry (4 h)
    await e.caughtUp();
    expect(e.tickets.view(slow.ticketId)).toMatchObject({ state: 'submitted', overdue: true });
    expect(e.tickets.view(quiet.ticketId)).toMatchObject({ state: 'rejected', decision: { reason: 'no-response' } });
    expect(e.tickets.view(quiet.ticketId)!.messages.map((m) => m.kind)).toEqual(['question', 'reminder']);
    expect(await e.timers.tick()).toBe(0);
    const overdue = await e.queries.execute(new ListQueueQuery('overdue', 'x', 50));
    expect(overdue.items.map((i) => i.ticketId)).toEqual([slow.ticketId]);
  });

  it('marks a ticket of high priority overdue at its own, shorter SLA, and shows when in its view and in the queues', async () => {
    const urgent = await engine({ slaHighPriorityMs: 2 * HOUR });
    try {
      const [ordinary, raised] = [await urgent.submit('calm'), await urgent.submit('stolen', { reason: 'account-compromise' })];
      urgent.clock.advance(HOUR);
      await urgent.bus.execute(new ChangeTicketCommand(raised.ticketId, { type: 'PrioritiseRecoveredWhileReported', throughTicketNumber: 1 }, urgent.meta({ kind: 'system', id: 'test' })));
      await urgent.caughtUp();
      const submittedAt = Date.parse(urgent.tickets.view(raised.ticketId)!.submittedAt);
      const queued = await urgent.queries.execute(new ListQueueQuery('submitted', 'x', 50));
      expect(queued.items.map((item) => [item.ticketId, item.overdueAt])).toEqual([
        [ordinary.ticketId, new Date(submittedAt + 10 * HOUR).toISOString()],
        [raised.ticketId, new Date(submittedAt + 2 * HOUR).toISOString()],
      ]);
      urgent.clock.advance(HOUR - 1);
      expect(await urgent.timers.tick()).toBe(0);
      urgent.clock.advance(1);
      expect(await urgent.timers.tick()).toBe(1);
      await urgent.caughtUp();
      expect([urgent.tickets.view(raised.ticketId)!.overdue, urgent.tickets.view(ordinary.ticketId)!.overdue]).toEqual([true, false]);
      const marked = (await urgent.store.readStream(streams.ticket(raised.ticketId))).find((event) => event.type === 'TicketMarkedOverdue')!;
      expect(marked.metadata.actor).toEqual({ kind: 'system', id: 'timer:overdue-high' });
    } finally {
      await urgent.close();
    }
  });

  it('closes the tickets filed under a username before one of them was verified, as duplicates, by the system, once; raises a report of a compromise instead', async () => {
    const [first, waiting, decided] = [await e.submit('twice'), await e.submit('twice'), await e.submit('twice')];
    const compromise = await e.submit('twice', { reason: 'account-compromise' });
    await e.submit('someone-else');
    await e.change(waiting.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
    await e.change(decided.ticketId, { type: 'RejectTicket', reason: 'insufficient-evidence', note: 'x', by: agent });
    const recovered = await e.change(first.ticketId, { type: 'VerifyTicket', evidence: ['passport'], note: 'ok', by: agent });
    const after = await e.submit('twice'); // someone who lost access again: a request of its own
    await e.caughtUp();
    const followUps = () => e.runner.db.prepare('SELECT ticket_id AS ticketId, because, through_ticket_number AS number FROM ticket_follow_ups ORDER BY rowid').all();
    const number = e.tickets.view(first.ticketId)!.ticketNumber;
    expect(followUps()).toEqual([
      { ticketId: waiting.ticketId, because: 'account-recovered', number },
      { ticketId: compromise.ticketId, because: 'recovered-while-reported', number },
    ]);
    // A rebuild reads the whole log as one page, where the ticket has no row yet when the verification comes.
    await expectSameAfterRebuild(e.runner);
    expect(await e.timers.tick()).toBe(2);
    await e.caughtUp();
    expect(followUps()).toEqual([]);
    expect(e.tickets.view(waiting.ticketId)).toMatchObject({
      state: 'rejected',
      decision: { state: 'rejected', reason: 'duplicate', by: { kind: 'system', id: 'account-recovered' }, note: expect.stringContaining(`through ticket ${number}`) },
    });
    const history = (await e.tickets.history(waiting.ticketId))!.events;
    expect(history.at(-1)).toMatchObject({ type: 'TicketRejected', actor: { kind: 'system', id: 'account-recovered' } });
    expect(BigInt(history.at(-1)!.position)).toBeGreaterThan(BigInt(recovered.position));
    expect([e.tickets.view(decided.ticketId)!.decision!.reason, e.tickets.view(after.ticketId)!.state]).toEqual(['insufficient-evidence', 'submitted']);
    // A report of a compromise is for a person to read, at once: it may be about the very recovery.
    expect(e.tickets.view(compromise.ticketId)).toMatchObject({ state: 'submitted', priority: 'high' });
    expect((await e.tickets.history(compromise.ticketId))!.events.at(-1)).toMatchObject({
      type: 'TicketPrioritised',
      actor: { kind: 'system', id: 'recovered-while-reported' },
      data: { priority: 'high', because: expect.stringContaining(`through ticket ${number}`) },
    });
    expect(await e.timers.tick()).toBe(0);
  });

  it('closes an older ticket when a recovery code verifies a later one, and those a removal of the account left open', async () => {
    await e.bus.execute(new UpsertAccountCommand('coded', { primaryEmail: 'c@x.org', emails: [], packages: [], critical: false, frozen: false }, e.meta()));
    const { codes } = await e.bus.execute(new IssueRecoveryCodesCommand('coded', e.meta()));
    const older = await e.submit('coded');
    // A report of a compromise with a valid code is high priority already: nothing to raise.
    const reported = await e.submit('coded', { reason: 'account-compromise', recoveryCode: codes![1] });
    const withCode = await e.submit('coded', { recoveryCode: codes![0] });
    await e.caughtUp();
    expect([e.tickets.view(withCode.ticketId)!.state, e.tickets.view(reported.ticketId)!.priority]).toEqual(['verified', 'high']);
    expect(await e.timers.tick()).toBe(1);
    await e.caughtUp();
    expect(e.tickets.view(older.ticketId)!.decision).toMatchObject({ reason: 'duplicate', by: { id: 'account-recovered' } });
    // The removal's own sweep missed a ticket (filed at that moment, or the server killed halfway): the list has it.
    const missed = await e.submit('coded');
    await e.bus.execute(new RemoveAccountCommand('coded', [], e.meta()));
    await e.caughtUp();
    expect(await e.timers.tick()).toBe(2);
    await e.caughtUp();
    for (const ticket of [missed, reported]) expect(e.tickets.view(ticket.ticketId)!.decision).toMatchObject({ reason: 'other', by: { kind: 'system', id: 'account-removed' } });
    expect(await e.timers.tick()).toBe(0);
  });

  it('fires every due timer in one tick, and goes on past one whose command fails, which is tried again on the next', async () => {
    const tickets: string[] = [];
    for (const name of ['a', 'b', 'c']) tickets.push((await e.submit(name)).ticketId);
    await e.caughtUp();
    e.clock.advance(10 * HOUR);
    const failures: unknown[] = [];
    const storeDownFor = tickets[0];
    const bus = { execute: (command: ChangeTicketCommand) => (command.ticketId === storeDownFor ? Promise.reject(new Error('store down')) : e.bus.execute(command)) };
    const timers = new TicketTimers(e.moduleRef.get(READ_MODEL_DB), bus as unknown as CommandBus, e.clock, POLICY, (error) => failures.push(error));
    expect(await timers.tick()).toBe(2);
    expect(failures).toEqual([new Error('store down')]);
    await e.caughtUp();
    expect(tickets.map((ticketId) => e.tickets.view(ticketId)!.overdue)).toEqual([false, true, true]);
    expect(await timers.tick()).toBe(0);
    expect(failures).toHaveLength(2);
    expect(await e.timers.tick()).toBe(1);
    await e.caughtUp();
    expect(e.tickets.view(tickets[0]!)!.overdue).toBe(true);
  });

  it('reminds the requester of each new question, not only of the first', async () => {
    const t = await e.submit('asked');
    const ask = async (question: string) => {
      await e.change(t.ticketId, { type: 'RequestInfo', question, by: agent });
      await e.caughtUp();
      e.clock.advance(2 * HOUR + 1);
      expect(await e.timers.tick()).toBe(1);
      await e.caughtUp();
    };
    await ask('Which address?');
    await e.bus.execute(new ReplyToTicketCommand(t.ticketId, { message: 'The old one' }, e.meta()));
    await ask('Which phone?');
    expect(e.tickets.view(t.ticketId)!.messages.map((m) => m.kind)).toEqual(['question', 'reminder', 'answer', 'question', 'reminder']);
  });

  it('fires each timer at the very moment the staff view says its clock runs out, not a millisecond before', async () => {
    const slow = await e.submit('slow');
    const quiet = await e.submit('quiet');
    await e.change(quiet.ticketId, { type: 'RequestInfo', question: 'Anyone?', by: agent });
    await e.caughtUp();
    const runsOutAt = async (ticketId: string, clock: 'overdueAt' | 'noResponseAt') =>
      Date.parse(staffView((await e.queries.execute(new GetTicketQuery(ticketId)))!, POLICY)[clock]!);
    const fireAt = async (moment: number) => {
      e.clock.advance(moment - e.clock.now().getTime());
      const sent = await e.timers.tick();
      await e.caughtUp();
      return sent;
    };
    const noResponseAt = await runsOutAt(quiet.ticketId, 'noResponseAt');
    expect(await fireAt(noResponseAt - 1)).toBe(1); // the reminder, half-way
    expect(await fireAt(noResponseAt - 1)).toBe(0);
    expect(await fireAt(noResponseAt)).toBe(1);
    expect(e.tickets.view(quiet.ticketId)).toMatchObject({ state: 'rejected', decision: { reason: 'no-response' } });
    const overdueAt = await runsOutAt(slow.ticketId, 'overdueAt');
    expect(await fireAt(overdueAt - 1)).toBe(0);
    expect(await fireAt(overdueAt)).toBe(1);
    expect(e.tickets.view(slow.ticketId)).toMatchObject({ overdue: true });
  });

  it('keeps due timers across a restart', async () => {
    const t = await e.submit('zoe');
    await e.caughtUp();
    await e.close(true);
    const clock = e.clock;
    clock.advance(11 * HOUR);
    const restarted = await engine({ dataDir: e.dir, keep: clock });
    try {
      await restarted.caughtUp();
      expect(await restarted.timers.tick()).toBe(1);
      await restarted.caughtUp();
      expect(restarted.tickets.view(t.ticketId)).toMatchObject({ overdue: true });
    } finally {
      e = restarted;
    }
  });

  it('answers waitFor only once the read models reach a position', async () => {
    const t = await e.submit('zoe');
    expect(await e.runner.waitFor(BigInt(t.position), 5000)).toBe(true);
    expect(e.tickets.view(t.ticketId)).toBeDefined();
    expect(await e.runner.waitFor(BigInt(t.position) + 1000n, 200)).toBe(false);
  });

  it('commits read-model pages lazily but leaves appends durable', async () => {
    const db = e.runner.db;
    const FULL = 2;
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    const t = await e.submit('zoe');
    await e.caughtUp();
    expect(e.tickets.view(t.ticketId)).toBeDefined();
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
  });
});

// Two engines with their own connections and runners, as two processes sharing the file have.
describe('two engines on one file', () => {
  it('apply each event to the shared read models once, whichever process gets to it first', async () => {
    const a = await engine();
    const b = await engine({ dataDir: a.dir });
    try {
      for (let i = 0; i < 30; i++) {
        const { ticketId } = await a.submit(`user${i}`);
        await b.change(ticketId, { type: 'AddNote', body: `note ${i}`, by: agent });
        if (i % 3 === 0) await a.change(ticketId, { type: 'RequestInfo', question: 'which device?', by: agent });
      }
      await a.caughtUp();
      await b.caughtUp();
      await expectSameAfterRebuild(a.runner);
    } finally {
      await b.close(true);
      await a.close();
    }
  });

  it('apply only what the other has not, when one reads a page the other has applied in part', async () => {
    const a = await engine();
    const b = await engine({ dataDir: a.dir });
    try {
      await b.runner.stop(); // b stays where it looked at start
      for (let i = 0; i < 5; i++) {
        const { ticketId } = await a.submit(`first${i}`);
        await a.change(ticketId, { type: 'AddNote', body: `note ${i}`, by: agent });
      }
      await a.caughtUp();
      await a.runner.stop();
      for (let i = 0; i < 5; i++) await a.submit(`second${i}`);
      // b's next page starts before what a applied, and runs past it.
      await b.runner.catchUp();
      const db = a.runner.db;
      expect((db.prepare('SELECT view FROM ticket_views').all() as Array<{ view: string }>).map(({ view }) => JSON.parse(view).notes.length).sort()).toEqual(
        [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
      );
      await expectSameAfterRebuild(b.runner);
    } finally {
      await b.close(true);
      await a.close();
    }
  });

  it('never move a checkpoint back, when one reads a page that ends before where the other has applied', async () => {
    const a = await engine();
    try {
      await a.submit('first');
      await a.caughtUp();
      // Another process's runner, started now: it reads pages of two events, and is then left behind.
      const behind = new ProjectionRunner(a.store, a.runner.db, [new TicketsProjector()], undefined, 2);
      for (let i = 0; i < 3; i++) {
        const { ticketId } = await a.submit(`later${i}`);
        await a.change(ticketId, { type: 'AddNote', body: `note ${i}`, by: agent });
      }
      await a.caughtUp();
      const checkpoint = () => a.runner.db.prepare("SELECT position FROM projection_checkpoints WHERE name = 'tickets'").pluck().get();
      const [rows, applied] = [readModelRows(a.runner.db), checkpoint()];
      await behind.catchUp();
      expect(checkpoint()).toBe(applied);
      expect(readModelRows(a.runner.db)).toEqual(rows);
    } finally {
      await a.close();
    }
  });

  it('rebuild a read model that another process emptied, instead of patching the empty one', async () => {
    const a = await engine();
    for (let i = 0; i < 5; i++) await a.submit(`early${i}`);
    await a.caughtUp();
    const b = await engine({ dataDir: a.dir });
    try {
      await b.runner.stop();
      b.runner.reset('tickets');
      await a.submit('late');
      await a.caughtUp();
      const db = a.runner.db;
      expect(db.prepare('SELECT username FROM ticket_views ORDER BY seq').all()).toEqual(
        ['early0', 'early1', 'early2', 'early3', 'early4', 'late'].map((username) => ({ username })),
      );
      await expectSameAfterRebuild(a.runner, ['tickets']);
    } finally {
      await b.close(true);
      await a.close();
    }
  });
});

/** Rebuilds read models from zero and checks that they hold exactly the rows incremental processing left. */
async function expectSameAfterRebuild(runner: ProjectionRunner, names = ['tickets', 'staff', 'accounts', 'staff-activity']): Promise<void> {
  const incremental = readModelRows(runner.db);
  // As `npm run cli -- rebuild` does it, with the live loop paused meanwhile.
  await runner.stop();
  for (const name of names) runner.reset(name);
  await runner.catchUp();
  runner.start();
  expect(readModelRows(runner.db)).toEqual(incremental);
}

describe('rebuild and tamper evidence', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await engine();
    await randomHistory(e, 120);
    await e.caughtUp();
  });
  afterAll(async () => e.close());

  it('a rebuild from zero gives exactly what incremental processing gave', async () => {
    const incremental = readModelRows((e.store as SqliteEventStore).database);
    expect(incremental.ticket_views!.length).toBeGreaterThan(10);
    expect(incremental.staff_activity!.length).toBeGreaterThan(10);
    expect(incremental.ticket_queue_counts!.length).toBeGreaterThan(2);
    await expectSameAfterRebuild(e.runner);
  });

  it('the untouched log verifies', async () => {
    const report = await verifyAudit(e.store);
    expect(report).toMatchObject({ ok: true, position: String(await e.store.headPosition()), digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(report.events).toBe(Number(await e.store.headPosition()));
    expect(report.digest).not.toBe(EMPTY_LOG_DIGEST);
  });

  it('checked through a past position, the log gives the digest it had there', async () => {
    const copy = await copyOf(e);
    try {
      const anchor = await copy.verify();
      await copy.store.appendToStream('note-stream', [{ id: 'n-1', type: 'Noted', data: {}, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }]);
      const now = await copy.verify();
      expect(now).toMatchObject({ ok: true, events: anchor.events + 1 });
      expect(BigInt(now.position)).toBeGreaterThan(BigInt(anchor.position));
      expect(now.digest).not.toBe(anchor.digest);
      expect(await copy.verify(BigInt(anchor.position))).toEqual(anchor);
    } finally {
      await copy.close();
    }
  });

  it('events appended while the stream heads are read are not taken for a cut stream', async () => {
    const copy = await copyOf(e);
    try {
      const before = await copy.verify();
      const stream = (copy.db.prepare("SELECT stream_name AS s FROM streams WHERE stream_name LIKE 'ticket-%' LIMIT 1").get() as { s: string }).s;
      const event = (id: string) => ({ id, type: 'Noted', data: {}, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } });
      // Between the walk through the events and the check of the heads, one stream grows and a
      // new one begins, as a request on this server or another process may do at any moment.
      const appendingMeanwhile = onReachingHeads(copy.store, async () => {
        await copy.store.appendToStream(stream, [event('late-1')]);
        await copy.store.appendToStream('late-stream', [event('late-2')]);
      });
      expect(await verifyAudit(appendingMeanwhile)).toEqual(before);
      expect(await copy.verify()).toMatchObject({ ok: true, events: before.events + 2 });
    } finally {
      await copy.close();
    }
  });

  describe('detects tampering', () => {
    let copy: SqliteEventStoreFile;
    beforeEach(async () => {
      copy = await copyOf(e);
    });
    afterEach(async () => copy.close());

    const aTicketStream = (db: Database.Database) =>
      (db.prepare("SELECT stream_name AS s FROM streams WHERE stream_name LIKE 'ticket-%' AND revision >= 3 LIMIT 1").get() as { s: string }).s;

    it('an edited event', async () => {
      const stream = aTicketStream(copy.db);
      copy.db.prepare("UPDATE events SET data = json_set(data, '$.forged', 1) WHERE stream_name = ? AND revision = 1").run(stream);
      expect(await copy.verify()).toEqual(expect.objectContaining({ ok: false, firstBroken: { stream, revision: '1' } }));
    });

    it('an edited actor', async () => {
      const stream = aTicketStream(copy.db);
      copy.db.prepare("UPDATE events SET metadata = json_set(metadata, '$.actor.id', 'someone-else') WHERE stream_name = ? AND revision = 2").run(stream);
      expect((await copy.verify()).firstBroken).toEqual({ stream, revision: '2' });
    });

    it('a removed event', async () => {
      const stream = aTicketStream(copy.db);
      copy.db.prepare('DELETE FROM events WHERE stream_name = ? AND revision = 1').run(stream);
      expect((await copy.verify()).firstBroken).toEqual({ stream, revision: '1' });
    });

    it("a removed last event", async () => {
      const anchor = await copy.verify();
      const stream = aTicketStream(copy.db);
      const { last } = copy.db.prepare('SELECT MAX(revision) AS last FROM events WHERE stream_name = ?').get(stream) as { last: number };
      copy.db.prepare('DELETE FROM events WHERE stream_name = ? AND revision = ?').run(stream, last);
      expect((await copy.verify()).firstBroken).toEqual({ stream, revision: String(last) });
      // Checked through a position recorded before, the heads (where streams end now) are not
      // looked at: every chain holds there, and the digest shows the change.
      const then = await copy.verify(BigInt(anchor.position));
      expect([then.ok, then.digest === anchor.digest]).toEqual([true, false]);
    });

    it('the last event edited and its own hash made to match, its stream head left as it was', async () => {
      const stream = aTicketStream(copy.db);
      const [last] = await copy.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      copy.db.prepare("UPDATE events SET data = json_set(data, '$.forged', 1) WHERE position = ?").run(last!.position);
      const [edited] = await copy.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      const metadata = { ...edited!.metadata, hash: eventHash(edited!.metadata.prevHash!, edited!) };
      copy.db.prepare('UPDATE events SET metadata = ? WHERE position = ?').run(JSON.stringify(metadata), last!.position);
      expect((await copy.verify()).firstBroken).toEqual({ stream, revision: String(last!.revision) });
    });

    it('a last event its stream head does not know of', async () => {
      const stream = aTicketStream(copy.db);
      const [last, before] = await copy.store.readStream(stream, { direction: 'backwards', maxCount: 2 });
      copy.db.prepare('UPDATE streams SET revision = ?, hash = ? WHERE stream_name = ?').run(before!.revision, before!.metadata.hash, stream);
      expect((await copy.verify()).firstBroken).toEqual({ stream, revision: String(last!.revision) });
    });

    it('reordered events', async () => {
      const stream = aTicketStream(copy.db);
      const rows = copy.db.prepare('SELECT position FROM events WHERE stream_name = ? AND revision IN (1, 2) ORDER BY revision').all(stream) as Array<{ position: number }>;
      // Swap the two events' places in the log (and their revisions with them).
      copy.db.transaction(() => {
        const [a, b] = rows.map((r) => r.position);
        copy.db.prepare('UPDATE events SET position = -1 WHERE position = ?').run(a);
        copy.db.prepare('UPDATE events SET position = ?, revision = -2 WHERE position = ?').run(a, b);
        copy.db.prepare('UPDATE events SET position = ?, revision = 2 WHERE position = -1').run(b);
        copy.db.prepare('UPDATE events SET revision = 1 WHERE position = ?').run(a);
      })();
      expect((await copy.verify()).firstBroken).toEqual({ stream, revision: '1' });
    });

    it('any one event of any stream edited, retyped, relinked or removed, anywhere in the log', async () => {
      const events = copy.db.prepare('SELECT position, stream_name AS stream, revision FROM events ORDER BY position').all() as Array<{ position: number; stream: string; revision: number }>;
      const tampers = {
        data: "UPDATE events SET data = json_set(data, '$.forged', 1) WHERE position = ?",
        time: "UPDATE events SET metadata = json_set(metadata, '$.occurredAt', '2000-01-01T00:00:00.000Z') WHERE position = ?",
        type: "UPDATE events SET type = 'Forged' WHERE position = ?",
        link: "UPDATE events SET metadata = json_set(metadata, '$.prevHash', 'forged') WHERE position = ?",
        removal: 'DELETE FROM events WHERE position = ?',
      };
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: events.length - 1 }), fc.constantFrom(...(Object.keys(tampers) as Array<keyof typeof tampers>)), async (index, tamper) => {
          const { position, stream, revision } = events[index]!;
          const tampered = await copyOf(e);
          try {
            tampered.db.prepare(tampers[tamper]).run(position);
            const report = await tampered.verify();
            expect(report.ok).toBe(false);
            // Where it stood: a removed event leaves the next one out of place or, if it was the
            // last, its stream short of the head the store keeps.
            expect(report.firstBroken).toEqual({ stream, revision: String(revision) });
          } finally {
            await tampered.close();
          }
        }),
        { numRuns: 150 },
      );
    });

    // The hash chains live in the file they protect: these changes keep every chain whole, and
    // only a digest recorded elsewhere before them shows them.
    const changedSince = async (anchor: AuditReport) => {
      expect(await copy.verify()).toMatchObject({ ok: true });
      const then = await copy.verify(BigInt(anchor.position));
      expect(then.ok).toBe(true);
      expect(then.digest).not.toBe(anchor.digest);
    };

    it('a stream removed whole, with its head', async () => {
      const anchor = await copy.verify();
      const stream = aTicketStream(copy.db);
      copy.db.prepare('DELETE FROM events WHERE stream_name = ?').run(stream);
      copy.db.prepare('DELETE FROM streams WHERE stream_name = ?').run(stream);
      await changedSince(anchor);
    });

    it('an event edited and its chain recomputed to match', async () => {
      const anchor = await copy.verify();
      const stream = aTicketStream(copy.db);
      copy.db.prepare("UPDATE events SET data = json_set(data, '$.forged', 1) WHERE stream_name = ? AND revision = 1").run(stream);
      let prevHash = '';
      for (const event of await copy.store.readStream(stream)) {
        const hash = eventHash(prevHash, event);
        const metadata = JSON.stringify({ ...event.metadata, prevHash, hash });
        copy.db.prepare('UPDATE events SET metadata = ? WHERE position = ?').run(metadata, event.position);
        copy.db.prepare('UPDATE streams SET hash = ? WHERE stream_name = ?').run(hash, stream);
        prevHash = hash;
      }
      await changedSince(anchor);
    });
  });
});

interface SqliteEventStoreFile {
  db: Database.Database;
  store: SqliteEventStore;
  verify: (through?: bigint) => ReturnType<typeof verifyAudit>;
  close: () => Promise<void>;
}

/** A copy of the engine's database file, to tamper with. */
async function copyOf(e: Engine): Promise<SqliteEventStoreFile> {
  const file = join(e.dir, `copy-${Math.random().toString(36).slice(2)}.sqlite`);
  await (e.store as SqliteEventStore).database.backup(file);
  const store = new SqliteEventStore(file);
  return { db: store.database, store, verify: (through) => verifyAudit(store, { through }), close: () => store.close() };
}

/** The store, doing `meanwhile` once, as an audit walk turns from the events to the stream heads. */
function onReachingHeads(store: SqliteEventStore, meanwhile: () => Promise<void>): SqliteEventStore {
  let done = false;
  return new Proxy(store, {
    get(target, key) {
      if (key !== 'streamHeads') return Reflect.get(target, key, target);
      return async (page: { after?: string; limit: number }) => {
        if (!done) {
          done = true;
          await meanwhile();
        }
        return target.streamHeads(page);
      };
    },
  });
}

/** A seeded random story: accounts, staff, submissions, questions, replies, notes, decisions. */
async function randomHistory(e: Engine, steps: number): Promise<void> {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const staff = await e.bus.execute(new CreateStaffCommand('Ada', 'agent', e.meta()));
  await e.bus.execute(new CreateStaffCommand('Sam', 'supervisor', e.meta()));
  for (const name of ['ann', 'bob', 'cat']) {
    await e.bus.execute(new UpsertAccountCommand(name, { primaryEmail: `${name}@x.org`, emails: [], packages: [], critical: name === 'cat', frozen: false }, e.meta()));
  }
  const { codes } = await e.bus.execute(new IssueRecoveryCodesCommand('ann', e.meta()));
  await e.bus.execute(new EnrolTotpCommand('bob', e.meta()));
  const tickets: string[] = [];
  const submissions: Array<() => Promise<unknown>> = [];
  for (let i = 0; i < steps; i++) {
    e.clock.advance(random() * 3 * HOUR);
    const ticket = tickets.length ? pick(tickets) : undefined;
    const roll = random();
    try {
      if (!ticket || roll < 0.25) {
        const [username, evidence, meta] = [pick(['ann', 'bob', 'cat', 'dan']), roll < 0.05 ? { recoveryCode: pick(codes!) } : {}, e.meta()];
        tickets.push((await e.submit(username, evidence, meta)).ticketId);
        submissions.push(() => e.submit(username, evidence, meta));
      } else if (roll < 0.28) await pick(submissions)(); // a retry whose first answer was lost: a new requester token
      else if (roll < 0.35) await e.change(ticket, { type: 'AssignTicket', assignee: staff.id, by: agent });
      else if (roll < 0.5) await e.change(ticket, { type: 'RequestInfo', question: `q${i}`, by: agent });
      else if (roll < 0.62) await e.bus.execute(new ReplyToTicketCommand(ticket, { message: `r${i}` }, e.meta()));
      else if (roll < 0.75) await e.change(ticket, { type: 'AddNote', body: `n${i}`, by: agent });
      else if (roll < 0.85) await e.change(ticket, { type: 'VerifyTicket', evidence: ['e'], note: 'v', by: pick([agent, { id: 'sup', role: 'supervisor' as const }]) });
      else if (roll < 0.93) await e.change(ticket, { type: 'RejectTicket', reason: 'insufficient-evidence', note: 'x', by: agent });
      else await e.timers.tick();
    } catch (error) {
      if (!['TransitionNotAllowed', 'RecoveredElsewhere'].includes((error as Error).name)) throw error;
    }
  }
}

describe('a long way through the log leaves the server free to answer between pages', () => {
  let dir: string;
  let store: SqliteEventStore;
  const EVENTS = 1200;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-long-walk-'));
    store = new SqliteEventStore(join(dir, 'events.sqlite'));
    const metadata = { occurredAt: new Date().toISOString(), schemaVersion: 1 };
    for (let s = 0; s < EVENTS / 100; s++) {
      await store.appendToStream(`s-${s}`, Array.from({ length: 100 }, (_, i) => ({ id: `e-${s}-${i}`, type: 'Happened', data: { i }, metadata })));
    }
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** How far `walk` had got when other work, queued as it began, got its turn. */
  const progressAtOtherWork = async (walk: () => Promise<unknown>, progress: () => number) => {
    let seen: number | undefined;
    const walking = walk();
    setImmediate(() => (seen = progress()));
    await walking;
    return seen;
  };

  it('the projection loop catching up', async () => {
    let applied = 0;
    const counter: Projector = { name: 'counter', version: 1, setup: () => undefined, reset: () => undefined, apply: () => void applied++ };
    const runner = new ProjectionRunner(store, store.database, [counter], undefined, 100);
    const caughtUp = async () => {
      runner.start();
      expect(await runner.waitFor(await store.headPosition(), 10_000)).toBe(true);
    };
    try {
      const seen = await progressAtOtherWork(caughtUp, () => applied);
      expect(applied).toBe(EVENTS);
      expect(seen).toBeLessThan(EVENTS);
    } finally {
      await runner.stop();
    }
  });

  it('the audit check', async () => {
    let checked = 0;
    const seen = await progressAtOtherWork(() => verifyAudit(store, { onProgress: (events) => (checked = events) }), () => checked);
    expect(checked).toBe(EVENTS);
    expect(seen).toBeLessThan(EVENTS);
  });
});

describe('audit checks asked for at the same time', () => {
  let dir: string;
  let store: SqliteEventStore;
  const metadata = { occurredAt: new Date().toISOString(), schemaVersion: 1 };
  const happened = (id: string) => ({ id, type: 'Happened', data: {}, metadata });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-audit-shared-'));
    store = new SqliteEventStore(join(dir, 'events.sqlite'));
    for (let s = 0; s < 30; s++) await store.appendToStream(`s-${s}`, Array.from({ length: 100 }, (_, i) => happened(`e-${s}-${i}`)));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('share one walk through the log, and a later one walks again', async () => {
    const handler = new VerifyAuditHandler(store);
    const reads = jest.spyOn(store, 'readAll');
    const alone = await verifyAudit(store);
    const pagesOfOneWalk = reads.mock.calls.length;
    reads.mockClear();
    const together = await Promise.all([handler.execute(new VerifyAuditQuery()), handler.execute(new VerifyAuditQuery()), handler.execute(new VerifyAuditQuery())]);
    expect(together).toEqual([alone, alone, alone]);
    expect(reads).toHaveBeenCalledTimes(pagesOfOneWalk);
    await store.appendToStream('s-0', [happened('after')]);
    expect(await handler.execute(new VerifyAuditQuery())).toMatchObject({ ok: true, events: alone.events + 1 });
  });

  it('a check asked for after the log grew past a walk under way gets a walk of its own', async () => {
    let later: Promise<AuditReport> | undefined;
    // The first walk is through the events and about to read the stream heads: an event is
    // appended, and a second reviewer asks.
    const handler: VerifyAuditHandler = new VerifyAuditHandler(
      onReachingHeads(store, async () => {
        await store.appendToStream('s-1', [happened('meanwhile')]);
        later = handler.execute(new VerifyAuditQuery());
      }),
    );
    const first = await handler.execute(new VerifyAuditQuery());
    expect(first).toMatchObject({ ok: true, events: 3000 });
    expect(await later).toMatchObject({ ok: true, events: 3001, position: String(await store.headPosition()) });
  });

  it('a check up to a position, asked during a walk of the whole log, gets a report up to that position', async () => {
    let partial: Promise<AuditReport> | undefined;
    const handler: VerifyAuditHandler = new VerifyAuditHandler(
      onReachingHeads(store, async () => {
        partial = handler.execute(new VerifyAuditQuery(1000n));
      }),
    );
    expect(await handler.execute(new VerifyAuditQuery())).toMatchObject({ ok: true, events: 3000 });
    expect(await partial).toMatchObject({ ok: true, events: 1000, position: '1000' });
  });
});

/** Runs `test` with an engine of its own, closed however the test ends. */
async function withEngine(test: (e: Engine) => Promise<void>): Promise<void> {
  const e = await engine();
  try {
    await test(e);
  } finally {
    await e.close();
  }
}

/** A bare store on a new file, for a runner of test projectors; closed and removed after `test`. */
async function withBareStore(test: (store: SqliteEventStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-projection-loop-'));
  const store = new SqliteEventStore(join(dir, 'events.sqlite'));
  try {
    await test(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const appendFine = (store: SqliteEventStore, id: string) =>
  store.appendToStream(`s-${id}`, [{ id, type: 'Fine', data: {}, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }]);

describe('the projection loop', () => {
  it('reports a failing page in lastError, retries it, clears the error once it applies, and stops between pages', () =>
    withBareStore(async (store) => {
      let failuresLeft = 1;
      const applied: string[] = [];
      const flaky: Projector = {
        name: 'flaky',
        version: 1,
        setup: () => undefined,
        reset: () => undefined,
        apply: (_db, event) => {
          if (failuresLeft-- > 0) throw new Error('disk I/O error');
          applied.push(event.id);
        },
      };
      const errors: unknown[] = [];
      const runner = new ProjectionRunner(store, store.database, [flaky], (error) => errors.push(error));
      try {
        runner.start();
        await appendFine(store, 'e-1');
        for (let i = 0; i < 100 && !runner.lastError(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(runner.lastError()?.message).toBe('disk I/O error');
        expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
        expect(runner.lastError()).toBeUndefined();
        expect(applied).toEqual(['e-1']);
        expect(errors).toHaveLength(1);
      } finally {
        // Stopped right after a page, while the loop reads the next: it must not go on to wait live.
        await runner.stop();
      }
    }));

  it('stops when asked while it reads a page, instead of going on to wait for live events', () =>
    withBareStore(async (store) => {
      const runner = new ProjectionRunner(store, store.database, []);
      runner.start(); // its first page is being read as stop() comes
      expect(await settlesWithin(runner.stop(), 2000)).toBe(true);
    }));

  it('runs one loop however often it is started, so that one stop stops it', () =>
    withBareStore(async (store) => {
      const applied: string[] = [];
      const counting: Projector = { name: 'counting', version: 1, setup: () => undefined, reset: () => undefined, apply: (_db, event) => void applied.push(event.id) };
      const runner = new ProjectionRunner(store, store.database, [counting]);
      try {
        runner.start();
        runner.start();
        await appendFine(store, 'e-1');
        expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
        await runner.stop();
        await appendFine(store, 'e-2');
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(applied).toEqual(['e-1']);
      } finally {
        await runner.stop();
      }
    }));
});

describe('a page that fails after its views were folded', () => {
  it('is applied again from the stored rows, not from what the failed attempt had folded', () =>
    withEngine(async (e) => {
      const { ticketId } = await e.submit('refolded');
      await e.caughtUp();
      // The view's write fails, as a full disk would make it, after the page has folded the note.
      const db = e.runner.db;
      db.exec("CREATE TRIGGER fail_view_writes BEFORE UPDATE ON ticket_views BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
      await e.change(ticketId, { type: 'AddNote', body: 'once', by: agent });
      for (let i = 0; i < 100 && !e.runner.lastError(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(e.runner.lastError()?.message).toBe('disk I/O error');
      db.exec('DROP TRIGGER fail_view_writes');
      await e.caughtUp();
      expect((await e.queries.execute(new GetTicketQuery(ticketId)))?.notes.map((note: { body: string }) => note.body)).toEqual(['once']);
      await expectSameAfterRebuild(e.runner, ['tickets']);
    }));
});

describe('queue counts on a file from before they were kept', () => {
  it('are counted once from the stored rows when the file is opened, and kept from then on (and so are the submitted tickets of each stretch of the log)', () =>
    withEngine(async (e) => {
      const [a, b] = [await e.submit('a'), await e.submit('b')];
      await e.change(a!.ticketId, { type: 'RejectTicket', reason: 'other', note: 'x', by: agent });
      await e.caughtUp();
      const before = await e.queries.execute(new QueueStatsQuery('nobody'));
      const db = (e.store as SqliteEventStore).database;
      const placeBefore = e.tickets.queuePosition(b!.ticketId);
      db.exec('DROP TABLE ticket_queue_counts; DROP TABLE ticket_submitted_counts');
      new TicketsProjector().setup(db);
      expect(await e.queries.execute(new QueueStatsQuery('nobody'))).toEqual(before);
      expect([placeBefore, e.tickets.queuePosition(b!.ticketId)]).toEqual([1, 1]);
      expect(db.prepare('SELECT stretch, count FROM ticket_submitted_counts').all()).toEqual([{ stretch: 0, count: 1 }]);
      expect(before.filter((stat) => stat.count > 0).map((stat) => [stat.queue, stat.count])).toEqual([['submitted', 1], ['unclaimed', 1], ['rejected', 1]]);
      new TicketsProjector().setup(db); // and setting up again changes nothing
      await e.submit('c');
      await e.caughtUp();
      expect((await e.queries.execute(new QueueStatsQuery('nobody'))).find((stat) => stat.queue === 'submitted')!.count).toBe(2);
    }));
});

describe('first approvers of open tickets', () => {
  it('are found by staff member while the second approval waits, also on a file from before they had a column of their own', () =>
    withEngine(async (e) => {
      await e.bus.execute(new UpsertAccountCommand('vip', { primaryEmail: 'v@x.org', emails: [], packages: [], critical: true, frozen: false }, e.meta()));
      const [waiting, decided, plain] = [await e.submit('vip'), await e.submit('vip'), await e.submit('someone')];
      for (const { ticketId } of [waiting, decided]) await e.change(ticketId, { type: 'VerifyTicket', evidence: ['call'], note: 'ok', by: agent });
      await e.change(decided.ticketId, { type: 'VerifyTicket', evidence: ['call'], note: 'ok', by: { id: 'super-1', role: 'supervisor' } });
      await e.change(plain.ticketId, { type: 'AddNote', body: 'n', by: agent });
      await e.caughtUp();
      expect(e.tickets.approvedFirstBy('agent-1')).toEqual([waiting.ticketId]);
      expect(e.tickets.approvedFirstBy('super-1')).toEqual([]);

      const db = (e.store as SqliteEventStore).database;
      db.exec('DROP INDEX ticket_views_first_approver; ALTER TABLE ticket_views DROP COLUMN first_approver');
      new TicketsProjector().setup(db);
      expect(e.tickets.approvedFirstBy('agent-1')).toEqual([waiting.ticketId]);
      new TicketsProjector().setup(db); // and setting up again changes nothing
      await expectSameAfterRebuild(e.runner, ['tickets']);
      await e.change(waiting.ticketId, { type: 'WithdrawApproval', approver: 'agent-1', because: 'deactivated' });
      await e.caughtUp();
      expect(e.tickets.approvedFirstBy('agent-1')).toEqual([]);
    }));
});

describe('tickets by contact address', () => {
  it('are found without case, also on a file from before the address had a column of its own', () =>
    withEngine(async (e) => {
      const filed = [await e.submit('one', { contactEmail: 'Zoe.\u00C9toile@Example.org' }), await e.submit('two'), await e.submit('three', { contactEmail: 'zoe.\u00E9toile@example.org' })];
      await e.caughtUp();
      const found = () => e.tickets.find({ contactEmail: 'ZOE.\u00C9TOILE@EXAMPLE.ORG' }, { limit: 10 }).items.map((item) => item.ticketId);
      expect(found()).toEqual([filed[0]!.ticketId, filed[2]!.ticketId]);

      const db = (e.store as SqliteEventStore).database;
      db.exec('DROP INDEX ticket_views_contact_email; ALTER TABLE ticket_views DROP COLUMN contact_email');
      new TicketsProjector().setup(db);
      // Lower-cased as JavaScript does: SQLite's lower() would have left the É.
      expect(found()).toEqual([filed[0]!.ticketId, filed[2]!.ticketId]);
      new TicketsProjector().setup(db); // and setting up again changes nothing
      await expectSameAfterRebuild(e.runner, ['tickets']);
    }));
});

/** Every ticket a filter finds, read two to a page, each page checked to hold no more. */
function foundPageByPage(e: Engine, filter: TicketFilter) {
  const found = [];
  let after: number | undefined;
  do {
    const page = e.tickets.find(filter, { limit: 2, after });
    expect(page.items.length).toBeLessThanOrEqual(2);
    found.push(...page.items);
    after = page.next === undefined ? undefined : decodeCursor(page.next);
  } while (after !== undefined);
  return found;
}

describe('tickets by reason', () => {
  it('are found in arrival order whatever state each is in, page after page, as a walk of every ticket finds them', () =>
    withEngine(async (e) => {
      const reasons = ['lost-2fa', 'lost-email', 'lost-2fa', 'lost-2fa', 'forgotten-password', 'lost-2fa', 'lost-2fa', 'lost-email', 'lost-2fa'] as const;
      const filed = [];
      for (const [i, reason] of reasons.entries()) filed.push(await e.submit(`reason${i}`, { reason }));
      // The tickets of the reason in each of the four states, interleaved in arrival order.
      await e.change(filed[0]!.ticketId, { type: 'RejectTicket', reason: 'other', note: 'x', by: agent });
      await e.change(filed[2]!.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
      await e.change(filed[5]!.ticketId, { type: 'VerifyTicket', evidence: ['call'], note: 'ok', by: agent });
      await e.change(filed[6]!.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
      await e.caughtUp();
      const walked = e.tickets.find({}, { limit: 100 }).items.filter((item) => item.reason === 'lost-2fa').map((item) => [item.ticketId, item.state]);
      expect(new Set(walked.map(([, state]) => state))).toEqual(new Set(['rejected', 'awaiting-info', 'submitted', 'verified']));
      expect(foundPageByPage(e, { reason: 'lost-2fa' }).map((item) => [item.ticketId, item.state])).toEqual(walked);
      expect(e.tickets.find({ reason: 'username-change' }, { limit: 2 })).toEqual({ items: [] });
    }));
});

describe('tickets by assignee', () => {
  it("are a staff member's tickets, those they hold and those decided while they held them, in arrival order page after page, with the other filters", () =>
    withEngine(async (e) => {
      const [ada, bo] = [await e.bus.execute(new CreateStaffCommand('Ada', 'agent', e.meta())), await e.bus.execute(new CreateStaffCommand('Bo', 'agent', e.meta()))];
      const tickets: string[] = [];
      for (let i = 0; i < 8; i++) tickets.push((await e.submit(`held${i}`, { reason: i % 2 ? 'lost-2fa' : 'lost-email' })).ticketId);
      for (const i of [0, 1, 2, 4, 5, 7]) await e.change(tickets[i]!, { type: 'AssignTicket', assignee: ada.id, by: agent });
      await e.change(tickets[3]!, { type: 'AssignTicket', assignee: bo.id, by: agent });
      // Ada's decided tickets come between her open ones in arrival order.
      await e.change(tickets[1]!, { type: 'VerifyTicket', evidence: ['document'], note: 'ok', by: { id: ada.id, role: 'agent' } });
      await e.change(tickets[4]!, { type: 'RejectTicket', reason: 'other', note: 'x', by: { id: ada.id, role: 'agent' } });
      await e.caughtUp();
      const walked = e.tickets.find({}, { limit: 100 }).items.filter((item) => item.assignee === ada.id);
      expect(walked.map((item) => item.ticketId)).toEqual([0, 1, 2, 4, 5, 7].map((i) => tickets[i]));
      const paged = (filter: TicketFilter) => foundPageByPage(e, filter).map((item) => item.ticketId);
      expect(paged({ assignee: ada.id })).toEqual(walked.map((item) => item.ticketId));
      expect(paged({ assignee: ada.id, reason: 'lost-2fa' })).toEqual([1, 5, 7].map((i) => tickets[i]));
      expect(paged({ assignee: ada.id, state: 'submitted' })).toEqual([0, 2, 5, 7].map((i) => tickets[i]));
      expect(paged({ assignee: bo.id, username: 'held3' })).toEqual([tickets[3]]);
      expect(paged({ assignee: 'nobody' })).toEqual([]);
    }));
});

describe('staff activity from before accounts and staff were in it', () => {
  it('is built again from the whole log on an old file, and then holds what a staff member did to accounts', async () => {
    const a = await engine();
    let b: Engine | undefined;
    try {
      const integrator = { kind: 'integrator', id: 'feeder-1' } as const;
      await a.bus.execute(new UpsertAccountCommand('fed', { primaryEmail: 'f@x.org', emails: [], packages: [], critical: false, frozen: false }, a.meta(integrator)));
      const { ticketId } = await a.submit('fed');
      await a.change(ticketId, { type: 'AddNote', body: 'n', by: agent });
      await a.caughtUp();
      const activity = async (e: Engine, staffId: string) => (await e.tickets.activity(staffId, { limit: 50 })).events.map(({ about, type }) => ({ about, type }));
      expect(await activity(a, 'feeder-1')).toEqual([{ about: { kind: 'account', id: 'fed' }, type: 'AccountRegistered' }]);
      // The file as version 1 left it: ticket events only.
      const db = a.runner.db;
      db.prepare("DELETE FROM staff_activity WHERE staff_id = 'feeder-1'").run();
      db.prepare("UPDATE projection_checkpoints SET version = 1 WHERE name = 'staff-activity'").run();
      await a.close(true);

      b = await engine({ dataDir: a.dir });
      await b.caughtUp();
      expect(await activity(b, 'feeder-1')).toEqual([{ about: { kind: 'account', id: 'fed' }, type: 'AccountRegistered' }]);
      expect(await activity(b, 'agent-1')).toEqual([{ about: { kind: 'ticket', id: ticketId }, type: 'NoteAdded' }]);
    } finally {
      await (b ?? a).close();
    }
  });
});

describe("tickets from before the requester's revision", () => {
  it('are built again from the whole log on an old file, and then count for the requester only what they see', async () => {
    const a = await engine();
    let b: Engine | undefined;
    try {
      const { ticketId } = await a.submit('zoe');
      await a.change(ticketId, { type: 'AddNote', body: 'n', by: agent });
      await a.caughtUp();
      expect(a.runner.builtAgain).toEqual([]);
      // The file as version 1 left it: views without the requester's revision.
      const db = a.runner.db;
      db.prepare("UPDATE ticket_views SET view = json_remove(view, '$.requesterRevision', '$.requesterUpdatedAt', '$.lifecycle.requesterRevision')").run();
      db.prepare("UPDATE projection_checkpoints SET version = 1 WHERE name = 'tickets'").run();
      await a.close(true);

      b = await engine({ dataDir: a.dir });
      expect(b.runner.builtAgain).toEqual(['tickets']);
      await b.caughtUp();
      const view = b.tickets.view(ticketId)!;
      expect([view.revision, view.requesterRevision, view.requesterUpdatedAt]).toEqual(['1', '0', view.submittedAt]);
    } finally {
      await (b ?? a).close();
    }
  });
});

describe('staff read model from before deactivation', () => {
  it('gains the deactivation column on an old file, every member active, without a replay', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE staff (
      staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)`);
    db.prepare("INSERT INTO staff VALUES ('s1', 'Ada', 'agent', 'h1', '2026-01-01T00:00:00.000Z')").run();
    new StaffProjector().setup(db);
    // The revision column too, filled by the replay its version asks for (version 2), where a deactivation needs none.
    expect(listStaff(db)).toEqual([{ id: 's1', name: 'Ada', role: 'agent', active: true, createdAt: '2026-01-01T00:00:00.000Z', revision: '0' }]);
    new StaffProjector().setup(db); // and setting up again changes nothing
    expect(listStaff(db)).toHaveLength(1);
    db.close();
  });
});

describe('read models kept apart from the log (as with EventStoreDB, in a file of their own)', () => {
  it('are refused when the log is another one, or one restored to before what they applied, and taken from their own log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-other-log-'));
    const log = new SqliteEventStore(join(dir, 'log.sqlite'));
    const other = new SqliteEventStore(join(dir, 'other.sqlite'));
    const file = join(dir, 'read-models.sqlite');
    const counting: Projector = { name: 'counting', version: 1, setup: () => undefined, reset: () => undefined, apply: () => undefined };
    const runnerOn = (store: SqliteEventStore) => {
      const db = new Database(file);
      return { runner: new ProjectionRunner(store, db, [counting]), db };
    };
    try {
      for (let i = 1; i <= 3; i++) await appendFine(log, `ours-${i}`);
      const built = runnerOn(log);
      await built.runner.checkLog(file); // nothing applied yet: no log to tell
      await built.runner.catchUp();
      expect(built.runner.position()).toBe(3n);
      await built.runner.checkLog(file);
      built.db.close();

      // Another log, shorter than what was applied: no event there.
      await appendFine(other, 'theirs-1');
      const shorter = runnerOn(other);
      await expect(shorter.runner.checkLog(file)).rejects.toThrow(`The read models in ${file} were built from another log than this store's: it has no event at position 3, where they applied event ours-3.`);
      shorter.db.close();
      // As long: another event there.
      for (let i = 2; i <= 3; i++) await appendFine(other, `theirs-${i}`);
      const asLong = runnerOn(other);
      await expect(asLong.runner.checkLog(file)).rejects.toThrow('it has another event at position 3, where they applied event ours-3');
      asLong.db.close();

      // Their own log, grown since: taken, and the mark follows the pages applied.
      await appendFine(log, 'ours-4');
      const again = runnerOn(log);
      await again.runner.checkLog(file);
      await again.runner.catchUp();
      expect(again.db.prepare('SELECT position, event_id AS eventId FROM projection_last_event').get()).toEqual({ position: 4, eventId: 'ours-4' });
      again.db.close();
    } finally {
      await log.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
