import { SqliteEventStore } from '@reclaim/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from './clock';
import { CommandIds } from './command-ids';
import { foldBookkeeping, STREAM_CACHE_LIMIT, StreamRunner, type Fold, type FoldedState } from './stream-runner';

/** The smallest fold: how many events a stream holds. */
interface Counted extends FoldedState {
  count: number;
}
const countFold: Fold<Counted> = {
  initialState: () => ({ revision: -1n, commandIds: CommandIds.empty(), count: 0 }),
  evolve: (state, event) => ({ ...foldBookkeeping(state, event), count: state.count + 1 }),
};
const counted = [{ type: 'Counted', data: {} }];

/**
 * The runner keeps each stream's folded state, so that a command reads only the events it has not
 * folded yet; and keeps a bounded number of them, so that a long-running server does not hold
 * every stream it ever touched. Both show in the revisions it asks the store to read from.
 */
describe('StreamRunner cache', () => {
  let dir: string;
  let store: SqliteEventStore;
  /** Another connection to the same file, as another process would have. */
  let elsewhere: SqliteEventStore;
  let runner: StreamRunner;
  let readFrom: Map<string, bigint[]>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-runner-'));
    store = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
    elsewhere = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
    runner = new StreamRunner(store, systemClock);
    readFrom = new Map();
    const read = store.readStream.bind(store);
    jest.spyOn(store, 'readStream').mockImplementation((stream, options) => {
      readFrom.set(stream, [...(readFrom.get(stream) ?? []), options?.fromRevision ?? 0n]);
      return read(stream, options);
    });
  });
  afterEach(async () => {
    await Promise.all([store.close(), elsewhere.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  let commands = 0;
  const append = (stream: string) => runner.run(stream, countFold, { commandId: `command-${commands++}`, actor: { kind: 'system', id: 'test' } }, () => counted);
  /** Writes one event to each stream, as another process would. */
  const appendElsewhere = (streams: string[]) => {
    const other = new StreamRunner(elsewhere, systemClock);
    return Promise.all(streams.map((stream) => other.run(stream, countFold, { commandId: `elsewhere-${commands++}`, actor: { kind: 'system', id: 'test' } }, () => counted)));
  };

  it('reads only the events a load has not folded yet', async () => {
    await appendElsewhere(['s']);
    await appendElsewhere(['s']);
    expect((await runner.load('s', countFold)).state.count).toBe(2);
    await appendElsewhere(['s']);
    expect((await runner.load('s', countFold)).state.count).toBe(3);
    expect(readFrom.get('s')).toEqual([0n, 2n]);
  });

  it(`keeps at most ${STREAM_CACHE_LIMIT} streams, letting go of the one folded least recently`, async () => {
    const others = Array.from({ length: STREAM_CACHE_LIMIT - 2 }, (_, i) => `other-${i}`);
    await appendElsewhere(['first', 'second', ...others, 'last']);
    await runner.load('first', countFold);
    await runner.load('second', countFold);
    for (const stream of others) await runner.load(stream, countFold);
    // A command on the first stream folds it again, so the second is now the one folded least recently.
    await append('first');
    await runner.load('last', countFold);

    readFrom.clear();
    expect((await runner.load('first', countFold)).state.count).toBe(2);
    expect((await runner.load('second', countFold)).state.count).toBe(1);
    expect(readFrom.get('first')).toEqual([2n]);
    expect(readFrom.get('second')).toEqual([0n]);
  }, 60_000);
});

/**
 * Runs `test` with a runner for each of `count` processes, each on a connection of its own to one
 * file, as processes sharing the embedded store are.
 */
async function onOneFile(count: number, test: (runners: StreamRunner[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-runner-'));
  const stores = Array.from({ length: count }, () => new SqliteEventStore(join(dir, 'reclaim.sqlite')));
  try {
    await test(stores.map((store) => new StreamRunner(store, systemClock)));
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fold that keeps which command wrote each event, to tell a stream's true history from another. */
interface Written extends FoldedState {
  by: string[];
}
const writtenFold: Fold<Written> = {
  initialState: () => ({ revision: -1n, commandIds: CommandIds.empty(), by: [] }),
  evolve: (state, event) => ({ ...foldBookkeeping(state, event), by: [...state.by, String(event.metadata?.causationId)] }),
};
const written = { type: 'Written', data: {} };

describe('StreamRunner retries', () => {
  it('answers a command applied by another process since its cached state as the repeat it is, and keeps the stream as stored', () =>
    onOneFile(2, async ([runner, other]) => {
      const command = (runOn: StreamRunner, commandId: string) => runOn.run('s', writtenFold, { commandId, actor: { kind: 'system', id: 'test' } }, () => [written]);
      await command(runner!, 'first'); // cached here at revision 0
      // Elsewhere, another command, then the one whose answer was lost there.
      await command(other!, 'second');
      await command(other!, 'lost');
      // Its retry reaches this process, whose cached state is older than both: the store finds
      // its events stored (the same ids) and answers with the first append.
      const retried = await command(runner!, 'lost');
      expect([retried.repeat, retried.state.by]).toEqual([true, ['first', 'second', 'lost']]);
      // Taken as a new append, it was folded onto the old state: ['first', 'lost'] at revision 1,
      // and every later load went on from there.
      await command(other!, 'third');
      expect((await runner!.load('s', writtenFold)).state.by).toEqual(['first', 'second', 'lost', 'third']);
    }));

  it('answers as a repeat a retry decided on another state than its first try, with more events', () =>
    onOneFile(2, async ([runner, other]) => {
      // Two events on a stream of one event, one otherwise: as a decision that also closes what it finds open.
      const command = (runOn: StreamRunner, commandId: string) =>
        runOn.run('s', writtenFold, { commandId, actor: { kind: 'system', id: 'test' } }, (state) => (state.by.length === 1 ? [written, written] : [written]));
      await command(runner!, 'zero'); // cached here at one event
      await command(other!, 'first');
      await command(other!, 'lost');
      // The retry decides two events on its cached state; the first one's id is stored (the first try's one event), the second's not.
      const retried = await command(runner!, 'lost');
      expect([retried.repeat, retried.state.by]).toEqual([true, ['zero', 'first', 'first', 'lost']]);
    }));
});

/**
 * Commands of one process on one stream take turns; those of several processes meet only at the
 * expected revision.
 */
describe('StreamRunner across processes', () => {
  it('lands every one of a burst of commands on one stream from four processes at once, each once', () =>
    onOneFile(4, async (runners) => {
      let commands = 0;
      const burst = runners.flatMap((runner) =>
        Array.from({ length: 100 }, () =>
          runner.run('s', countFold, { commandId: `command-${commands++}`, actor: { kind: 'system', id: 'test' } }, async () => {
            // A decision that waits, as one reading other streams does (a verification's look at
            // the username's claims): the window in which another process appends first. It is
            // widest on EventStoreDB, where each read and append is a round trip over the network;
            // through HTTP on one shared file, the same burst met no refusal even before.
            await new Promise(setImmediate);
            return counted;
          }),
        ),
      );
      const outcomes = await Promise.allSettled(burst);
      // Deciding again at once, about one in ten was refused (WrongExpectedRevision) past its tries.
      expect(outcomes.filter(({ status }) => status === 'rejected')).toEqual([]);
      expect((await runners[0]!.load('s', countFold)).state.count).toBe(400);
    }));
});
