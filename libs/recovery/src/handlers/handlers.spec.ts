import bcrypt from 'bcrypt';
import { createHash, randomUUID } from 'node:crypto';
import { generateSync } from 'otplib';
import { EventStoreDbEventStore, WrongExpectedRevision } from '@reclaim/event-store';
import { standInEventStoreDb } from '@reclaim/event-store/testing';
import { MAX_FOLLOW_UPS } from '@reclaim/state-machines';
import { toNewEvents, type CommandMeta } from '../shared/decided-event';
import { AlreadyAssigned, LastAdmin, NotFound, RecoveredElsewhere, StaleRevision, TooManyAttempts, TransitionNotAllowed } from '../shared/errors';
import { CLAIM_LAPSES_AFTER_MS } from '../requester/recovery-claim';
import { StreamRunner } from '../shared/stream-runner';
import { EnrolTotpHandler } from './account.handlers';
import { streams } from '../shared/streams';
import { codeStandsIn } from '../testing/code-in-text';
import { recoveryHarness, type RecoveryHarness } from '../testing/recovery-harness';
import {
  ChangeTicketCommand,
  ChangeStaffRoleCommand,
  ClaimNextTicketCommand,
  CreateStaffCommand,
  DeactivateStaffCommand,
  EnrolTotpCommand,
  ImportTotpSecretCommand,
  IssueRecoveryCodesCommand,
  RejectOpenTicketsCommand,
  RemoveAccountCommand,
  ReplyToTicketCommand,
  SubmitTicketCommand,
  UpsertAccountCommand,
  type TicketChange,
} from './commands';

const admin = { kind: 'staff', id: 'admin' } as const;
const agent = { id: 'agent-1', role: 'agent' } as const;
const profile = (overrides = {}) => ({ primaryEmail: 'zoe@example.org', emails: ['zoe@example.org'], packages: [], critical: false, frozen: false, ...overrides });

describe('command handlers on the SQLite store', () => {
  let h: RecoveryHarness;
  beforeEach(async () => {
    h = await recoveryHarness();
  });
  afterEach(async () => h.close());

  const request = (username: string, evidence: { recoveryCode?: string; totpCode?: string } = {}) => ({
    username,
    contactEmail: 'me@example.org',
    previousEmails: [],
    reason: 'lost-email' as const,
    explanation: 'I lost my phone',
    packages: [],
    ...evidence,
  });
  const submit = (username: string, evidence = {}) => h.bus.execute(new SubmitTicketCommand(request(username, evidence), h.meta()));
  /** The ticket an earlier open one of the same username links this one to, as its submission recorded it. */
  const duplicateOf = async (ticketId: string) => ((await h.store.readStream(streams.ticket(ticketId)))[0]!.data as { duplicateOf?: string }).duplicateOf;
  const account = async (username: string, overrides = {}) => {
    await h.bus.execute(new UpsertAccountCommand(username, profile(overrides), h.meta(admin)));
    const { codes } = await h.bus.execute(new IssueRecoveryCodesCommand(username, h.meta(admin)));
    return codes!;
  };
  const types = async (ticketId: string) => (await h.store.readStream(streams.ticket(ticketId))).map((e) => e.type);
  /** How the first code presented on a ticket was judged, as its evidence records it. */
  const evidenceOf = async (ticketId: string) => (await h.store.readStream(streams.ticket(ticketId))).find((e) => e.type === 'EvidenceRecorded')!.data as { kind: string; outcome: string };
  /** The events of one type on an account's stream. */
  const accountEvents = async (username: string, type: string) => (await h.store.readStream(streams.account(username))).filter((e) => e.type === type);
  /** Runs `command` with `meanwhile` done inside its first bcrypt comparison: a write that lands while a code is checked. */
  const whileCodeIsChecked = async <T>(meanwhile: () => Promise<unknown>, command: () => Promise<T>): Promise<T> => {
    const compare = bcrypt.compare.bind(bcrypt) as (code: string, hash: string) => Promise<boolean>;
    let done = false;
    const spy = jest.spyOn(bcrypt, 'compare').mockImplementation((async (code: string, hash: string) => {
      if (!done) {
        done = true;
        await meanwhile();
      }
      return compare(code, hash);
    }) as never);
    try {
      return await command();
    } finally {
      spy.mockRestore();
    }
  };
  const allEventsText = async () => JSON.stringify((await h.store.readAll()).map((e) => ({ d: e.data, m: e.metadata })));

  it('answers a submission the same way whether or not the username exists', async () => {
    await account('zoe');
    const known = await submit('zoe');
    const unknown = await submit('nobody');
    for (const answer of [known, unknown]) {
      expect(Object.keys(answer).sort()).toEqual(['accessToken', 'position', 'revision', 'state', 'ticketId', 'ticketNumber']);
      expect(answer.state).toBe('submitted');
      expect(answer.accessToken).toMatch(/^rqt_/);
    }
    expect([known.ticketNumber, unknown.ticketNumber]).toEqual([1, 2]);
    // What the answer does not tell, the ticket records for staff.
    const accountKnown = async (ticketId: string) => ((await h.store.readStream(streams.ticket(ticketId)))[0]!.data as { accountKnown: boolean }).accountKnown;
    expect([await accountKnown(known.ticketId), await accountKnown(unknown.ticketId)]).toEqual([true, false]);
  });

  it('refuses a reply whose If-Match went stale while its code was checked (a question came meanwhile that the requester has not seen)', async () => {
    const codes = await account('zoe');
    const ticket = await submit('zoe');
    const ask = () => h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent }, h.meta()));
    const reply = new ReplyToTicketCommand(ticket.ticketId, { message: 'my code', recoveryCode: codes[0] }, h.meta(), 0n);
    await expect(whileCodeIsChecked(ask, () => h.bus.execute(reply))).rejects.toBeInstanceOf(StaleRevision);
    expect(await types(ticket.ticketId)).toEqual(['TicketSubmitted', 'InfoRequested']);
  });

  it('a valid recovery code verifies the ticket and is burned; the same code never works again', async () => {
    const codes = await account('zoe');
    const first = await submit('zoe', { recoveryCode: codes[3] });
    expect(first.state).toBe('verified');
    expect(await types(first.ticketId)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'TicketVerified']);
    const again = await submit('zoe', { recoveryCode: codes[3] });
    expect(again.state).toBe('submitted');
    expect(await evidenceOf(again.ticketId)).toMatchObject({ kind: 'recovery-code', outcome: 'already-used' });
  });

  it('refuses a follow-up past those that may wait for staff before its code is checked; a question lets the requester write again', async () => {
    const codes = await account('zoe');
    const ticket = await submit('zoe');
    const followUp = () => new ReplyToTicketCommand(ticket.ticketId, { message: 'any news?' }, h.meta());
    for (let i = 1; i < MAX_FOLLOW_UPS; i++) await h.bus.execute(followUp());
    const last = followUp();
    const taken = await h.bus.execute(last);
    const withCode = new ReplyToTicketCommand(ticket.ticketId, { message: 'my code', recoveryCode: codes[0] }, h.meta());
    const written = (await h.store.readAll()).length;
    await expect(h.bus.execute(withCode)).rejects.toThrow(`ReplyToTicket is not allowed while the ticket is submitted: ${MAX_FOLLOW_UPS} follow-ups or refused codes already wait for staff`);
    expect((await h.store.readAll()).length).toBe(written);
    // A retry of the last follow-up taken (its answer lost) is answered as the repeat it is.
    await expect(h.bus.execute(last)).resolves.toEqual(taken);
    await h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent }, h.meta()));
    // The refused reply burned nothing: the code verifies the ticket with the answer.
    await expect(h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'my code', recoveryCode: codes[0] }, h.meta()))).resolves.toMatchObject({ state: 'verified' });
  });

  it('answers a retry of a reply that verified the ticket (its answer lost) as the repeat it is, not as a reply to a closed ticket', async () => {
    const codes = await account('zoe');
    const ticket = await submit('zoe');
    const withCode = new ReplyToTicketCommand(ticket.ticketId, { message: 'my code', recoveryCode: codes[0] }, h.meta(), 0n);
    const first = await h.bus.execute(withCode);
    expect(first.state).toBe('verified');
    await expect(h.bus.execute(withCode)).resolves.toEqual(first);
  });

  it('checks each code attempt with at most one bcrypt comparison, whatever its outcome', async () => {
    const codes = await account('zoe');
    // A wrong code that shares its lookup tag with a real one: the worst case for a check.
    const tagOf = (code: string) => createHash('sha256').update(code).digest('hex').slice(0, 4);
    let lookalike = 0;
    while (tagOf(lookalike.toString(16).padStart(16, '0')) !== tagOf(codes[4]!)) lookalike++;
    const compare = jest.spyOn(bcrypt, 'compare');
    try {
      for (const code of [codes[1], 'ffffffffffffffff', lookalike.toString(16).padStart(16, '0'), codes[1], codes[7]]) {
        compare.mockClear();
        await submit('zoe', { recoveryCode: code });
        expect(compare.mock.calls.length).toBeLessThanOrEqual(1);
      }
    } finally {
      compare.mockRestore();
    }
  });

  it('burns a code once when two tickets present it at the same moment', async () => {
    const codes = await account('zoe');
    const results = await Promise.all([submit('zoe', { recoveryCode: codes[0] }), submit('zoe', { recoveryCode: codes[0] })]);
    expect(results.map((r) => r.state).sort()).toEqual(['submitted', 'verified']);
    expect(await accountEvents('zoe', 'RecoveryCodeUsed')).toHaveLength(1);
    // The ticket that lost the race says the code was the account's but used, not that it was wrong.
    const loser = results.find((r) => r.state === 'submitted')!;
    expect(await evidenceOf(loser.ticketId)).toMatchObject({ kind: 'recovery-code', outcome: 'already-used' });
  });

  it('a submission retried after its code was burned but before its ticket was written still counts the code as its own', async () => {
    const codes = await account('zoe');
    const meta = h.meta();
    const append = h.store.appendToStream.bind(h.store);
    const cut = jest.spyOn(h.store, 'appendToStream').mockImplementation((stream, ...rest) => {
      if (stream.startsWith('ticket-') && stream !== streams.ticketNumbers) throw new Error('power cut');
      return append(stream, ...rest);
    });
    await expect(h.bus.execute(new SubmitTicketCommand(request('zoe', { recoveryCode: codes[2] }), meta))).rejects.toThrow('power cut');
    cut.mockRestore();
    expect(await accountEvents('zoe', 'RecoveryCodeUsed')).toHaveLength(1);
    const retried = await h.bus.execute(new SubmitTicketCommand(request('zoe', { recoveryCode: codes[2] }), meta));
    expect(retried.state).toBe('verified');
    expect(await types(retried.ticketId)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'TicketVerified']);
  });

  it('does not take a code of a set that was replaced while the code was being checked, nor burn the new set\'s code of the same number', async () => {
    const codes = await account('zoe');
    // New sets number their codes c1 to c8 again: the old c1 must not stand for the new one.
    let newCodes: string[] = [];
    const issueNewSet = async () => (newCodes = (await h.bus.execute(new IssueRecoveryCodesCommand('zoe', h.meta(admin)))).codes!);
    const ticket = await whileCodeIsChecked(issueNewSet, () => submit('zoe', { recoveryCode: codes[0] }));
    expect(ticket.state).toBe('submitted');
    expect(await evidenceOf(ticket.ticketId)).toMatchObject({ kind: 'recovery-code', outcome: 'rejected' });
    expect(await accountEvents('zoe', 'RecoveryCodeUsed')).toEqual([]);
    expect((await submit('zoe', { recoveryCode: newCodes[0] })).state).toBe('verified');
  });

  it('does not take a TOTP code checked against a secret that a new enrolment replaced before the code was recorded', async () => {
    await account('zoe');
    const { secret } = await h.bus.execute(new EnrolTotpCommand('zoe', h.meta(admin)));
    const code = generateSync({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    // The new enrolment lands just before the accepted step is appended, from another process
    // (a runner of its own: this one's commands on the account's stream wait for the one under way).
    const otherProcess = new EnrolTotpHandler(new StreamRunner(h.store, h.clock), h.secrets);
    const append = h.store.appendToStream.bind(h.store);
    let reenrolled = false;
    const spy = jest.spyOn(h.store, 'appendToStream').mockImplementation(async (stream, events, options) => {
      if (!reenrolled && events.some((event) => event.type === 'TotpStepAccepted')) {
        reenrolled = true;
        await otherProcess.execute(new EnrolTotpCommand('zoe', h.meta(admin)));
      }
      return append(stream, events, options);
    });
    let ticket;
    try {
      ticket = await submit('zoe', { totpCode: code });
    } finally {
      spy.mockRestore();
    }
    expect(reenrolled).toBe(true);
    expect(await evidenceOf(ticket.ticketId)).toMatchObject({ kind: 'totp', outcome: 'rejected' });
    expect(await accountEvents('zoe', 'TotpStepAccepted')).toEqual([]);
  });

  it('a valid code on a critical account only raises priority', async () => {
    const codes = await account('vip', { critical: true });
    const result = await submit('vip', { recoveryCode: codes[1] });
    expect(result.state).toBe('submitted');
    expect(await types(result.ticketId)).toEqual(['TicketSubmitted', 'EvidenceRecorded', 'TicketPrioritised']);
  });

  it('records a TOTP code as evidence and refuses its replay', async () => {
    await account('zoe');
    const { secret } = await h.bus.execute(new EnrolTotpCommand('zoe', h.meta(admin)));
    const code = generateSync({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    const first = await submit('zoe', { totpCode: code });
    expect(first.state).toBe('submitted');
    const second = await submit('zoe', { totpCode: code });
    expect(await evidenceOf(first.ticketId)).toMatchObject({ kind: 'totp', outcome: 'accepted' });
    expect(await evidenceOf(second.ticketId)).toMatchObject({ kind: 'totp', outcome: 'replayed' });
  });

  it('checks TOTP codes against a secret the platform imported, kept sealed, as against one made here', async () => {
    await account('zoe');
    const secret = 'RQQWJWK5D6XNNB3GTZQ7OCV2TGN7NKUI';
    await h.bus.execute(new ImportTotpSecretCommand('zoe', secret, h.meta(admin)));
    const ticket = await submit('zoe', { totpCode: generateSync({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) }) });
    expect(await evidenceOf(ticket.ticketId)).toMatchObject({ kind: 'totp', outcome: 'accepted' });
    const [enrolled] = await accountEvents('zoe', 'TotpEnrolled');
    expect(enrolled!.data).toEqual({ sealedSecret: expect.any(String), source: 'imported' });
    expect(JSON.stringify((await h.store.readStream(streams.account('zoe'))).map(({ data }) => data))).not.toContain(secret);
  });

  it('accepts a TOTP code once when replies to two tickets present it at the same moment, and the other says it was replayed', async () => {
    await account('zoe');
    const { secret } = await h.bus.execute(new EnrolTotpCommand('zoe', h.meta(admin)));
    const code = generateSync({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    // Replies to two tickets: submissions for one username take turns as they are filed.
    const tickets = [await submit('zoe'), await submit('zoe')];
    await Promise.all(tickets.map((t) => h.bus.execute(new ReplyToTicketCommand(t.ticketId, { message: 'my code', totpCode: code }, h.meta()))));
    const outcomes = await Promise.all(tickets.map(async (t) => (await evidenceOf(t.ticketId)).outcome));
    expect(outcomes.sort()).toEqual(['accepted', 'replayed']);
    expect(await accountEvents('zoe', 'TotpStepAccepted')).toHaveLength(1);
  });

  it('limits failed attempts per username: a sixth wrong code in five minutes is refused and stores no ticket', async () => {
    await account('zoe');
    for (let i = 0; i < 5; i++) await submit('zoe', { recoveryCode: '0000000000000000' });
    const ticketsBefore = (await h.store.readAll({ filter: { streamPrefixes: ['ticket-'] } })).length;
    await expect(submit('zoe', { recoveryCode: '0000000000000000' })).rejects.toBeInstanceOf(TooManyAttempts);
    expect((await h.store.readAll({ filter: { streamPrefixes: ['ticket-'] } })).length).toBe(ticketsBefore);
    // The same for a username with no account: the limit says nothing about existence.
    for (let i = 0; i < 5; i++) await submit('ghost', { recoveryCode: '0000000000000000' });
    await expect(submit('ghost', { recoveryCode: '0000000000000000' })).rejects.toBeInstanceOf(TooManyAttempts);
    h.clock.advance(5 * 60_000);
    await expect(submit('zoe', { recoveryCode: '0000000000000000' })).resolves.toMatchObject({ state: 'submitted' });
  });

  it('limits failed attempts per username also when many arrive at once: no more codes are checked than the limit allows', async () => {
    await account('zoe');
    const { secret } = await h.bus.execute(new EnrolTotpCommand('zoe', h.meta(admin)));
    const good = generateSync({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    const wrong = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');
    // Thirty guesses sent together: each used to pass the limit before any failure was recorded.
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => submit('zoe', i % 2 ? { totpCode: wrong } : { recoveryCode: '0000000000000000' })));
    const failures = (await h.store.readStream(streams.requests('zoe'))).filter((e) => e.type === 'CodeAttemptFailed');
    expect(failures).toHaveLength(5);
    expect(outcomes.filter(({ status }) => status === 'fulfilled')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof TooManyAttempts)).toHaveLength(25);
    // Those refused stored no ticket.
    expect((await h.store.readAll({ filter: { streamPrefixes: ['ticket-'] } })).filter((e) => e.type === 'TicketSubmitted')).toHaveLength(5);
  });

  it('counts only failed code attempts against a username, and never holds back a request without a code', async () => {
    const codes = await account('zoe');
    for (let i = 0; i < 4; i++) await submit('zoe', { recoveryCode: '0000000000000000' });
    // A good code is not a failure: after it, a fifth failure is still allowed.
    await expect(submit('zoe', { recoveryCode: codes[0] })).resolves.toMatchObject({ state: 'verified' });
    const ticket = await submit('zoe', { recoveryCode: '0000000000000000' });
    await expect(submit('zoe', { recoveryCode: '0000000000000000' })).rejects.toBeInstanceOf(TooManyAttempts);
    // Over the limit, the requester can still file and write without a code.
    await expect(submit('zoe')).resolves.toMatchObject({ state: 'submitted' });
    await expect(h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'no code' }, h.meta()))).resolves.toMatchObject({ state: 'submitted' });
  });

  it('counts a used recovery code, a replayed TOTP code and a TOTP code for an account without one as failed attempts', async () => {
    const codes = await account('zoe');
    await expect(submit('zoe', { recoveryCode: codes[0] })).resolves.toMatchObject({ state: 'verified' });
    for (let i = 0; i < 5; i++) await submit('zoe', { recoveryCode: codes[0] });
    await expect(submit('zoe', { recoveryCode: codes[1] })).rejects.toBeInstanceOf(TooManyAttempts);

    await account('amy');
    const { secret } = await h.bus.execute(new EnrolTotpCommand('amy', h.meta(admin)));
    const code = generateSync({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    for (let i = 0; i < 6; i++) await submit('amy', { totpCode: code });
    await expect(submit('amy', { totpCode: code })).rejects.toBeInstanceOf(TooManyAttempts);

    await account('bea');
    for (let i = 0; i < 5; i++) await submit('bea', { totpCode: '123456' });
    await expect(submit('bea', { totpCode: '123456' })).rejects.toBeInstanceOf(TooManyAttempts);
    const outcomes = (await h.store.readStream(streams.requests('bea'))).filter((e) => e.type === 'CodeAttemptFailed').map((e) => (e.data as { outcome: string }).outcome);
    expect(outcomes).toEqual(Array(5).fill('not-enrolled'));
  });

  it('records a rate-limited reply attempt on the ticket and answers 429', async () => {
    await account('zoe');
    const ticket = await submit('zoe');
    for (let i = 0; i < 5; i++) await h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'try', recoveryCode: 'ffffffffffffffff' }, h.meta()));
    await expect(
      h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'again', recoveryCode: 'ffffffffffffffff' }, h.meta())),
    ).rejects.toBeInstanceOf(TooManyAttempts);
    const last = (await h.store.readStream(streams.ticket(ticket.ticketId), { direction: 'backwards', maxCount: 1 }))[0]!;
    expect(last.data).toEqual({ kind: 'recovery-code', outcome: 'rate-limited', via: 'reply' });
  });

  it('counts codes refused over the limit with the follow-ups that wait for staff, so they too cannot grow a ticket without end', async () => {
    await account('zoe');
    const ticket = await submit('zoe');
    const reply = (recoveryCode?: string) => h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'try', recoveryCode }, h.meta()));
    const recorded = async () => (await types(ticket.ticketId)).length;
    // Five wrong codes (five follow-ups) reach the username's limit; five more are refused unchecked, each recorded.
    for (let i = 0; i < 5; i++) await reply('ffffffffffffffff');
    for (let i = 0; i < 5; i++) await expect(reply('ffffffffffffffff')).rejects.toBeInstanceOf(TooManyAttempts);
    const waiting = await recorded();
    await expect(reply()).rejects.toThrow(`${MAX_FOLLOW_UPS} follow-ups or refused codes already wait for staff`);
    await expect(reply('ffffffffffffffff')).rejects.toBeInstanceOf(TransitionNotAllowed);
    expect(await recorded()).toBe(waiting);
    // While a question waits, its answer is always taken; a code over the limit is refused, and recorded only up to the bound.
    await h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent }, h.meta()));
    for (let i = 0; i < MAX_FOLLOW_UPS + 2; i++) await expect(reply('ffffffffffffffff')).rejects.toBeInstanceOf(TooManyAttempts);
    const overLimit = (await h.store.readStream(streams.ticket(ticket.ticketId))).filter((e) => (e.data as { outcome?: string }).outcome === 'rate-limited');
    expect(overLimit).toHaveLength(5 + MAX_FOLLOW_UPS);
    await expect(reply()).resolves.toMatchObject({ state: 'submitted' });
  });

  it('links a second open ticket for a username to the first', async () => {
    const first = await submit('zoe');
    const second = await submit('zoe');
    const third = await submit('zoe');
    expect(await duplicateOf(first.ticketId)).toBeUndefined();
    expect(await duplicateOf(second.ticketId)).toBe(first.ticketId);
    expect(await duplicateOf(third.ticketId)).toBe(first.ticketId);
    await h.bus.execute(new ChangeTicketCommand(first.ticketId, { type: 'RejectTicket', reason: 'other', note: '', by: agent }, h.meta()));
    const fourth = await submit('zoe');
    expect(await duplicateOf(fourth.ticketId)).toBe(second.ticketId);
  });

  it('files many requests for one username sent at once, each once, where they used to refuse one another (409) past ten tries', async () => {
    const filed = await Promise.all(Array.from({ length: 40 }, () => submit('burst')));
    expect(new Set(filed.map(({ ticketNumber }) => ticketNumber)).size).toBe(40);
    const [first, ...others] = [...filed].sort((a, b) => a.ticketNumber - b.ticketNumber);
    // The username's requests stream files them one after another: each later one links to the first open one.
    const requests = await h.store.readStream(streams.requests('burst'));
    expect(requests.filter((event) => event.type === 'TicketFiled')).toHaveLength(40);
    const firstFiled = (requests[0]!.data as { ticketId: string }).ticketId;
    for (const { ticketId } of [first!, ...others]) expect(await duplicateOf(ticketId)).toBe(ticketId === firstFiled ? undefined : firstFiled);
  });

  it('links past many closed tickets of a username, reading each closed one once: a flood of requests for one account does not slow every later one', async () => {
    const closed: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { ticketId } = await submit('celebrity');
      await h.bus.execute(new ChangeTicketCommand(ticketId, { type: 'RejectTicket', reason: 'other', note: 'flood', by: agent }, h.meta()));
      closed.push(ticketId);
    }
    const runner = h.moduleRef.get(StreamRunner);
    const ticketsRead = jest.spyOn(runner, 'load');
    const readDuring = async (submission: Promise<{ ticketId: string }>) => {
      ticketsRead.mockClear();
      const { ticketId } = await submission;
      return { ticketId, read: ticketsRead.mock.calls.filter(([stream]) => closed.includes(String(stream).slice('ticket-'.length))).length };
    };
    const open = await readDuring(submit('celebrity'));
    expect(await duplicateOf(open.ticketId)).toBeUndefined();
    // The next ones find the open one without reading the closed ones again.
    for (let i = 0; i < 3; i++) {
      const later = await readDuring(submit('celebrity'));
      expect([await duplicateOf(later.ticketId), later.read]).toEqual([open.ticketId, 0]);
    }
    // Closed in turn: the next open one is found after it.
    await h.bus.execute(new ChangeTicketCommand(open.ticketId, { type: 'RejectTicket', reason: 'other', note: 'flood', by: agent }, h.meta()));
    const [next] = (await h.store.readStream(streams.requests('celebrity'))).filter((e) => e.type === 'TicketFiled').map((e) => (e.data as { ticketId: string }).ticketId).slice(41, 42);
    expect(await duplicateOf((await submit('celebrity')).ticketId)).toBe(next);
    ticketsRead.mockRestore();
  });

  it('links a new ticket to an open one that waits for its requester, and not to a decided one', async () => {
    const first = await submit('zoe');
    await h.bus.execute(new ChangeTicketCommand(first.ticketId, { type: 'VerifyTicket', evidence: ['id'], note: '', by: agent }, h.meta()));
    const waiting = await submit('zoe');
    await h.bus.execute(new ChangeTicketCommand(waiting.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent }, h.meta()));
    const later = await submit('zoe');
    expect(await duplicateOf(waiting.ticketId)).toBeUndefined();
    expect(await duplicateOf(later.ticketId)).toBe(waiting.ticketId);
  });

  describe('one recovery of a username at a time', () => {
    const verify = (ticketId: string, meta = h.meta()) => h.bus.execute(new ChangeTicketCommand(ticketId, { type: 'VerifyTicket', evidence: ['id'], note: '', by: agent }, meta));
    const requests = async (username: string) => (await h.store.readStream(streams.requests(username))).map((e) => [e.type, (e.data as { ticketId: string }).ticketId]);

    it('refuses to verify a ticket filed before another of the username was verified, and takes one filed after it', async () => {
      const [first, second] = [await submit('zoe'), await submit('zoe')];
      await verify(second.ticketId);
      await expect(verify(first.ticketId)).rejects.toEqual(new RecoveredElsewhere({ ticketNumber: second.ticketNumber, verified: true }));
      expect(await types(first.ticketId)).toEqual(['TicketSubmitted']);
      // Another username's tickets are their own.
      await expect(verify((await submit('yan')).ticketId)).resolves.toMatchObject({ state: 'verified' });
      // A request filed after the recovery is one of its own (the requester lost access again).
      const later = await submit('zoe');
      await expect(verify(later.ticketId)).resolves.toMatchObject({ state: 'verified' });
      expect(await requests('zoe')).toEqual([
        ['TicketFiled', first.ticketId],
        ['TicketFiled', second.ticketId],
        ['RecoveryClaimed', second.ticketId],
        ['TicketFiled', later.ticketId],
        ['RecoveryClaimed', later.ticketId],
      ]);
    });

    it('of two tickets of a username verified at the same moment, one is verified and the other refused', async () => {
      const [first, second] = [await submit('zoe'), await submit('zoe')];
      const outcomes = await Promise.allSettled([verify(first.ticketId), verify(second.ticketId)]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const won = outcomes.findIndex((o) => o.status === 'fulfilled');
      const [winner, loser] = won === 0 ? [first, second] : [second, first];
      expect((outcomes[1 - won] as PromiseRejectedResult).reason).toBeInstanceOf(RecoveredElsewhere);
      expect([await types(winner.ticketId), await types(loser.ticketId)]).toEqual([['TicketSubmitted', 'TicketVerified'], ['TicketSubmitted']]);
    });

    it('lets a valid code verify nothing on a ticket filed before another was verified: it raises the ticket for a person', async () => {
      const codes = await account('zoe');
      const [first, second] = [await submit('zoe'), await submit('zoe')];
      await verify(second.ticketId);
      await expect(h.bus.execute(new ReplyToTicketCommand(first.ticketId, { message: 'my code', recoveryCode: codes[0] }, h.meta()))).resolves.toMatchObject({ state: 'submitted' });
      expect(await types(first.ticketId)).toEqual(['TicketSubmitted', 'FollowUpReceived', 'EvidenceRecorded', 'TicketPrioritised']);
      // A new request with a code verifies, as one filed after the recovery.
      await expect(submit('zoe', { recoveryCode: codes[1] })).resolves.toMatchObject({ state: 'verified' });
    });

    it('holds others back while a claim whose ticket is still open is recent, and not once it lapsed or its ticket was decided otherwise', async () => {
      const [first, second] = [await submit('zoe'), await submit('zoe')];
      // The claim of a verification whose server stopped before it recorded it.
      const [claimed] = toNewEvents(streams.requests('zoe'), [{ type: 'RecoveryClaimed', data: { ticketId: second.ticketId } }], h.meta(), h.clock.now());
      await h.store.appendToStream(streams.requests('zoe'), [claimed!]);
      await expect(verify(first.ticketId)).rejects.toEqual(new RecoveredElsewhere({ ticketNumber: second.ticketNumber, verified: false }));
      h.clock.advance(CLAIM_LAPSES_AFTER_MS);
      await expect(verify(first.ticketId)).resolves.toMatchObject({ state: 'verified' });
      // A claim whose ticket was then rejected (decided otherwise meanwhile) holds nothing back.
      const [fourth, fifth] = [await submit('zoe'), await submit('zoe')];
      const [again] = toNewEvents(streams.requests('zoe'), [{ type: 'RecoveryClaimed', data: { ticketId: fifth.ticketId } }], h.meta(), h.clock.now());
      await h.store.appendToStream(streams.requests('zoe'), [again!]);
      await h.bus.execute(new ChangeTicketCommand(fifth.ticketId, { type: 'RejectTicket', reason: 'other', note: '', by: agent }, h.meta()));
      await expect(verify(fourth.ticketId)).resolves.toMatchObject({ state: 'verified' });
    });

    it('verifies a ticket whose claim was recorded before its server stopped, when the verification is sent again', async () => {
      const [first, second] = [await submit('zoe'), await submit('zoe')];
      const meta = h.meta();
      // The claim made under the command's own id, then the server stopped.
      const [claimed] = toNewEvents(streams.requests('zoe'), [{ type: 'RecoveryClaimed', data: { ticketId: second.ticketId } }], { ...meta, commandId: `${meta.commandId}:recovery-claim` }, h.clock.now());
      await h.store.appendToStream(streams.requests('zoe'), [claimed!]);
      await expect(verify(second.ticketId, meta)).resolves.toMatchObject({ state: 'verified' });
      expect((await requests('zoe')).filter(([type]) => type === 'RecoveryClaimed')).toHaveLength(1);
      await expect(verify(first.ticketId)).rejects.toBeInstanceOf(RecoveredElsewhere);
    });

    it('lets staff verify a report of a compromise filed before the recovery: it may be the owner answering it', async () => {
      const report = await h.bus.execute(new SubmitTicketCommand({ ...request('zoe'), reason: 'account-compromise' }, h.meta()));
      const other = await submit('zoe');
      await verify(other.ticketId);
      await expect(verify(report.ticketId)).resolves.toMatchObject({ state: 'verified' });
      // It claims the recovery too, which holds back what was filed before it from then on.
      expect((await requests('zoe')).filter(([type]) => type === 'RecoveryClaimed')).toEqual([
        ['RecoveryClaimed', other.ticketId],
        ['RecoveryClaimed', report.ticketId],
      ]);
    });
  });

  it('applies a retried command once', async () => {
    const ticket = await submit('zoe');
    const meta = h.meta({ kind: 'staff', id: 'agent-1' });
    const note = new ChangeTicketCommand(ticket.ticketId, { type: 'AddNote', body: 'called', by: agent }, meta);
    const first = await h.bus.execute(note);
    const second = await h.bus.execute(note);
    expect(second).toEqual(first);
    expect(await types(ticket.ticketId)).toEqual(['TicketSubmitted', 'NoteAdded']);
  });

  it('a refused command changes nothing and names the current state', async () => {
    const ticket = await submit('zoe');
    await h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'RejectTicket', reason: 'other', note: '', by: agent }, h.meta()));
    const before = await h.store.readAll();
    const error = await h.bus
      .execute(new ChangeTicketCommand(ticket.ticketId, { type: 'VerifyTicket', evidence: [], note: '', by: agent }, h.meta()))
      .catch((e) => e);
    expect(error).toBeInstanceOf(TransitionNotAllowed);
    expect(error.state).toBe('rejected');
    await expect(h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'hi' }, h.meta()))).rejects.toBeInstanceOf(TransitionNotAllowed);
    expect(await h.store.readAll()).toEqual(before);
  });

  it('decides again on what is stored when another writer overtook the cached state', async () => {
    const ticket = await submit('zoe');
    // Another process rejects the ticket: this process's cached state still says submitted.
    await h.store.appendToStream(streams.ticket(ticket.ticketId), [
      { id: 'elsewhere-1', type: 'TicketRejected', data: { reason: 'other', note: '', rejectedBy: { kind: 'staff', id: 'agent-2' } }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } },
    ]);
    const error = await h.bus
      .execute(new ChangeTicketCommand(ticket.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent }, h.meta()))
      .catch((e) => e);
    expect(error).toBeInstanceOf(TransitionNotAllowed);
    expect(error.state).toBe('rejected');
    expect(await types(ticket.ticketId)).toEqual(['TicketSubmitted', 'TicketRejected']);
    // If-Match is judged against the stored stream, not the cache: revision 1 is current.
    const open = await submit('amy');
    await h.store.appendToStream(streams.ticket(open.ticketId), [
      { id: 'elsewhere-2', type: 'NoteAdded', data: { body: 'seen', author: 'agent-2' }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } },
    ]);
    await expect(
      h.bus.execute(new ChangeTicketCommand(open.ticketId, { type: 'AddNote', body: 'x', by: agent }, h.meta(), 1n)),
    ).resolves.toMatchObject({ revision: '2' });
  });

  it('judges a refusal, or a decision to do nothing, again on what is stored before it answers, when another writer overtook the cached state', async () => {
    const elsewhere = async (ticketId: string, type: string, data: object) =>
      h.store.appendToStream(streams.ticket(ticketId), [{ id: `elsewhere-${type}-${ticketId}`, type, data, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }]);
    const change = (ticketId: string, command: TicketChange) => h.bus.execute(new ChangeTicketCommand(ticketId, command, h.meta()));
    // Cached: a question open. Stored: answered by the requester through another process, so a new question may be asked.
    const asked = await submit('zoe');
    await change(asked.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: agent });
    await elsewhere(asked.ticketId, 'InfoProvided', { message: 'The old one' });
    await expect(change(asked.ticketId, { type: 'RequestInfo', question: 'When?', by: agent })).resolves.toMatchObject({ state: 'awaiting-info' });
    // Cached: held by no one, so a release would do nothing. Stored: claimed elsewhere, so it is given back.
    const claimed = await submit('amy');
    await elsewhere(claimed.ticketId, 'TicketAssigned', { assignee: 'agent-2', assignedBy: 'agent-2' });
    await change(claimed.ticketId, { type: 'ReleaseTicket', from: 'agent-2', because: 'assignee-deactivated' });
    expect(await types(claimed.ticketId)).toEqual(['TicketSubmitted', 'TicketAssigned', 'TicketReleased']);
  });

  it('refuses a stale If-Match revision and an unknown ticket', async () => {
    const ticket = await submit('zoe');
    const change = (ifMatch?: bigint) =>
      h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'AddNote', body: 'x', by: agent }, h.meta(), ifMatch));
    await expect(change(0n)).resolves.toMatchObject({ revision: '1' });
    await expect(change(0n)).rejects.toBeInstanceOf(StaleRevision);
    await expect(
      h.bus.execute(new ChangeTicketCommand('nope', { type: 'AddNote', body: 'x', by: agent }, h.meta())),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it("a requester's If-Match names the revision they see: staff work they cannot see keeps it, a question moves it", async () => {
    const codes = await account('zoe', { critical: true });
    const ticket = await submit('zoe');
    expect(ticket.revision).toBe('0');
    const reply = (ifMatch: bigint, recoveryCode?: string) => h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'hi', recoveryCode }, h.meta(), ifMatch));
    const change = (command: TicketChange) => h.bus.execute(new ChangeTicketCommand(ticket.ticketId, command, h.meta()));
    await change({ type: 'AddNote', body: 'looked', by: agent });
    // A good code on a critical account: its check and the high priority are not the requester's to see.
    await expect(reply(0n, codes[0])).resolves.toMatchObject({ state: 'submitted', revision: '1' });
    expect(await types(ticket.ticketId)).toEqual(['TicketSubmitted', 'NoteAdded', 'FollowUpReceived', 'EvidenceRecorded', 'TicketPrioritised']);
    await change({ type: 'RequestInfo', question: 'Which phone?', by: agent });
    await expect(reply(1n)).rejects.toEqual(new StaleRevision(1n, 2n));
    await expect(reply(2n)).resolves.toMatchObject({ state: 'submitted', revision: '3' });
  });

  it('a conflict is judged again on what was stored: a note staff add meanwhile leaves a requester current, and makes staff stale', async () => {
    const ticket = await submit('zoe');
    // Another process adds a note between this command's read and its append.
    const noteFirst = () => {
      const append = h.store.appendToStream.bind(h.store);
      jest.spyOn(h.store, 'appendToStream').mockImplementationOnce(async (stream, events, options) => {
        await append(stream, toNewEvents(stream, [{ type: 'NoteAdded', data: { body: 'meanwhile', author: agent.id } }], h.meta(), new Date()));
        return append(stream, events, options);
      });
    };
    noteFirst();
    await expect(h.bus.execute(new ReplyToTicketCommand(ticket.ticketId, { message: 'hi' }, h.meta(), 0n))).resolves.toMatchObject({ revision: '1' });
    expect(await types(ticket.ticketId)).toEqual(['TicketSubmitted', 'NoteAdded', 'FollowUpReceived']);
    noteFirst();
    const note = new ChangeTicketCommand(ticket.ticketId, { type: 'AddNote', body: 'x', by: agent }, h.meta(), 2n);
    await expect(h.bus.execute(note)).rejects.toEqual(new StaleRevision(2n, 3n));
    expect(await types(ticket.ticketId)).toEqual(['TicketSubmitted', 'NoteAdded', 'FollowUpReceived', 'NoteAdded']);
  });

  it('assigns only to staff who work tickets', async () => {
    const ticket = await submit('zoe');
    const staff = await h.bus.execute(new CreateStaffCommand('Ada', 'agent', h.meta(admin)));
    const auditor = await h.bus.execute(new CreateStaffCommand('Aud', 'auditor', h.meta(admin)));
    await expect(
      h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'AssignTicket', assignee: staff.id, by: agent }, h.meta())),
    ).resolves.toMatchObject({ state: 'submitted' });
    await expect(
      h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'AssignTicket', assignee: auditor.id, by: agent }, h.meta())),
    ).rejects.toMatchObject({ field: 'assignee' });
  });

  it('of two staff who claim one ticket at the same moment, one holds it and the other is told so', async () => {
    const ticket = await submit('zoe');
    const [ada, bo] = await Promise.all(['Ada', 'Bo'].map((name) => h.bus.execute(new CreateStaffCommand(name, 'agent', h.meta(admin)))));
    const claim = (staff: { id: string }) =>
      h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'AssignTicket', assignee: staff.id, by: { id: staff.id, role: 'agent' }, claim: true }, h.meta()));
    const outcomes = await Promise.allSettled([claim(ada!), claim(bo!)]);
    const won = outcomes.findIndex((o) => o.status === 'fulfilled');
    const lost = outcomes[1 - won] as PromiseRejectedResult;
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const holder = [ada!, bo!][won]!.id;
    expect(lost.reason).toEqual(new AlreadyAssigned(holder));
    const assigned = (await h.store.readStream(streams.ticket(ticket.ticketId))).filter((e) => e.type === 'TicketAssigned');
    expect(assigned.map((e) => e.data)).toEqual([{ assignee: holder, assignedBy: holder }]);
  });

  it('claims the first of the tickets listed as waiting that is still free: one claimed, asked a question of, or decided since is passed over', async () => {
    const [taken, decided, asked, free] = [await submit('zoe'), await submit('yan'), await submit('wu'), await submit('xia')];
    const [ada, bo] = await Promise.all(['Ada', 'Bo'].map(async (name) => ({ id: (await h.bus.execute(new CreateStaffCommand(name, 'agent', h.meta(admin)))).id, role: 'agent' as const })));
    await h.bus.execute(new ChangeTicketCommand(taken.ticketId, { type: 'AssignTicket', assignee: bo!.id, by: bo!, claim: true }, h.meta()));
    await h.bus.execute(new ChangeTicketCommand(decided.ticketId, { type: 'RejectTicket', reason: 'other', note: '', by: bo! }, h.meta()));
    await h.bus.execute(new ChangeTicketCommand(asked.ticketId, { type: 'RequestInfo', question: 'Which phone?', by: bo! }, h.meta()));
    const listed = [taken.ticketId, decided.ticketId, asked.ticketId, free.ticketId];
    await expect(h.bus.execute(new ClaimNextTicketCommand(listed, ada!, h.meta()))).resolves.toMatchObject({ ticketId: free.ticketId });
    expect(await types(free.ticketId)).toEqual(['TicketSubmitted', 'TicketAssigned']);
    expect(await types(taken.ticketId)).toEqual(['TicketSubmitted', 'TicketAssigned']);
    expect(await types(asked.ticketId)).toEqual(['TicketSubmitted', 'InfoRequested']);
    await expect(h.bus.execute(new ClaimNextTicketCommand(listed.slice(0, 3), ada!, h.meta()))).resolves.toBeUndefined();
  });

  it.each(['deactivated', 'given the auditor role'] as const)(
    'lets a claim take a ticket whose holder was %s without its tickets given back (a process that had not yet seen the claim)',
    async (how) => {
      const ticket = await submit('zoe');
      const [gone, bo] = await Promise.all(['Gone', 'Bo'].map((name) => h.bus.execute(new CreateStaffCommand(name, 'agent', h.meta(admin)))));
      const claim = (staff: { id: string }) =>
        h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'AssignTicket', assignee: staff.id, by: { id: staff.id, role: 'agent' }, claim: true }, h.meta()));
      await claim(gone!);
      // A claim takes nothing from a holder who works tickets.
      await expect(claim(bo!)).rejects.toEqual(new AlreadyAssigned(gone!.id));
      // Changed by a process whose read models did not show the claim: nothing was given back.
      const known = { activeAdmins: [], heldTickets: [], approvedFirst: [] };
      await h.bus.execute(how === 'deactivated' ? new DeactivateStaffCommand(gone!.id, known, h.meta(admin)) : new ChangeStaffRoleCommand(gone!.id, 'auditor', known, h.meta(admin)));
      await expect(claim(bo!)).resolves.toMatchObject({ state: 'submitted' });
      const assigned = (await h.store.readStream(streams.ticket(ticket.ticketId))).filter((e) => e.type === 'TicketAssigned' || e.type === 'TicketReleased');
      expect(assigned.map((e) => [e.type, (e.data as { assignee?: string }).assignee])).toEqual([['TicketAssigned', gone!.id], ['TicketAssigned', bo!.id]]);
    },
  );

  it('deactivates a staff member whose ticket was closed meanwhile, giving back only what is still open, under the deactivation\'s correlation id', async () => {
    const [open, closed] = [await submit('zoe'), await submit('yan')];
    const leaving = await h.bus.execute(new CreateStaffCommand('Leaving', 'agent', h.meta(admin)));
    const by = { id: leaving!.id, role: 'agent' as const };
    for (const { ticketId } of [open, closed]) {
      await h.bus.execute(new ChangeTicketCommand(ticketId, { type: 'AssignTicket', assignee: leaving!.id, by, claim: true }, h.meta()));
    }
    // Both were held when the read models were asked; one is decided before the release reaches it.
    await h.bus.execute(new ChangeTicketCommand(closed.ticketId, { type: 'RejectTicket', reason: 'other', note: 'done', by }, h.meta()));
    const meta = { ...h.meta(admin), correlationId: 'request-7' };
    await expect(h.bus.execute(new DeactivateStaffCommand(leaving!.id, { activeAdmins: [], heldTickets: [open.ticketId, closed.ticketId], approvedFirst: [] }, meta))).resolves.toMatchObject({ active: false });
    const released = async (ticketId: string) => (await h.store.readStream(streams.ticket(ticketId))).filter((e) => e.type === 'TicketReleased');
    expect((await released(open.ticketId)).map((e) => [e.metadata.correlationId, e.metadata.actor])).toEqual([['request-7', admin]]);
    expect(await released(closed.ticketId)).toEqual([]);
  });

  it.each([
    ['rejecting the open tickets of a username', (open: string[], meta: CommandMeta) => new RejectOpenTicketsCommand(open, { reason: 'suspected-fraud', note: 'a flood', by: { id: 'lead', role: 'supervisor' } }, 0n, meta)],
    ["removing the account", (open: string[], meta: CommandMeta) => new RemoveAccountCommand('zoe', open, meta)],
  ] as const)('counts as rejected, %s, only the tickets it rejected: one listed but closed meanwhile is not counted, and none the second time', async (_, command) => {
    await h.bus.execute(new UpsertAccountCommand('zoe', profile(), h.meta(admin)));
    const [first, second, closed] = [await submit('zoe'), await submit('zoe'), await submit('zoe')];
    await h.bus.execute(new ChangeTicketCommand(closed.ticketId, { type: 'RejectTicket', reason: 'other', note: 'done', by: agent }, h.meta()));
    const listed = [first.ticketId, second.ticketId, closed.ticketId];
    const meta = h.meta(admin);
    await expect(h.bus.execute(command(listed, meta))).resolves.toMatchObject({ rejected: 2 });
    // Sent again as the same request (one cut short, finished by sending it again): the same two.
    await expect(h.bus.execute(command(listed, meta))).resolves.toMatchObject({ rejected: 2 });
    // Sent again as a new request (a new command id): each is closed by now.
    await expect(h.bus.execute(command(listed, h.meta(admin)))).resolves.toMatchObject({ rejected: 0 });
    const rejections = async (ticketId: string) => (await h.store.readStream(streams.ticket(ticketId))).filter((e) => e.type === 'TicketRejected').length;
    expect(await Promise.all(listed.map(rejections))).toEqual([1, 1, 1]);
  });

  it.each([
    ['deactivated', (id: string, known: { activeAdmins: string[]; heldTickets: string[]; approvedFirst: string[] }, meta: CommandMeta) => new DeactivateStaffCommand(id, known, meta)],
    ['role-changed', (id: string, known: { activeAdmins: string[]; heldTickets: string[]; approvedFirst: string[] }, meta: CommandMeta) => new ChangeStaffRoleCommand(id, 'auditor', known, meta)],
  ] as const)("withdraws the first approvals of critical accounts of a staff member who no longer works tickets (%s), of the open tickets the read models showed; the next approval withdraws one they missed", async (because, leave) => {
    for (const name of ['vip', 'vip2']) await h.bus.execute(new UpsertAccountCommand(name, profile({ critical: true }), h.meta(admin)));
    // The one decided is of another account: its verification would hold back the others of its own.
    const [seen, missed, decided] = [await submit('vip'), await submit('vip'), await submit('vip2')];
    const [leaving, sue, sam] = await Promise.all(
      (['agent', 'supervisor', 'supervisor'] as const).map((role, i) => h.bus.execute(new CreateStaffCommand(`S${i}`, role, h.meta(admin)))),
    );
    const approve = (ticketId: string, by: { id: string; role: 'agent' | 'supervisor' }) =>
      h.bus.execute(new ChangeTicketCommand(ticketId, { type: 'VerifyTicket', evidence: ['call'], note: 'ok', by }, h.meta()));
    for (const { ticketId } of [seen, missed, decided]) await approve(ticketId, { id: leaving!.id, role: 'agent' });
    await approve(decided.ticketId, { id: sue!.id, role: 'supervisor' });
    const meta = { ...h.meta(admin), correlationId: 'request-9' };
    await h.bus.execute(leave(leaving!.id, { activeAdmins: [], heldTickets: [], approvedFirst: [seen.ticketId, decided.ticketId] }, meta));
    const types = async (ticketId: string) => (await h.store.readStream(streams.ticket(ticketId))).map((e) => e.type);
    const withdrawal = (await h.store.readStream(streams.ticket(seen.ticketId))).find((e) => e.type === 'ApprovalWithdrawn')!;
    expect([withdrawal.data, withdrawal.metadata.actor, withdrawal.metadata.correlationId]).toEqual([{ approver: leaving!.id, because }, admin, 'request-9']);
    expect(await types(decided.ticketId)).toEqual(['TicketSubmitted', 'ApprovalRecorded', 'TicketVerified']);
    expect(await types(missed.ticketId)).toEqual(['TicketSubmitted', 'ApprovalRecorded']);
    // Sue's approval is the first of each now: the one the deactivation missed is withdrawn by it.
    for (const { ticketId } of [seen, missed]) await expect(approve(ticketId, { id: sue!.id, role: 'supervisor' })).resolves.toMatchObject({ state: 'submitted' });
    expect(await types(missed.ticketId)).toEqual(['TicketSubmitted', 'ApprovalRecorded', 'ApprovalWithdrawn', 'ApprovalRecorded']);
    expect(await types(seen.ticketId)).toEqual(['TicketSubmitted', 'ApprovalRecorded', 'ApprovalWithdrawn', 'ApprovalRecorded']);
    const missedWithdrawal = (await h.store.readStream(streams.ticket(missed.ticketId))).find((e) => e.type === 'ApprovalWithdrawn')!;
    expect(missedWithdrawal.data).toEqual({ approver: leaving!.id, because });
    await expect(approve(seen.ticketId, { id: sam!.id, role: 'supervisor' })).resolves.toMatchObject({ state: 'verified' });
  });

  it('keeps the first approvals of a staff member moved to another role that works tickets', async () => {
    await h.bus.execute(new UpsertAccountCommand('vip', profile({ critical: true }), h.meta(admin)));
    const ticket = await submit('vip');
    const [moving, sue] = await Promise.all((['agent', 'supervisor'] as const).map((role, i) => h.bus.execute(new CreateStaffCommand(`M${i}`, role, h.meta(admin)))));
    await h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'VerifyTicket', evidence: ['call'], note: 'ok', by: { id: moving!.id, role: 'agent' } }, h.meta()));
    await h.bus.execute(new ChangeStaffRoleCommand(moving!.id, 'supervisor', { activeAdmins: [], heldTickets: [], approvedFirst: [ticket.ticketId] }, h.meta(admin)));
    await expect(h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'VerifyTicket', evidence: ['call'], note: 'ok', by: { id: sue!.id, role: 'supervisor' } }, h.meta()))).resolves.toMatchObject({ state: 'verified' });
  });

  it("records an admin's deactivation on the roster first; one cut short before the admin's own stream finishes when sent again", async () => {
    const [a1, a2, agentMember] = await Promise.all(
      (['admin', 'admin', 'agent'] as const).map((role) => h.bus.execute(new CreateStaffCommand(role, role, h.meta(admin)))),
    );
    const admins = [a1!.id, a2!.id];
    const roster = async () => (await h.store.readStream(streams.adminRoster)).map((event) => event.data);
    // Cut short: the roster holds a1's removal, a1's own stream does not.
    const removal = toNewEvents(streams.adminRoster, [{ type: 'AdminRemoved', data: { staffId: a1!.id } }], h.meta(admin), new Date());
    await h.store.appendToStream(streams.adminRoster, removal, { expectedRevision: 'no_stream' });

    // a1 counts as gone, though the read models still list it: a2 is the last.
    await expect(h.bus.execute(new DeactivateStaffCommand(a2!.id, { activeAdmins: admins, heldTickets: [], approvedFirst: [] }, h.meta(admin)))).rejects.toBeInstanceOf(LastAdmin);
    await expect(h.bus.execute(new DeactivateStaffCommand(a1!.id, { activeAdmins: admins, heldTickets: [], approvedFirst: [] }, h.meta(admin)))).resolves.toMatchObject({ id: a1!.id, active: false });
    await expect(h.bus.execute(new DeactivateStaffCommand(agentMember!.id, { activeAdmins: [a2!.id], heldTickets: [], approvedFirst: [] }, h.meta(admin)))).resolves.toMatchObject({ active: false });
    expect(await roster()).toEqual([{ staffId: a1!.id }]);
    expect((await h.store.readStream(streams.staff(a2!.id))).map((event) => event.type)).toEqual(['StaffCreated']);
  });

  it("records an admin's role change on the roster first, restores one made an admin again, and records nothing for a change the staff member's stream refuses", async () => {
    const [a1, a2] = await Promise.all([1, 2].map((n) => h.bus.execute(new CreateStaffCommand(`Admin ${n}`, 'admin', h.meta(admin)))));
    const roster = async () => (await h.store.readStream(streams.adminRoster)).map((event) => [event.type, event.data]);
    const change = (id: string, role: 'admin' | 'agent', activeAdmins: string[]) => h.bus.execute(new ChangeStaffRoleCommand(id, role, { activeAdmins, heldTickets: [], approvedFirst: [] }, h.meta(admin)));
    await expect(change(a1!.id, 'agent', [a1!.id, a2!.id])).resolves.toMatchObject({ role: 'agent' });
    await expect(change(a2!.id, 'agent', [a2!.id])).rejects.toBeInstanceOf(LastAdmin);
    await expect(change(a1!.id, 'admin', [a2!.id])).resolves.toMatchObject({ role: 'admin' });
    expect(await roster()).toEqual([['AdminRemoved', { staffId: a1!.id }], ['AdminRestored', { staffId: a1!.id }]]);
    // Deactivated: made an admin again, refused by their own stream, and the roster records nothing.
    await h.bus.execute(new DeactivateStaffCommand(a1!.id, { activeAdmins: [a1!.id, a2!.id], heldTickets: [], approvedFirst: [] }, h.meta(admin)));
    await expect(change(a1!.id, 'agent', [a2!.id])).rejects.toBeInstanceOf(TransitionNotAllowed);
    await expect(change(a1!.id, 'admin', [a2!.id])).rejects.toBeInstanceOf(TransitionNotAllowed);
    await expect(change('nobody', 'admin', [a2!.id])).rejects.toBeInstanceOf(NotFound);
    expect(await roster()).toEqual([['AdminRemoved', { staffId: a1!.id }], ['AdminRestored', { staffId: a1!.id }], ['AdminRemoved', { staffId: a1!.id }]]);
    expect((await h.store.readStream(streams.staff(a1!.id))).map((event) => event.type)).toEqual(['StaffCreated', 'StaffRoleChanged', 'StaffRoleChanged', 'StaffDeactivated']);
  });

  it('of six admins deactivated at the same moment, five go and the last stays: the roster decides again for each', async () => {
    const admins = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => h.bus.execute(new CreateStaffCommand(`Admin ${n}`, 'admin', h.meta(admin)))));
    const activeAdmins = admins.map((member) => member.id);
    const outcomes = await Promise.allSettled(activeAdmins.map((id) => h.bus.execute(new DeactivateStaffCommand(id, { activeAdmins, heldTickets: [], approvedFirst: [] }, h.meta(admin)))));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(LastAdmin);
    expect(await h.store.readStream(streams.adminRoster)).toHaveLength(5);
  });

  it('notes added to one ticket at the same moment all land; a command overtaken again and again is refused in the end', async () => {
    const ticket = await submit('zoe');
    const note = (body: string) => h.bus.execute(new ChangeTicketCommand(ticket.ticketId, { type: 'AddNote', body, by: agent }, h.meta()));
    const outcomes = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map(note));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill('fulfilled'));
    expect(await types(ticket.ticketId)).toEqual(['TicketSubmitted', ...Array(5).fill('NoteAdded')]);

    // Another writer gets in before every append this process tries: it gives up, having written nothing.
    const append = h.store.appendToStream.bind(h.store);
    let overtaken = 0;
    jest.spyOn(h.store, 'appendToStream').mockImplementation(async (stream, events, options) => {
      overtaken++;
      const id = `elsewhere-${overtaken}`;
      await append(stream, [{ id, type: 'NoteAdded', data: { body: 'elsewhere', author: 'agent-2' }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }]);
      return append(stream, events, options);
    });
    await expect(note('never')).rejects.toBeInstanceOf(WrongExpectedRevision);
    expect(overtaken).toBeGreaterThan(10);
    expect((await h.store.readStream(streams.ticket(ticket.ticketId))).map((event) => (event.data as { body: string }).body)).not.toContain('never');
  });

  it('never writes a code, a TOTP secret or value, or a token into an event', async () => {
    const codes = await account('zoe');
    const { secret } = await h.bus.execute(new EnrolTotpCommand('zoe', h.meta(admin)));
    const totp = generateSync({ secret, epoch: Math.floor(h.clock.now().getTime() / 1000) });
    const staff = await h.bus.execute(new CreateStaffCommand('Ada', 'agent', h.meta(admin)));
    const ticket = await submit('zoe', { recoveryCode: codes[0], totpCode: totp });
    await submit('zoe', { recoveryCode: 'abcdefabcdef0123' });
    const text = await allEventsText();
    for (const plain of [...codes, secret, staff.token, ticket.accessToken!, 'abcdefabcdef0123']) expect(text).not.toContain(plain);
    expect(codeStandsIn(text, totp)).toBe(false);
  });
});

describe('command handlers on the EventStoreDB adapter', () => {
  it("answers a submission retried after a thousand others with its ticket's number, which the counter no longer finds", async () => {
    const server = standInEventStoreDb();
    const e = await recoveryHarness({}, { store: new EventStoreDbEventStore('esdb://unused', server.client) });
    try {
      const request = { username: 'zoe', contactEmail: 'me@example.org', previousEmails: [], reason: 'lost-email' as const, explanation: 'I lost my phone', packages: [] };
      const meta = e.meta();
      const first = await e.bus.execute(new SubmitTicketCommand(request, meta));
      // Numbers issued to others since (by other servers, say): the adapter looks for a retry's
      // number among the counter's latest 1,000 events only, and issues this one a new number.
      for (let i = 0; i < 1_001; i++) {
        await e.store.appendToStream(streams.ticketNumbers, [{ id: randomUUID(), type: 'TicketNumberIssued', data: { ticketId: `other-${i}` }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }], { expectedRevision: 'any' });
      }
      // The retry of a submission whose first answer was lost (the same command id).
      const again = await e.bus.execute(new SubmitTicketCommand(request, meta));
      expect([again.ticketId, again.ticketNumber]).toEqual([first.ticketId, first.ticketNumber]);
    } finally {
      await e.close();
    }
  }, 30_000);
});
