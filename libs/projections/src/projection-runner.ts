import type Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import type { EventStore, RecordedEvent, Subscription } from '@reclaim/event-store';
import type { Projector } from './projector';


interface Loop {
  projector: Projector;
  position: bigint;
  subscription?: Subscription;
  stopped: boolean;
  done: Promise<void>;
}

/**
 * Runs each projector on its own checkpointed loop: catch-up in pages (one transaction a page),
 * then a live subscription (one transaction an event). Every event is seen by every projector, so
 * a checkpoint says "processed the log up to here" and `waitFor(position)` can rely on it.
 */
export class ProjectionRunner {
  private readonly loops = new Map<string, Loop>();
  private readonly progress = new EventEmitter().setMaxListeners(0);
  private failure?: Error;

  constructor(
    private readonly store: EventStore,
    readonly db: Database.Database,
    private readonly projectors: Projector[],
    private readonly onError: (projector: string, error: unknown) => void = () => undefined,
    /** Events a catch-up transaction applies at most. */
    private readonly pageSize = 2000,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
      name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)`);
    for (const projector of projectors) projector.setup(db);
  }

  /** Starts every loop; a projector whose version changed is rebuilt from zero first. */
  start(): void {
    for (const projector of this.projectors) {
      const row = this.db.prepare('SELECT position, version FROM projection_checkpoints WHERE name = ?').get(projector.name) as
        | { position: number; version: number }
        | undefined;
      if (row && row.version !== projector.version) this.resetProjector(projector);
      this.startLoop(projector, row && row.version === projector.version ? BigInt(row.position) : 0n);
    }
  }

  async stop(): Promise<void> {
    const loops = [...this.loops.values()];
    for (const loop of loops) {
      loop.stopped = true;
      await loop.subscription?.close();
    }
    await Promise.all(loops.map((loop) => loop.done));
    this.loops.clear();
  }

  /** Projector name → position of the last event it processed. */
  positions(): Record<string, string> {
    return Object.fromEntries([...this.loops.values()].map((loop) => [loop.projector.name, loop.position.toString()]));
  }

  /** The lowest checkpoint: every read model has processed the log at least this far. */
  position(): bigint {
    const positions = [...this.loops.values()].map((loop) => loop.position);
    return positions.length ? positions.reduce((a, b) => (a < b ? a : b)) : 0n;
  }

  /** Resolves true once every read model has processed `position`, false after `timeoutMs`. */
  async waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    if (this.position() >= position) return true;
    return new Promise((resolve) => {
      const check = () => {
        if (this.position() < position) return;
        finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.progress.off('progress', check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.progress.on('progress', check);
    });
  }

  /**
   * Empties one read model and replays the whole log into it; resolves when it has caught up with
   * the log as it was when the rebuild began. `onProgress` hears about each page.
   */
  async rebuild(name: string, onProgress?: (position: bigint, head: bigint) => void): Promise<void> {
    const projector = this.projectors.find((p) => p.name === name);
    if (!projector) throw new Error(`no projector named ${name}`);
    const loop = this.loops.get(name);
    if (loop) {
      loop.stopped = true;
      await loop.subscription?.close();
      await loop.done;
    }
    this.resetProjector(projector);
    const head = await this.store.headPosition();
    const listener = (projectorName: string, position: bigint) => projectorName === name && onProgress?.(position, head);
    this.progress.on('page', listener);
    this.startLoop(projector, 0n);
    await this.waitFor(head, 24 * 3_600_000);
    this.progress.off('page', listener);
  }

  /** Replays the log into a projector until it reaches the current head, without a live loop (CLI). */
  async catchUp(onProgress?: (name: string, position: bigint, head: bigint) => void): Promise<void> {
    const head = await this.store.headPosition();
    for (const projector of this.projectors) {
      let position = this.checkpoint(projector);
      while (position < head) {
        const page = await this.store.readAll({ fromPosition: position + 1n, maxCount: this.pageSize });
        if (page.length === 0) break;
        position = this.applyPage(projector, page);
        onProgress?.(projector.name, position, head);
      }
    }
  }

  private checkpoint(projector: Projector): bigint {
    const row = this.db.prepare('SELECT position FROM projection_checkpoints WHERE name = ?').get(projector.name) as { position: number } | undefined;
    return BigInt(row?.position ?? 0);
  }

  /** Empties one read model and its checkpoint (the CLI then catches up). */
  reset(name: string): void {
    const projector = this.projectors.find((p) => p.name === name);
    if (!projector) throw new Error(`no projector named ${name}; known: ${this.names().join(', ')}`);
    this.resetProjector(projector);
  }

  names(): string[] {
    return this.projectors.map((p) => p.name);
  }

  /** Stored checkpoints, whether or not loops run (CLI). */
  checkpoints(): Record<string, bigint> {
    return Object.fromEntries(this.projectors.map((p) => [p.name, this.checkpoint(p)]));
  }

  private resetProjector(projector: Projector): void {
    this.db.transaction(() => {
      projector.reset(this.db);
      this.saveCheckpoint(projector, 0n);
    })();
  }

  private saveCheckpoint(projector: Projector, position: bigint): void {
    this.db
      .prepare(
        `INSERT INTO projection_checkpoints (name, position, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, version = excluded.version, updated_at = excluded.updated_at`,
      )
      .run(projector.name, position, projector.version, new Date().toISOString());
  }

  /** Applies events and moves the checkpoint in one transaction. */
  private applyPage(projector: Projector, events: RecordedEvent[]): bigint {
    const last = events[events.length - 1]!.position;
    this.db.transaction(() => {
      for (const event of events) projector.apply(this.db, event);
      this.saveCheckpoint(projector, last);
    })();
    return last;
  }

  private startLoop(projector: Projector, from: bigint): void {
    const loop: Loop = { projector, position: from, stopped: false, done: Promise.resolve() };
    this.loops.set(projector.name, loop);
    const advance = (position: bigint) => {
      loop.position = position;
      this.progress.emit('page', projector.name, position);
      this.progress.emit('progress');
    };
    loop.done = (async () => {
      while (!loop.stopped) {
        try {
          // Catch up page by page until a page comes back empty...
          const page = await this.store.readAll({ fromPosition: loop.position + 1n, maxCount: this.pageSize });
          if (page.length > 0) {
            advance(this.applyPage(projector, page));
            continue;
          }
          // ...then follow the log live from the checkpoint.
          loop.subscription = this.store.subscribeToAll({ fromPosition: loop.position });
          for await (const event of loop.subscription) {
            if (loop.stopped) break;
            advance(this.applyPage(projector, [event]));
          }
        } catch (error) {
          if (loop.stopped || !this.db.open) return;
          this.failure = error as Error;
          this.onError(projector.name, error);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })();
  }

  /** The last error a loop met, for /health. */
  lastError(): Error | undefined {
    return this.failure;
  }
}
