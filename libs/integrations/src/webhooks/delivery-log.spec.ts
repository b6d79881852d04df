import { openDatabase } from '@reclaim/event-store';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTEMPTS_KEPT, DeliveryLog, type Sender } from './delivery-log';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaim-delivery-log-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two delivery logs on one file, as two processes sharing it have. */
function twoProcesses(name: string) {
  const file = join(dir, `${name}.sqlite`);
  const [first, second] = [openDatabase(file), openDatabase(file)];
  return { a: new DeliveryLog(first), b: new DeliveryLog(second), close: () => [first, second].forEach((db) => db.close()) };
}

const alive = (id: string): Sender => ({ id, pid: process.pid });
const LEASE = 30_000;

describe('webhook senders', () => {
  it('lets one sender at a time send a subscription, until its lease runs out', () => {
    const { a, b, close } = twoProcesses('lease');
    const now = 1_000_000;
    expect(a.claimSender('hook', alive('a'), now, LEASE)).toBe(true);
    expect(b.claimSender('hook', alive('b'), now + 1, LEASE)).toBe(false);
    expect(b.claimSender('other-hook', alive('b'), now + 1, LEASE)).toBe(true);
    expect(a.claimSender('hook', alive('a'), now + 20_000, LEASE)).toBe(true); // renewed to now + 50 s
    expect(b.claimSender('hook', alive('b'), now + 40_000, LEASE)).toBe(false);
    expect(b.claimSender('hook', alive('b'), now + 50_000, LEASE)).toBe(true);
    expect(a.claimSender('hook', alive('a'), now + 50_001, LEASE)).toBe(false);
    close();
  });

  it('gives way at once when the holder releases it, or when its process has ended', () => {
    const { a, b, close } = twoProcesses('gone');
    const now = 1_000_000;
    expect(a.claimSender('hook', alive('a'), now, LEASE)).toBe(true);
    b.releaseSender('hook', alive('b')); // only the holder's release counts
    expect(b.claimSender('hook', alive('b'), now, LEASE)).toBe(false);
    a.releaseSender('hook', alive('a'));
    expect(b.claimSender('hook', alive('b'), now, LEASE)).toBe(true);

    const ended = spawnSync(process.execPath, ['-e', '']);
    expect(ended.status).toBe(0);
    expect(a.claimSender('killed-hook', { id: 'killed', pid: ended.pid! }, now, LEASE)).toBe(true);
    expect(b.claimSender('killed-hook', alive('b'), now + 1, LEASE)).toBe(true);
    close();
  });
});

describe('delivery log', () => {
  it(`keeps the newest ${ATTEMPTS_KEPT} attempts of each subscription`, () => {
    const { a: log, close } = twoProcesses('kept');
    const attempt = (webhookId: string, position: number) => ({
      webhookId, position: BigInt(position), eventId: `e${position}`, type: 'recovery.ticket.submitted.v1', ticketId: 't-1', attempt: 1, statusCode: 500, error: 'HTTP 500', durationMs: 1, manual: false,
    });
    for (let i = 1; i <= ATTEMPTS_KEPT + 25; i++) log.record(attempt('busy', i));
    log.record(attempt('quiet', 1));
    const kept = log.deliveries('busy', 5000);
    expect(kept).toHaveLength(ATTEMPTS_KEPT);
    expect([kept[0]!.position, kept.at(-1)!.position]).toEqual([String(ATTEMPTS_KEPT + 25), '26']);
    expect(log.deliveries('quiet', 10)).toHaveLength(1);
    close();
  });

  it('hands out redeliveries asked for by hand oldest first, each once however often it was asked for', () => {
    const { a: log, close } = twoProcesses('redeliveries');
    for (const position of [9n, 3n, 5n, 3n]) log.requestRedelivery('hook', position);
    log.requestRedelivery('other-hook', 1n);
    const handedOut: bigint[] = [];
    for (let position = log.pendingRedelivery('hook'); position !== undefined; position = log.pendingRedelivery('hook')) {
      handedOut.push(position);
      log.dropRedelivery('hook', position);
    }
    expect(handedOut).toEqual([3n, 5n, 9n]);
    expect(log.pendingRedelivery('other-hook')).toBe(1n);
    close();
  });

  it('tells how a subscription stands: the most attempts at any one event and the soonest retry, of the checkpoint and the tickets held; enabling again starts them all afresh', () => {
    const { a: log, close } = twoProcesses('standing');
    expect(log.standing('hook', 7n)).toEqual({ deliveredUpTo: 7n, held: [], failingAttempts: 0, nextAttemptAt: null });
    log.saveProgress('hook', { position: 20n, attempts: 2, nextAttemptAt: 5_000, failingSince: 1 });
    log.hold('hook', { ticketId: 't1', after: 8n, attempts: 4, nextAttemptAt: 9_000, heldAt: 2 });
    log.hold('hook', { ticketId: 't2', after: 12n, attempts: 1, nextAttemptAt: 3_000, heldAt: 3 });
    // How far a held ticket came is saved; it stays held since it was first.
    log.saveHeld('hook', { ticketId: 't1', after: 10n, attempts: 5, nextAttemptAt: 11_000, heldAt: 2 });
    log.hold('other-hook', { ticketId: 't3', after: 1n, attempts: 9, nextAttemptAt: 1, heldAt: 1 });
    expect(log.standing('hook', 7n)).toEqual({
      deliveredUpTo: 20n,
      held: [
        { ticketId: 't1', after: 10n, attempts: 5, nextAttemptAt: 11_000, heldAt: 2 },
        { ticketId: 't2', after: 12n, attempts: 1, nextAttemptAt: 3_000, heldAt: 3 },
      ],
      failingAttempts: 5,
      nextAttemptAt: 3_000,
    });
    log.clearFailures('hook');
    expect(log.standing('hook', 7n)).toMatchObject({ failingAttempts: 0, nextAttemptAt: null });
    expect(log.heldTickets('hook').map(({ attempts, nextAttemptAt }) => [attempts, nextAttemptAt])).toEqual([[0, 0], [0, 0]]);
    expect(log.progress('hook', 7n)).toEqual({ position: 20n, attempts: 0, nextAttemptAt: 0, failingSince: null });
    log.release('hook', 't1');
    expect(log.heldTickets('hook').map(({ ticketId }) => ticketId)).toEqual(['t2']);
    expect(log.standing('other-hook', 0n)).toMatchObject({ failingAttempts: 9 });
    close();
  });

  it('gives up a held ticket up to the checkpoint, once: a delivery of it still under way does not hold it again', () => {
    const { a: log, b: other, close } = twoProcesses('skip');
    log.saveProgress('hook', { position: 40n, attempts: 0, nextAttemptAt: 0, failingSince: null });
    const held = { ticketId: 't1', after: 8n, attempts: 3, nextAttemptAt: 9_000, heldAt: 2 };
    log.hold('hook', held);
    log.hold('hook', { ...held, ticketId: 't2' });
    // Asked of another process on the file, as the API's may be.
    expect(other.skipHeld('hook', 't1')).toEqual({ after: 8n, upTo: 40n });
    expect(other.skipHeld('hook', 't1')).toBeUndefined();
    expect(other.skipHeld('hook', 'never-held')).toBeUndefined();
    expect(log.saveHeld('hook', { ...held, after: 12n, attempts: 4 })).toBe(false);
    expect(log.heldTickets('hook').map(({ ticketId }) => ticketId)).toEqual(['t2']);
    // Refused again later, it is held anew, and saved as it goes.
    log.hold('hook', { ...held, after: 40n, heldAt: 50 });
    expect(log.saveHeld('hook', { ...held, after: 44n, heldAt: 50 })).toBe(true);
    expect(log.heldTickets('hook').find(({ ticketId }) => ticketId === 't1')).toMatchObject({ after: 44n, heldAt: 50 });
    close();
  });

  it('names the ticket of each attempt, also in a log from before it did, and tells why a held ticket is held', () => {
    const file = join(dir, 'before.sqlite');
    const old = openDatabase(file);
    old.exec(`CREATE TABLE webhook_deliveries (
      id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, position INTEGER NOT NULL, event_id TEXT NOT NULL,
      type TEXT NOT NULL, attempt INTEGER NOT NULL, status_code INTEGER, error TEXT, duration_ms INTEGER NOT NULL,
      manual INTEGER NOT NULL, at TEXT NOT NULL)`);
    old.prepare(`INSERT INTO webhook_deliveries (webhook_id, position, event_id, type, attempt, status_code, error, duration_ms, manual, at)
      VALUES ('hook', 1, 'e1', 'recovery.ticket.submitted.v1', 1, 204, NULL, 1, 0, '2026-11-28T00:00:00.000Z')`).run();
    old.close();
    const { a: log, b: again, close } = twoProcesses('before');
    const attempt = (position: number, ticketId: string, error: string | null, manual = false) => ({
      webhookId: 'hook', position: BigInt(position), eventId: `e${position}`, type: 'recovery.ticket.submitted.v1', ticketId, attempt: 1, statusCode: error ? 400 : 204, error, durationMs: 1, manual,
    });
    log.record(attempt(2, 't-1', 'HTTP 400'));
    again.record(attempt(3, 't-2', null));
    log.record(attempt(4, 't-1', 'timed out after 10000 ms'));
    log.record(attempt(5, 't-1', null, true)); // a redelivery by hand is no answer to the retries
    expect(log.deliveries('hook', 10).map(({ position, ticketId }) => [position, ticketId])).toEqual([['5', 't-1'], ['4', 't-1'], ['3', 't-2'], ['2', 't-1'], ['1', null]]);
    expect([log.lastErrorOf('hook', 't-1'), log.lastErrorOf('hook', 't-2'), log.lastErrorOf('hook', 't-3')]).toEqual(['timed out after 10000 ms', null, null]);
    close();
  });
});
