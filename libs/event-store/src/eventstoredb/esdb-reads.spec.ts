import { BACKWARDS, END, START, UnknownError, type EventStoreDBClient, type ReadAllOptions } from '@eventstore/db-client';
import { EventStoreUnavailable } from '../errors';
import { EventStoreDbEventStore } from './esdb-event-store';

/**
 * How the adapter pages through `$all`, against a stand-in for the server's read of it (the
 * adapter against a real server is the contract suite, run when EVENTSTORE_CONNECTION_STRING is
 * set). What the stand-in keeps of the server: positions are byte offsets of records of
 * different sizes; a forward read starts at an event's own position and includes it, a backward
 * read gives the events before a position; a read from anywhere else is refused, as the server
 * answers "invalid position" (see AllReader and TFChunk in EventStoreDB's source), which reaches the
 * client as gRPC's INVALID_ARGUMENT (RpcExceptions.InvalidPositionException) and is passed on as an
 * UnknownError carrying that code.
 */
function serverLog(records: Array<{ stream: string; type: string }>) {
  let offset = 0n;
  const log = records.map(({ stream, type }, i) => {
    const position = offset;
    offset += 90n + BigInt((i * 37) % 200); // records differ in size
    return { event: { streamId: stream, id: `id-${i}`, isJson: true, revision: 0n, type, created: new Date(0), data: { i }, metadata: {}, position: { commit: position, prepare: position } } };
  });
  const client = {
    readAll({ direction, fromPosition = START, maxCount = Number.MAX_SAFE_INTEGER }: ReadAllOptions = {}) {
      const from = fromPosition === START ? 'start' : fromPosition === END ? 'end' : fromPosition.commit;
      if (typeof from === 'bigint' && !log.some((record) => record.event.position.commit === from)) {
        throw new UnknownError({ code: 3, details: 'Trying to read from an invalid position.', message: '3 INVALID_ARGUMENT: Trying to read from an invalid position.' } as never);
      }
      const selected =
        direction === BACKWARDS
          ? log.filter((r) => from === 'end' || (typeof from === 'bigint' && r.event.position.commit < from)).reverse()
          : log.filter((r) => from === 'start' || (typeof from === 'bigint' && r.event.position.commit >= from));
      return (async function* () {
        yield* selected.slice(0, Number(maxCount));
      })();
    },
  } as unknown as EventStoreDBClient;
  return { client, log };
}

const ours = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ stream: `ticket-${from + i}`, type: 'Happened' }));
const system = (n: number) => Array.from({ length: n }, () => ({ stream: '$stats-node', type: '$statsCollected' }));

describe('EventStoreDB adapter: paging through $all', () => {
  it('reads the events after a position from that position, leaving it out, across its own pages', async () => {
    // Over two of the adapter's pages of 500, with the server's own events in between.
    const server = serverLog([...system(3), ...ours(400), ...system(200), ...ours(800, 400)]);
    const store = new EventStoreDbEventStore('esdb://unused', server.client);
    const all = await store.readAll();
    expect(all.map((e) => e.streamName)).toEqual(ours(1200).map((r) => r.stream));

    const checkpoint = all[599]!.position;
    const after = await store.readAll({ after: checkpoint });
    expect(after.map((e) => e.streamName)).toEqual(ours(600, 600).map((r) => r.stream));
    expect(await store.readAll({ after: all[1199]!.position })).toEqual([]);
    expect((await store.readAll({ fromPosition: checkpoint, maxCount: 2 })).map((e) => e.position)).toEqual([checkpoint, all[600]!.position]);

    // As the projection loop does: page after page, each after the last event of the one before.
    const seen: string[] = [];
    for (let position = 0n; ; ) {
      const page = await store.readAll({ after: position, maxCount: 250 });
      if (page.length === 0 || seen.length > 1200) break;
      seen.push(...page.map((e) => e.streamName));
      position = page[page.length - 1]!.position;
    }
    expect(seen).toEqual(all.map((e) => e.streamName));
  });

  it('answers a read the server refuses as the store being unavailable (503), not as a crash', async () => {
    const store = new EventStoreDbEventStore('esdb://unused', serverLog(ours(3)).client);
    await expect(store.readAll({ fromPosition: 5n })).rejects.toBeInstanceOf(EventStoreUnavailable);
  });

  it('finds the event at a position, and none where no event of ours starts or past the end, without failing', async () => {
    const server = serverLog([...ours(3), ...system(2), ...ours(2, 3)]);
    const store = new EventStoreDbEventStore('esdb://unused', server.client);
    const [, second] = await store.readAll();
    expect(await store.eventAt(second!.position)).toEqual(second);
    expect(await store.eventAt(second!.position + 1n)).toBeUndefined(); // inside an event: the server refuses the read
    expect(await store.eventAt(server.log[3]!.event.position.commit)).toBeUndefined(); // the server's own event
    expect(await store.eventAt(10n ** 15n)).toBeUndefined();
    expect(await store.eventAt(0n)).toBeUndefined();
    // Any other failure is the store being unavailable, not "no such event".
    const broken = { readAll: () => { throw new Error('connection refused'); } } as unknown as EventStoreDBClient;
    await expect(new EventStoreDbEventStore('esdb://unused', broken).eventAt(second!.position)).rejects.toBeInstanceOf(EventStoreUnavailable);
  });

  it('finds the head past any number of the server\'s own events', async () => {
    const server = serverLog([...ours(5), ...system(130)]);
    const store = new EventStoreDbEventStore('esdb://unused', server.client);
    expect(await store.headPosition()).toBe(server.log[4]!.event.position.commit);
    expect(await new EventStoreDbEventStore('esdb://unused', serverLog(system(60)).client).headPosition()).toBe(0n);
  });

  it('refuses a server whose stream reads carry no $all position, saying which version it needs', async () => {
    const streamRead = (position: bigint | undefined) =>
      ({
        readStream: async function* () {
          yield { event: { streamId: 'ticket-1', id: 'id-0', isJson: true, revision: 0n, type: 'Happened', created: new Date(0), data: {}, metadata: {}, position: position === undefined ? undefined : { commit: position, prepare: position } } };
        },
      }) as unknown as EventStoreDBClient;
    // As servers before 22.6 answer: the largest 64-bit number, or nothing (0).
    for (const position of [2n ** 64n - 1n, 0n, undefined]) {
      const read = new EventStoreDbEventStore('esdb://unused', streamRead(position)).readStream('ticket-1');
      await expect(read).rejects.toBeInstanceOf(EventStoreUnavailable);
      await expect(read).rejects.toThrow('Reclaim needs EventStoreDB 22.10 or later');
    }
    expect(await new EventStoreDbEventStore('esdb://unused', streamRead(4242n)).readStream('ticket-1')).toMatchObject([{ position: 4242n, revision: 0n }]);
  });
});
