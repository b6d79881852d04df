import type Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { chainEvents, retryOfEarlierAppend } from '../append-rules';
import { checkExpectedRevision, EventStoreUnavailable } from '../errors';
import type {
  AllFilter,
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { pollingSubscription } from '../polling-subscription';
import { migrate } from './migrations';
import { openDatabase } from './open-database';

interface PendingAppend {
  stream: string;
  events: NewEvent[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type AppendOutcome = { result: AppendResult; fresh: boolean; error?: undefined } | { error: unknown; result?: undefined; fresh?: undefined };

interface EventRow {
  position: number;
  stream_name: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

/** How often a live subscription looks for events written by another process on the same file. */
const CROSS_PROCESS_POLL_MS = 100;

/**
 * The embedded store: one SQLite file in WAL mode. Each append is one IMMEDIATE transaction, and
 * the UNIQUE (stream_name, revision) constraint makes the database itself refuse a second writer
 * of the same revision, also across processes.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  /** The open database: projectors keep their read models and checkpoints in the same file. */
  readonly database: Database.Database;
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private readonly statements;

  constructor(readonly file: string) {
    this.database = openDatabase(file);
    migrate(this.database);
    const db = this.database;
    this.statements = {
      head: db.prepare<[string], { revision: number; hash: string }>('SELECT revision, hash FROM streams WHERE stream_name = ?'),
      byId: db.prepare<[string, string], { revision: number; position: number }>(
        'SELECT revision, position FROM events WHERE stream_name = ? AND event_id = ?',
      ),
      insert: db.prepare(
        `INSERT INTO events (stream_name, revision, event_id, type, data, metadata, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertHead: db.prepare('INSERT INTO streams (stream_name, revision, hash) VALUES (?, ?, ?)'),
      moveHead: db.prepare('UPDATE streams SET revision = ?, hash = ? WHERE stream_name = ?'),
      forwards: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      backwards: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE stream_name = ? AND revision <= ? ORDER BY revision DESC LIMIT ?',
      ),
      at: db.prepare<[number], EventRow>('SELECT * FROM events WHERE position = ?'),
      maxPosition: db.prepare<[], { head: number | null }>('SELECT MAX(position) AS head FROM events'),
      headsAfter: db.prepare<[string, number], { stream_name: string; revision: number; hash: string }>(
        'SELECT stream_name, revision, hash FROM streams WHERE stream_name > ? ORDER BY stream_name LIMIT ?',
      ),
    };
    this.appendSavepoint = db.transaction(this.appendInTransaction.bind(this));
    this.commitTransaction = db.transaction(this.commitBatch);
  }

  private readonly appendSavepoint;
  private readonly commitTransaction;

  /**
   * Group commit: appends that arrive while a commit is pending share its transaction, and so
   * its one fsync; one refused append (a wrong revision) leaves the others of the batch standing.
   * Every caller is answered only after the commit is on disk.
   */
  appendToStream(stream: string, events: NewEvent[], options: { expectedRevision?: ExpectedRevision } = {}): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('appendToStream needs at least one event'));
    return new Promise((resolve, reject) => {
      this.pending.push({ stream, events, expected: options.expectedRevision ?? 'any', resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.commitPending());
    });
  }

  private pending: PendingAppend[] = [];

  private commitPending(): void {
    const batch = this.pending;
    this.pending = [];
    const outcomes: AppendOutcome[] = [];
    try {
      this.commitTransaction.immediate(batch, outcomes);
    } catch (error) {
      // The commit failed (disk full, database closed), or a batch's only append was refused:
      // nothing of the batch is stored.
      for (const item of batch) item.reject(unavailable(error));
      return;
    }
    if (outcomes.some((outcome) => outcome.fresh)) this.appended.emit('append');
    batch.forEach((item, i) => (outcomes[i]!.error === undefined ? item.resolve(outcomes[i]!.result!) : item.reject(outcomes[i]!.error)));
  }

  /**
   * One transaction for a batch. An append that is alone in its batch needs no savepoint (its
   * refusal rolls back the whole transaction, which holds nothing else); in a larger batch each
   * append is a savepoint, so that one refusal leaves the others standing.
   */
  private readonly commitBatch = (batch: PendingAppend[], outcomes: AppendOutcome[]): void => {
    if (batch.length === 1) {
      const { stream, events, expected } = batch[0]!;
      outcomes.push(this.appendInTransaction(stream, events, expected));
      return;
    }
    for (const item of batch) {
      try {
        outcomes.push(this.appendSavepoint(item.stream, item.events, item.expected));
      } catch (error) {
        // A full disk or an I/O error may make SQLite roll back the whole transaction, not just
        // the savepoint: the batch is then lost as a whole, and the rest of it must not go on to
        // commit one by one outside it while its callers are told it failed.
        if (!this.database.inTransaction) throw error;
        outcomes.push({ error: unavailable(error) });
      }
    }
  };

  private appendInTransaction(
    stream: string,
    events: NewEvent[],
    expected: ExpectedRevision,
  ): { result: AppendResult; fresh: boolean } {
    const found = events.map((event) => {
      const row = this.statements.byId.get(stream, event.id);
      return row && { revision: BigInt(row.revision), position: BigInt(row.position) };
    });
    const retry = retryOfEarlierAppend(stream, events, found);
    if (retry) return { result: retry, fresh: false };
    const head = this.statements.head.get(stream);
    const current = head ? BigInt(head.revision) : -1n;
    checkExpectedRevision(stream, expected, current);

    const recordedAt = new Date().toISOString();
    let position = 0n;
    const chained = chainEvents(stream, { revision: current, hash: head?.hash ?? '' }, events);
    for (const [i, event] of chained.entries()) {
      const info = this.statements.insert.run(
        stream,
        event.revision,
        event.id,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        events[i]!.recordedAt ?? recordedAt,
      );
      position = BigInt(info.lastInsertRowid);
    }
    const last = chained[chained.length - 1]!;
    // The head was read above in this transaction, so whether it exists is known.
    if (head) this.statements.moveHead.run(last.revision, last.metadata.hash, stream);
    else this.statements.insertHead.run(stream, last.revision, last.metadata.hash);
    return { result: { nextExpectedRevision: last.revision, position }, fresh: true };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = options.maxCount ?? -1;
    const rows = backwards
      ? this.statements.backwards.all(stream, Number(options.fromRevision ?? BigInt(Number.MAX_SAFE_INTEGER)), limit)
      : this.statements.forwards.all(stream, Number(options.fromRevision ?? 0n), limit);
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const from = options.after !== undefined ? options.after + 1n : (options.fromPosition ?? 0n);
    return this.readAllSync(from, options.maxCount ?? -1, options.filter);
  }

  async eventAt(position: bigint): Promise<RecordedEvent | undefined> {
    // No row is that far on, and Number() would round such a position onto another.
    if (position > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const row = this.statements.at.get(Number(position));
    return row && toRecordedEvent(row);
  }

  private readonly filteredReads = new Map<string, Database.Statement<unknown[], EventRow>>();

  private readAllSync(fromPosition: bigint, maxCount: number, filter: AllFilter = {}): RecordedEvent[] {
    const prefixes = filter.streamPrefixes ?? [];
    const types = filter.eventTypes ?? [];
    const shape = `${prefixes.length}:${types.length}`;
    let statement = this.filteredReads.get(shape);
    if (!statement) {
      const where = ['position >= ?'];
      if (prefixes.length) where.push(`(${prefixes.map(() => 'substr(stream_name, 1, ?) = ?').join(' OR ')})`);
      if (types.length) where.push(`type IN (${types.map(() => '?').join(', ')})`);
      statement = this.database.prepare<unknown[], EventRow>(
        `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`,
      );
      this.filteredReads.set(shape, statement);
    }
    const prefixArgs = prefixes.flatMap((prefix) => [prefix.length, prefix]);
    return statement.all(Number(fromPosition), ...prefixArgs, ...types, maxCount).map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    return pollingSubscription({
      after: options.fromPosition ?? 0n,
      readBatch: async (after) => this.readAllSync(after + 1n, 500, options.filter),
      waitForMore: (signal) => this.waitForAppend(signal),
    });
  }

  /** Resolves on the next append in this process, or after a short poll for other processes. */
  private waitForAppend(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('append', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, CROSS_PROCESS_POLL_MS);
      this.appended.once('append', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async streamHeads({ after = '', limit }: { after?: string; limit: number }): Promise<Array<{ stream: string; revision: bigint; hash: string }>> {
    const rows = this.statements.headsAfter.all(after, limit);
    return rows.map((row) => ({ stream: row.stream_name, revision: BigInt(row.revision), hash: row.hash }));
  }

  async headPosition(): Promise<bigint> {
    return BigInt(this.statements.maxPosition.get()?.head ?? 0);
  }

  async close(): Promise<void> {
    if (this.pending.length) this.commitPending();
    if (this.database.open) this.database.close();
  }
}

/** SQLite's answers that the file cannot take a write now, whatever was asked. */
const CANNOT_WRITE_NOW = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN)/;

/**
 * A full disk, an I/O error, a read-only file or another process holding the lock past the busy
 * timeout is no fault of the append: it is refused as EventStoreUnavailable (the API answers 503,
 * try again later), as the EventStoreDB adapter does when its server cannot be reached.
 */
function unavailable(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CANNOT_WRITE_NOW.test(code) ? new EventStoreUnavailable(`SQLite: ${code}`, error) : error;
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    streamName: row.stream_name,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    recordedAt: row.recorded_at,
  };
}
