import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../event-store.port';
import { eventStoreContract } from '../testing/event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';

const dir = mkdtempSync(join(tmpdir(), 'reclaim-sqlite-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

eventStoreContract('SQLite (embedded)', {
  open: async () => new SqliteEventStore(join(dir, 'events.sqlite')),
});

const event = (id: string, type = 'Fine'): NewEvent => ({ id, type, data: {}, metadata: { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 } });

describe('SQLite group commit', () => {
  // The database refuses the second insert, after the first is written.
  const failsHalfWay = (id: string) => [event(`${id}-1`), event(`${id}-2`, 'Refused'), event(`${id}-3`)];

  it('an append that fails half-way leaves none of its events, alone in its commit or beside others', async () => {
    const store = new SqliteEventStore(join(dir, 'group-commit.sqlite'));
    store.database.exec(`CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.type = 'Refused' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    // Alone: the commit holds nothing else, and nothing of it is stored.
    // (Matched by code: in jest, the native module's errors may come from another test file's realm.)
    await expect(store.appendToStream('alone', failsHalfWay('a'))).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_TRIGGER' });
    expect(await store.readStream('alone')).toEqual([]);

    // Beside others (one commit): the failing append is undone, the others stand.
    const outcomes = await Promise.allSettled([
      store.appendToStream('before', [event('b1')]),
      store.appendToStream('mixed', failsHalfWay('m')),
      store.appendToStream('after', [event('c1')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.readStream('mixed')).toEqual([]);
    expect((await store.readAll()).map((e) => e.id)).toEqual(['b1', 'c1']);
    expect((await store.streamHeads({ limit: 10 })).map((h) => h.stream)).toEqual(['after', 'before']);
    // In pages, by name.
    expect((await store.streamHeads({ limit: 1 })).map((h) => h.stream)).toEqual(['after']);
    expect((await store.streamHeads({ after: 'after', limit: 1 })).map((h) => h.stream)).toEqual(['before']);
    await store.close();
  });

  it('refuses appends on a full disk as EventStoreUnavailable, stores none of them, and takes them once there is room', async () => {
    const store = new SqliteEventStore(join(dir, 'full.sqlite'));
    await store.appendToStream('first', [event('f1')]);
    // The file may not grow: the pages the next append needs are refused as by a full disk.
    store.database.pragma(`max_page_count = ${store.database.pragma('page_count', { simple: true })}`);
    const large = (id: string): NewEvent => ({ ...event(id), data: { filler: 'x'.repeat(20_000) } });
    const full = { name: 'EventStoreUnavailable', message: 'SQLite: SQLITE_FULL' };
    await expect(store.appendToStream('full', [large('x1')])).rejects.toMatchObject(full);
    // In one commit with others: whatever SQLite undoes on a full disk, an append is stored if
    // and only if its caller was told so.
    const together = await Promise.allSettled([
      store.appendToStream('small-1', [event('s1')]),
      store.appendToStream('full', [large('x2')]),
      store.appendToStream('small-2', [event('s2')]),
    ]);
    const acknowledged = ['s1', 'x2', 's2'].filter((_, i) => together[i]!.status === 'fulfilled');
    expect((await store.readAll()).map((e) => e.id)).toEqual(['f1', ...acknowledged]);
    expect(together[1]).toEqual({ status: 'rejected', reason: expect.objectContaining(full) });
    store.database.pragma('max_page_count = 1073741823');
    await store.appendToStream('full', [large('x4')]);
    expect((await store.readAll()).map((e) => e.id)).toEqual(['f1', ...acknowledged, 'x4']);
    await store.close();
  });
});

describe('SQLite store', () => {
  it('refuses appends as EventStoreUnavailable while the file cannot take a write (locked by another process, read-only), and takes them after', async () => {
    const file = join(dir, 'cannot-write.sqlite');
    const store = new SqliteEventStore(file);
    const other = new Database(file);
    try {
      // Another process holds the write lock past the busy timeout (none here, so the test need not wait it out).
      store.database.pragma('busy_timeout = 0');
      other.exec('BEGIN IMMEDIATE');
      await expect(store.appendToStream('s', [event('locked')])).rejects.toMatchObject({ name: 'EventStoreUnavailable', message: 'SQLite: SQLITE_BUSY' });
      other.exec('ROLLBACK');
      store.database.pragma('query_only = 1');
      await expect(store.appendToStream('s', [event('read-only')])).rejects.toMatchObject({ name: 'EventStoreUnavailable', message: 'SQLite: SQLITE_READONLY' });
      store.database.pragma('query_only = 0');
      await store.appendToStream('s', [event('fine')]);
      expect((await store.readAll()).map((e) => e.id)).toEqual(['fine']);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('commits, before it closes, the appends still waiting for their commit', async () => {
    const file = join(dir, 'close-pending.sqlite');
    const store = new SqliteEventStore(file);
    const appended = store.appendToStream('s', [event('waiting')]);
    await store.close();
    await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 0n });
    const reopened = new SqliteEventStore(file);
    expect((await reopened.readAll()).map((e) => e.id)).toEqual(['waiting']);
    await reopened.close();
  });

  it('wakes a live subscription in this process at once on an append, without waiting for its poll of other processes', async () => {
    const store = new SqliteEventStore(join(dir, 'wake.sqlite'));
    // Timers stand still: only the append itself can wake the subscription.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const subscription = store.subscribeToAll();
    try {
      const next = subscription[Symbol.asyncIterator]().next();
      await new Promise((resolve) => setImmediate(resolve));
      await store.appendToStream('s', [event('live')]);
      expect((await next).value).toMatchObject({ id: 'live' });
    } finally {
      jest.useRealTimers();
      await subscription.close();
      await store.close();
    }
  });

  it('delivers nothing more once closed, though the page it read holds more', async () => {
    // A feed closes its subscription when its credential is revoked: what was read with the event
    // before the close must not follow it.
    const store = new SqliteEventStore(join(dir, 'closed.sqlite'));
    await store.appendToStream('s', [event('one'), event('two'), event('three')]);
    const subscription = store.subscribeToAll();
    const delivered: string[] = [];
    for await (const recorded of subscription) {
      delivered.push(recorded.id);
      await subscription.close();
    }
    await store.close();
    expect(delivered).toEqual(['one']);
  });
});
