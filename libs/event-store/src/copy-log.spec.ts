import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyLog } from './copy-log';
import type { EventStore, RecordedEvent } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb/esdb-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { standInEventStoreDb } from './testing/esdb-stand-in';

let dir: string;
const opened: EventStore[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaim-copy-log-'));
});
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  rmSync(dir, { recursive: true, force: true });
});

const sqlite = () => {
  const store = new SqliteEventStore(join(dir, `${randomUUID()}.sqlite`));
  opened.push(store);
  return store;
};
const eventStoreDb = () => new EventStoreDbEventStore('esdb://unused', standInEventStoreDb().client);

const happened = (n: number) => ({ id: randomUUID(), type: 'Happened', data: { n, text: 'é "quoted" \u0000' }, metadata: { occurredAt: '2026-11-28T00:00:00.000Z', schemaVersion: 1, actor: { kind: 'staff' as const, id: 'a' } } });

/**
 * A log of several streams whose events interleave, with appends of one event and of several,
 * recorded over a few moments (so that the times differ), as a server writes it.
 */
async function aLog(store: EventStore, appends = 40): Promise<void> {
  for (let i = 0; i < appends; i++) {
    const stream = `ticket-${i % 7}`;
    await store.appendToStream(stream, i % 3 === 0 ? [happened(i), happened(i)] : [happened(i)]);
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The stores a log is copied into. */
const TARGETS: Array<[string, () => EventStore]> = [
  ['the embedded store', sqlite],
  ['EventStoreDB', eventStoreDb],
];

/** Everything of each event but where the store put it. */
const content = (events: RecordedEvent[]) => events.map(({ position: _position, ...event }) => event);

describe('copying a log into another store', () => {
  it.each(TARGETS)('copies every event into %s in log order, with the same ids, data, metadata, revisions, hashes and times recorded', async (_, target) => {
    const source = sqlite();
    await aLog(source);
    const copy = target();
    const report = await copyLog(source, copy);
    const original = await source.readAll();
    expect(report).toEqual({ copied: original.length, through: original[original.length - 1]!.position });
    const copied = await copy.readAll();
    expect(content(copied)).toEqual(content(original));
    // The times are the source's: a log written over a moment holds more than one.
    expect(new Set(copied.map((event) => event.recordedAt)).size).toBeGreaterThan(1);
    // The copy reads as its own log: each event at its position there.
    for (const event of [copied[0]!, copied[copied.length - 1]!]) expect(await copy.eventAt(event.position)).toEqual(event);
    // Once copied, the copy goes on as a log of its own: appends chain onto the copied events.
    await copy.appendToStream('ticket-0', [happened(99)]);
    const [last, previous] = await copy.readStream('ticket-0', { direction: 'backwards', maxCount: 2 });
    expect(last!.metadata.prevHash).toBe(previous!.metadata.hash);
  });

  it.each(TARGETS)('goes on where a copy into %s stopped, and copies what the source gained since', async (_, target) => {
    const source = sqlite();
    await aLog(source);
    const copy = target();
    // The copy breaks off after a few appends (the connection dropped, say).
    let appendsLeft = 5;
    const failing = new Proxy(copy, {
      get: (store, name) =>
        name === 'appendToStream'
          ? (...args: Parameters<EventStore['appendToStream']>) => (appendsLeft-- > 0 ? store.appendToStream(...args) : Promise.reject(new Error('connection lost')))
          : Reflect.get(store, name).bind(store),
    });
    await expect(copyLog(source, failing)).rejects.toThrow('connection lost');
    const partial = await copy.readAll();
    expect(partial.length).toBeGreaterThan(0);

    await aLog(source, 5);
    const report = await copyLog(source, copy);
    const original = await source.readAll();
    const through = original[original.length - 1]!.position;
    expect(report).toEqual({ copied: original.length - partial.length, resumedAfter: original[partial.length - 1]!.position, through });
    expect(content(await copy.readAll())).toEqual(content(original));
    // Run again with nothing new: nothing more is copied.
    expect(await copyLog(source, copy)).toEqual({ copied: 0, resumedAfter: through, through });
    expect(await copy.readAll()).toHaveLength(original.length);
  });

  it.each(TARGETS)('refuses %s when it holds events of another log, and copies nothing into it', async (_, target) => {
    const source = sqlite();
    await aLog(source, 3);
    const copy = target();
    await copy.appendToStream('ticket-0', [happened(0)]);
    await expect(copyLog(source, copy)).rejects.toThrow('the target store holds events that are not a copy of this log: copy into an empty one');
    expect(await copy.readAll()).toHaveLength(1);
  });
});
