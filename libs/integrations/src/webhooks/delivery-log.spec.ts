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
      webhookId, position: BigInt(position), eventId: `e${position}`, type: 'recovery.ticket.submitted.v1', attempt: 1, statusCode: 500, error: 'HTTP 500', durationMs: 1, manual: false,
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
    log.saveHeld('hook', { ticketId: 't1', after: 8n, attempts: 4, nextAttemptAt: 9_000, heldAt: 2 });
    log.saveHeld('hook', { ticketId: 't2', after: 12n, attempts: 1, nextAttemptAt: 3_000, heldAt: 3 });
    // How far a held ticket came is saved; it stays held since it was first.
    log.saveHeld('hook', { ticketId: 't1', after: 10n, attempts: 5, nextAttemptAt: 11_000, heldAt: 99 });
    log.saveHeld('other-hook', { ticketId: 't3', after: 1n, attempts: 9, nextAttemptAt: 1, heldAt: 1 });
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
});
