import { DuplicateEventIds, WrongExpectedRevision, type EventStore } from '@reclaim/event-store';
import type { Clock } from './clock';
import { toNewEvents, type CommandMeta, type DecidedEvent, type FoldableEvent } from './decided-event';
import { StaleRevision } from './errors';
import type { CommandIds } from './command-ids';

/** What a stream's state must carry for the runner: its revision and the commands applied. */
export interface FoldedState {
  revision: bigint;
  commandIds: CommandIds;
}

/** The bookkeeping every fold carries for the runner: the revision folded, the commands applied. */
export function foldBookkeeping(state: FoldedState, stored: FoldableEvent): FoldedState {
  return {
    revision: stored.revision ?? state.revision + 1n,
    commandIds: stored.metadata?.causationId ? state.commandIds.add(stored.metadata.causationId) : state.commandIds,
  };
}

export interface Fold<S extends FoldedState> {
  initialState: () => S;
  evolve: (state: S, event: FoldableEvent) => S;
}

export interface RunOptions<S> {
  /** The revision the caller last saw: the command is refused (StaleRevision) unless the state is still at it. */
  ifMatch?: bigint;
  /** Which revision If-Match names, where the caller sees fewer events than the stream holds; the stream's by default. */
  revisionOf?: (state: S) => bigint;
  /** What the stream is, as a stale If-Match's refusal names it: a ticket by default. */
  what?: string;
}

export interface RunResult<S> {
  state: S;
  /** Position of the last event this command wrote (or, for a repeat, of the stream's last). */
  position: bigint;
  /** True when the command had been applied before (a retry): this run appended nothing. */
  repeat: boolean;
}

/** How many streams' folded states are kept: the ones least recently folded further go first. */
export const STREAM_CACHE_LIMIT = 10_000;

/**
 * How often a command decides again when others appended to its stream first. Deciding again on
 * what is stored is always right (the decider judges the newest state), so a lost race is not
 * the caller's problem: six admins deactivated at once all meet on the roster stream, and notes
 * added together all land. The bound only ends a command that keeps losing under heavy contention.
 */
const CONFLICTS_DECIDED_AGAIN = 20;

/**
 * How long a command waits before it decides again after losing a race to another process: a
 * random time up to 1 ms, doubling with each race lost, up to 64 ms. Commands of one process take
 * turns (see `run`), but those of several processes on one stream (servers sharing a file or an
 * EventStoreDB cluster) meet only at the expected revision. Deciding again at once, they kept
 * colliding where a decision waits on reads (each a round trip on EventStoreDB): a burst of 100
 * such commands from each of four processes refused one in ten past ten tries (none now, with
 * the waits and twenty tries). Waiting a random while spreads them out, as the winner's append
 * lands meanwhile.
 */
function waitAfterConflict(conflicts: number): Promise<void> {
  const ms = Math.random() * Math.min(64, 2 ** (conflicts - 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Load, fold, decide, append: the one path every command takes. Folded states are cached by
 * stream and revision, so a command decides on the cached state and reads only the events it
 * has not seen: when the append says there are some, or before it answers a refusal or a
 * decision to do nothing. On a conflict it reloads and decides again, up to
 * `CONFLICTS_DECIDED_AGAIN` times, unless If-Match no longer holds on what it reloaded.
 */
export class StreamRunner {
  private readonly cache = new Map<string, { revision: bigint; state: FoldedState; position: bigint }>();
  /** Per stream, the end of the latest command on it in this process (see `run`). */
  private readonly turns = new Map<string, Promise<void>>();

  constructor(private readonly store: EventStore, private readonly clock: Clock) {}

  async load<S extends FoldedState>(stream: string, fold: Fold<S>): Promise<{ state: S; position: bigint }> {
    const cached = this.cache.get(stream) as { revision: bigint; state: S; position: bigint } | undefined;
    const fresh = await this.store.readStream(stream, { fromRevision: cached ? cached.revision + 1n : 0n });
    let state = cached?.state ?? fold.initialState();
    let position = cached?.position ?? 0n;
    for (const event of fresh) {
      state = fold.evolve(state, event);
      position = event.position;
    }
    if (fresh.length) this.remember(stream, { revision: state.revision, state, position });
    return { state, position };
  }

  /**
   * Commands on one stream in this process take turns. Run side by side, all but one would be
   * refused by the expected revision and decide again, and a burst of them (forty requests for one
   * username at once) ran out of tries (409). Those of other processes still meet the revision. A
   * decision may run a command on another stream (a verification claims the recovery on the
   * username's requests), never on its own, which would wait for itself.
   */
  async run<S extends FoldedState>(
    stream: string,
    fold: Fold<S>,
    meta: CommandMeta,
    decide: (state: S) => DecidedEvent[] | Promise<DecidedEvent[]>,
    options: RunOptions<S> = {},
  ): Promise<RunResult<S>> {
    const before = this.turns.get(stream);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.turns.set(stream, mine);
    try {
      if (before) await before;
      return await this.runInTurn(stream, fold, meta, decide, options);
    } finally {
      done();
      if (this.turns.get(stream) === mine) this.turns.delete(stream);
    }
  }

  private async runInTurn<S extends FoldedState>(
    stream: string,
    fold: Fold<S>,
    meta: CommandMeta,
    decide: (state: S) => DecidedEvent[] | Promise<DecidedEvent[]>,
    options: RunOptions<S>,
  ): Promise<RunResult<S>> {
    const revisionOf = options.revisionOf ?? ((state: S) => state.revision);
    let conflictsLeft = CONFLICTS_DECIDED_AGAIN;
    for (let attempt = 1; ; attempt++) {
      // The first attempt decides on the cached state without reading the stream: if another
      // process wrote since, the expected revision refuses the append, and the next attempt reads
      // what it missed (that refusal is not counted as a conflict). If-Match compares against the
      // stream as stored, so it always reads.
      const cached = attempt === 1 && options.ifMatch === undefined ? (this.cache.get(stream) as { state: S; position: bigint } | undefined) : undefined;
      const { state, position } = cached ?? (await this.load(stream, fold));
      if (state.commandIds.has(meta.commandId)) return { state, position, repeat: true };
      if (options.ifMatch !== undefined && options.ifMatch !== revisionOf(state)) throw new StaleRevision(options.ifMatch, revisionOf(state), options.what);
      // A refusal, or a decision that nothing needs doing, appends nothing, so no expected
      // revision would show that the cached state was stale: those are judged again on the
      // stream as stored before they are answered.
      let decided: DecidedEvent[];
      try {
        decided = await decide(state);
      } catch (error) {
        if (cached) continue;
        throw error;
      }
      if (decided.length === 0) {
        if (cached) continue;
        return { state, position, repeat: false };
      }
      const now = this.clock.now();
      const events = toNewEvents(stream, decided, meta, now);
      try {
        const result = await this.store.appendToStream(stream, events, {
          expectedRevision: state.revision < 0n ? 'no_stream' : state.revision,
        });
        // The store found this command's events already stored (their ids come from the command
        // id): it was applied before, by another process or by a try whose answer was lost, and
        // the state decided on may be older than that. The stream as stored says what it did.
        if (result.repeated) return await this.storedRepeat(stream, fold, meta);
        let next = state;
        events.forEach((event, i) => {
          next = fold.evolve(next, { type: event.type, data: event.data, metadata: event.metadata, revision: state.revision + 1n + BigInt(i) });
        });
        this.remember(stream, { revision: next.revision, state: next, position: result.position });
        return { state: next, position: result.position, repeat: false };
      } catch (error) {
        // Some of its events are stored, from a try decided on another state (with fewer or more
        // events): applied before too.
        if (error instanceof DuplicateEventIds) return this.storedRepeat(stream, fold, meta, error);
        // The cached state is still right for its revision: the reload reads only the newer events,
        // and then judges If-Match again (the events another wrote may be ones it does not count).
        if (!(error instanceof WrongExpectedRevision)) throw error;
        if (cached) continue;
        if (conflictsLeft-- === 0) throw error;
        await waitAfterConflict(CONFLICTS_DECIDED_AGAIN - conflictsLeft);
      }
    }
  }

  /** A command applied before, as the stream as stored shows it; `refusal` stands unless it shows the command. */
  private async storedRepeat<S extends FoldedState>(stream: string, fold: Fold<S>, meta: CommandMeta, refusal?: Error): Promise<RunResult<S>> {
    const { state, position } = await this.load(stream, fold);
    if (refusal && !state.commandIds.has(meta.commandId)) throw refusal;
    return { state, position, repeat: true };
  }

  private remember(stream: string, entry: { revision: bigint; state: FoldedState; position: bigint }): void {
    this.cache.delete(stream);
    this.cache.set(stream, entry);
    if (this.cache.size > STREAM_CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
  }
}
