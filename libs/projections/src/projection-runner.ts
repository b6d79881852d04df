import type Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { withoutFsync, type EventStore, type RecordedEvent, type Subscription } from '@reclaim/event-store';
import { nextTurn } from './next-turn';
import { prepared } from './prepared';
import type { Projector } from './projector';

/** The live loop's state, while it runs. */
interface Loop {
  stopped: boolean;
  subscription?: Subscription;
  done: Promise<void>;
}

/**
 * Runs every projector from one loop over the log: catch-up in pages, then live. Each page is
 * one transaction that applies its events to every projector that has not seen them yet and
 * moves each one's checkpoint, so rows and checkpoints always agree and neither a crash nor a
 * second process on the same file ever applies an event twice. Every projector sees every
 * event, so a checkpoint means "processed the log up to here", which is what `waitFor(position)`
 * relies on.
 */
export class ProjectionRunner {
  private readonly checkpointsByName = new Map<string, bigint>();
  private readonly progress = new EventEmitter().setMaxListeners(0);
  private running?: Loop;
  private failure?: Error;
  /** The read models this runner found at an older version in the file, and builds again from the whole log. */
  readonly builtAgain: string[] = [];

  constructor(
    private readonly store: EventStore,
    readonly db: Database.Database,
    private readonly projectors: Projector[],
    private readonly onError: (error: unknown) => void = () => undefined,
    /** Events a transaction applies at most. */
    private readonly pageSize = 2000,
  ) {
    // Under the write lock: processes starting together on one file each set the tables up, and a
    // check of what is there (a column, a version) must still hold when they act on it.
    db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
        name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)`);
      // The last event a page applied, by position and id: which log the read models come from.
      db.exec(`CREATE TABLE IF NOT EXISTS projection_last_event (
        one INTEGER PRIMARY KEY CHECK (one = 1), position INTEGER NOT NULL, event_id TEXT NOT NULL)`);
      for (const projector of projectors) {
        projector.setup(db);
        const stored = this.storedCheckpoint(projector.name);
        // A projector whose meaning changed (new version) starts again from zero.
        if (stored && stored.version !== projector.version) {
          this.resetProjector(projector);
          this.builtAgain.push(projector.name);
        } else this.checkpointsByName.set(projector.name, stored?.position ?? 0n);
      }
    }).immediate();
  }

  /**
   * Refuses read models built from a log other than the store's: with EventStoreDB they live in a
   * file of the instance's own, which outlives a cluster restored from an older backup, or an
   * EVENTSTORE_CONNECTION_STRING changed to name another cluster. Going on, the loop would skip
   * every new event up to the old checkpoint (new tickets missing from every queue) and serve
   * tickets the log does not hold. They come from this log if it holds, at the position of the
   * last event they applied, that very event.
   */
  async checkLog(where: string): Promise<void> {
    const last = prepared(this.db, 'SELECT position, event_id AS eventId FROM projection_last_event').get() as { position: number; eventId: string } | undefined;
    if (!last) return;
    const event = await this.store.eventAt(BigInt(last.position));
    if (event?.id === last.eventId) return;
    throw new Error(
      `The read models in ${where} were built from another log than this store's: it has ${event ? 'another event' : 'no event'} at position ${last.position}, ` +
        `where they applied event ${last.eventId}. The store was restored from an older backup, or points at another cluster. ` +
        'Move the file away to build them again from this log (webhook subscriptions then start again from their creation, and the answers kept for Idempotency-Keys go with it).',
    );
  }

  start(): void {
    if (this.running) return;
    const state: Loop = { stopped: false, done: Promise.resolve() };
    this.running = state;
    state.done = this.follow(state);
  }

  async stop(): Promise<void> {
    const state = this.running;
    if (!state) return;
    state.stopped = true;
    await state.subscription?.close();
    await state.done;
    this.running = undefined;
  }

  names(): string[] {
    return this.projectors.map((p) => p.name);
  }

  /** Projector name → position of the last event it processed. */
  positions(): Record<string, string> {
    return Object.fromEntries([...this.checkpointsByName].map(([name, position]) => [name, position.toString()]));
  }

  checkpoints(): Record<string, bigint> {
    return Object.fromEntries(this.checkpointsByName);
  }

  /** The lowest checkpoint: every read model has processed the log at least this far. */
  position(): bigint {
    return [...this.checkpointsByName.values()].reduce((a, b) => (a < b ? a : b), BigInt(Number.MAX_SAFE_INTEGER));
  }

  /** Resolves true once every read model has processed `position`, false after `timeoutMs`. */
  async waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.position() >= position) return true;
    return new Promise((resolve) => {
      const check = () => this.position() >= position && finish(true);
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.progress.off('progress', check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.progress.on('progress', check);
    });
  }

  /** Empties one read model and its checkpoint; the loop (or catchUp) then replays the log into it. */
  reset(name: string): void {
    const projector = this.projectors.find((p) => p.name === name);
    if (!projector) throw new Error(`no projector named ${name}; known: ${this.names().join(', ')}`);
    this.resetProjector(projector);
  }

  /** Applies what the read models have not processed yet, up to the current head (CLI). */
  async catchUp(onProgress?: (position: bigint, head: bigint) => void): Promise<void> {
    const head = await this.store.headPosition();
    while (this.position() < head) {
      if (!(await this.applyNextPage())) break;
      onProgress?.(this.position(), head);
    }
  }

  /** The error that stops the loop now, if any, for /health: cleared once a page applies again. */
  lastError(): Error | undefined {
    return this.failure;
  }

  private async follow(state: Loop): Promise<void> {
    while (!state.stopped) {
      try {
        // Catch up page by page until a page comes back empty...
        if (await this.applyNextPage()) continue;
        // (stop() may have come while that page was read: it closed no subscription, so none may
        // be opened now, or the loop would wait on it for ever.)
        if (state.stopped) break;
        // ...then follow the log live. An arriving event is only a wake-up: everything after the
        // checkpoint is read as one page, so a burst of events costs one transaction.
        state.subscription = this.store.subscribeToAll({ fromPosition: this.position() });
        for await (const event of state.subscription) {
          if (state.stopped) break;
          if (event.position > this.position()) await this.applyNextPage();
        }
      } catch (error) {
        if (state.stopped || !this.db.open) return;
        this.failure = error as Error;
        this.onError(error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /**
   * Reads the page after the read models' position and applies it; false when there was none.
   * Then lets the server answer what came meanwhile, as a long way behind (a rebuild, a new
   * projector) is caught up page by page.
   */
  private async applyNextPage(): Promise<boolean> {
    const after = this.position();
    const page = await this.store.readAll({ after, maxCount: this.pageSize });
    if (page.length === 0) return false;
    this.applyPage(after, page);
    await nextTurn();
    return true;
  }

  /**
   * One transaction: each projector applies the page's events after its checkpoint, and moves
   * it. The page holds every event after `after`. Checkpoints are read inside the (IMMEDIATE)
   * transaction rather than taken from memory, because another process on the same file may
   * have applied these events already, or reset a read model since.
   */
  private applyPage(after: bigint, events: RecordedEvent[]): void {
    const last = events[events.length - 1]!.position;
    const checkpoints = new Map<string, bigint>();
    // Read models are derived from the log: a page that a power cut takes back is taken back
    // with its checkpoint, and applied again. So a page commits without waiting for the disk
    // (the next durable commit on the file carries it), sparing the appends an fsync.
    try {
      withoutFsync(this.db, () => this.db.transaction(() => {
        prepared(this.db, 'INSERT OR REPLACE INTO projection_last_event (one, position, event_id) VALUES (1, ?, ?)').run(last, events[events.length - 1]!.id);
        for (const projector of this.projectors) {
          const from = this.storedCheckpoint(projector.name)?.position ?? 0n;
          // Below `after`, the page misses events this read model needs: the loop reads again.
          const applies = from >= after && from < last;
          if (applies) {
            for (const event of events) if (event.position > from) projector.apply(this.db, event);
            projector.flush?.(this.db);
            this.saveCheckpoint(projector, last);
          }
          checkpoints.set(projector.name, applies ? last : from);
        }
      }).immediate());
    } finally {
      for (const projector of this.projectors) projector.discard?.();
    }
    for (const [name, position] of checkpoints) this.checkpointsByName.set(name, position);
    // Applied: whatever failed before (a full disk, a locked file) is over, and /health says so.
    this.failure = undefined;
    this.progress.emit('progress');
  }

  private resetProjector(projector: Projector): void {
    this.db.transaction(() => {
      projector.reset(this.db);
      this.saveCheckpoint(projector, 0n);
    }).immediate();
    this.checkpointsByName.set(projector.name, 0n);
  }

  /** The checkpoint stored in the file, none before a projector's first page. */
  private storedCheckpoint(name: string): { position: bigint; version: number } | undefined {
    const row = prepared(this.db, 'SELECT position, version FROM projection_checkpoints WHERE name = ?').get(name) as
      | { position: number; version: number }
      | undefined;
    return row && { position: BigInt(row.position), version: row.version };
  }

  private saveCheckpoint(projector: Projector, position: bigint): void {
    prepared(
      this.db,
      `INSERT INTO projection_checkpoints (name, position, version, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, version = excluded.version, updated_at = excluded.updated_at`,
    ).run(projector.name, position, projector.version, new Date().toISOString());
  }
}
