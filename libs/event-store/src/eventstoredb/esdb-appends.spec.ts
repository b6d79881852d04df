import { randomUUID } from 'node:crypto';
import { DuplicateEventIds, EventStoreUnavailable, WrongExpectedRevision } from '../errors';
import type { NewEvent } from '../event-store.port';
import { EMPTY_CHAIN, linksTo } from '../hash-chain';
import { standInEventStoreDb } from '../testing/esdb-stand-in';
import { EventStoreDbEventStore } from './esdb-event-store';

const happened = (id = randomUUID()): NewEvent => ({ id, type: 'Happened', data: { id }, metadata: { occurredAt: '2026-11-28T00:00:00.000Z', schemaVersion: 1 } });

/** How the adapter appends, against a stand-in for the server's streams (see `standInEventStoreDb`). */
describe('EventStoreDB adapter: appending', () => {
  let server: ReturnType<typeof standInEventStoreDb>;
  let store: EventStoreDbEventStore;
  let other: EventStoreDbEventStore;
  beforeEach(() => {
    server = standInEventStoreDb();
    store = new EventStoreDbEventStore('esdb://unused', server.client);
    other = new EventStoreDbEventStore('esdb://unused', server.client);
  });
  const stored = async (stream: string) => (await store.readStream(stream)).map((e) => e.id);

  it('writes at the revision it read, each event chained to the one before it', async () => {
    const first = await store.appendToStream('ticket-1', [happened(), happened()], { expectedRevision: 'no_stream' });
    const second = await store.appendToStream('ticket-1', [happened()], { expectedRevision: first.nextExpectedRevision });
    const events = await store.readStream('ticket-1');
    expect([first, second]).toEqual([
      { nextExpectedRevision: 1n, position: events[1]!.position },
      { nextExpectedRevision: 2n, position: events[2]!.position },
    ]);
    let chain = EMPTY_CHAIN;
    for (const event of events) {
      expect(linksTo(chain, event)).toBe(true);
      chain = { next: event.revision + 1n, hash: event.metadata.hash! };
    }
    expect(await store.readStream('ticket-2')).toEqual([]);
  });

  it('answers a retry of a stored batch with its first answer and writes nothing, and refuses a batch that takes some of its ids', async () => {
    const batch = [happened(), happened()];
    const first = await store.appendToStream('ticket-1', batch);
    await store.appendToStream('ticket-1', [happened()]);
    expect(await store.appendToStream('ticket-1', batch, { expectedRevision: 'no_stream' })).toEqual({ ...first, repeated: true });
    await expect(store.appendToStream('ticket-1', [batch[1]!, happened()])).rejects.toBeInstanceOf(DuplicateEventIds);
    expect(await stored('ticket-1')).toHaveLength(3);
  });

  it('when another writer gets in between its read and its write, reads again: appends after it if it may, refuses if the caller expected otherwise', async () => {
    const theirs = happened();
    server.meanwhile.push(() => other.appendToStream('ticket-1', [theirs]));
    const mine = happened();
    expect(await store.appendToStream('ticket-1', [mine])).toMatchObject({ nextExpectedRevision: 1n });
    expect(await stored('ticket-1')).toEqual([theirs.id, mine.id]);
    // Its hash links to the other writer's event, which it had not read when it first tried.
    const [, after] = await store.readStream('ticket-1');
    expect(after!.metadata.prevHash).toBe((await store.readStream('ticket-1'))[0]!.metadata.hash);

    server.meanwhile.push(() => other.appendToStream('ticket-1', [happened()]));
    await expect(store.appendToStream('ticket-1', [happened()], { expectedRevision: 1n })).rejects.toEqual(new WrongExpectedRevision('ticket-1', 1n, 2n));
    server.meanwhile.push(() => other.appendToStream('ticket-2', [happened()]));
    await expect(store.appendToStream('ticket-2', [happened()], { expectedRevision: 'no_stream' })).rejects.toEqual(new WrongExpectedRevision('ticket-2', 'no_stream', 0n));
    expect(await stored('ticket-1')).toHaveLength(3);
    expect(await stored('ticket-2')).toHaveLength(1);
  });

  it('finds its own batch when an earlier try of it got in between, and writes it once', async () => {
    const batch = [happened(), happened()];
    server.meanwhile.push(() => other.appendToStream('ticket-1', batch));
    const answer = await store.appendToStream('ticket-1', batch, { expectedRevision: 'no_stream' });
    expect(await stored('ticket-1')).toEqual(batch.map((e) => e.id));
    // This call wrote nothing: the answer is the earlier try's, and says so.
    expect(answer).toEqual({ nextExpectedRevision: 1n, position: (await store.readStream('ticket-1'))[1]!.position, repeated: true });
  });

  it('gives up after ten writers in a row got in between, with the revision it last found', async () => {
    for (let i = 0; i < 10; i++) server.meanwhile.push(() => other.appendToStream('ticket-1', [happened()]));
    await expect(store.appendToStream('ticket-1', [happened()])).rejects.toEqual(new WrongExpectedRevision('ticket-1', 'any', 9n));
    expect(await stored('ticket-1')).toHaveLength(10);
    // One fewer, and the tenth try goes through.
    for (let i = 0; i < 9; i++) server.meanwhile.push(() => other.appendToStream('ticket-2', [happened()]));
    await expect(store.appendToStream('ticket-2', [happened()])).resolves.toMatchObject({ nextExpectedRevision: 9n });
  });

  it('answers any other failure of the server as the store being unavailable', async () => {
    server.meanwhile.push(async () => {
      throw new Error('14 UNAVAILABLE: No connection established');
    });
    const failed = store.appendToStream('ticket-1', [happened()]);
    await expect(failed).rejects.toBeInstanceOf(EventStoreUnavailable);
    await expect(failed).rejects.toThrow('EventStoreDB: 14 UNAVAILABLE');
    expect(await stored('ticket-1')).toEqual([]);
  });

  it('says once that the server is unavailable when an answer without a position sends it to the head, and the head cannot be read', async () => {
    Object.assign(server.client, {
      appendToStream: async () => ({ success: true, nextExpectedRevision: 0n, position: undefined }),
      readAll: () => {
        throw new Error('14 UNAVAILABLE: No connection established');
      },
    });
    await expect(store.appendToStream('ticket-1', [happened()])).rejects.toEqual(new EventStoreUnavailable('EventStoreDB: 14 UNAVAILABLE: No connection established'));
  });
});
