import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  UnknownError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Filter,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { chainEvents, retryOfEarlierAppend } from '../append-rules';
import { connectToEventStoreDb } from './connect';
import { checkExpectedRevision, EventStoreUnavailable, WrongExpectedRevision } from '../errors';
import type {
  AllFilter,
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';

/** How many times an append retries after another writer moved the stream between read and write. */
const MAX_APPEND_ATTEMPTS = 10;
/**
 * How many of a stream's latest events an append reads to find its own ids (a retry). A retry
 * follows its first try within moments, long before a thousand more events reach the stream.
 * Reading whole streams instead would make every submission slower as tickets accumulate: the
 * ticket-number counter gains an event per ticket.
 */
const RETRY_LOOKBACK = 1_000;
const READ_ALL_PAGE = 500;
const HEAD_PAGE = 50;

/**
 * The EventStore port over an EventStoreDB server or cluster (gRPC, @eventstore/db-client).
 *
 * Every append reads the stream's latest events first and then writes with the exact revision it
 * read. That gives three things the server alone does not: the hash chain links to the real
 * predecessor; id de-duplication is durable (the server's own only remembers recent ids, in
 * memory); and `any` and `stream_exists` keep their meaning by retrying when another writer got
 * in between.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  private readonly client: EventStoreDBClient;

  /** `client`: for the tests of how reads are paged, which stand in for a server's $all. */
  constructor(connectionString: string, client?: EventStoreDBClient) {
    this.client = client ?? connectToEventStoreDb(connectionString);
  }

  async appendToStream(
    stream: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('appendToStream needs at least one event');
    const expected = options.expectedRevision ?? 'any';
    for (let attempt = 1; ; attempt++) {
      const latest = await this.readStream(stream, { direction: 'backwards', maxCount: RETRY_LOOKBACK });
      const byId = new Map(latest.map((e) => [e.id, { revision: e.revision, position: e.position }]));
      const retry = retryOfEarlierAppend(stream, events, events.map((e) => byId.get(e.id)));
      if (retry) return retry;
      const last = latest[0];
      const current = last ? last.revision : -1n;
      checkExpectedRevision(stream, expected, current);
      const chained = chainEvents(stream, { revision: current, hash: last?.metadata.hash ?? '' }, events);
      try {
        const result = await this.client.appendToStream(
          stream,
          chained.map((event, i) => ({
            id: event.id,
            contentType: 'application/json' as const,
            type: event.type,
            data: event.data as Record<string, unknown>,
            // The server records the time of its own commit; a copy's first time goes with the
            // metadata, after the hash, which it is not part of (on the embedded store neither).
            metadata: (events[i]!.recordedAt ? { ...event.metadata, [COPIED_RECORDED_AT]: events[i]!.recordedAt } : event.metadata) as unknown as Record<string, unknown>,
          })),
          { expectedRevision: last ? current : NO_STREAM },
        );
        return { nextExpectedRevision: result.nextExpectedRevision, position: result.position?.commit ?? (await this.headPosition()) };
      } catch (error) {
        // Another writer (or an earlier try of this very batch) got in between: read again. The
        // next round either finds the ids, or applies the caller's expectation to the new state.
        if (error instanceof WrongExpectedVersionError && attempt < MAX_APPEND_ATTEMPTS) continue;
        if (error instanceof WrongExpectedVersionError) {
          const actual = typeof error.actualVersion === 'bigint' ? error.actualVersion : -1n;
          throw new WrongExpectedRevision(stream, expected, actual);
        }
        throw unavailable(error);
      }
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision ?? (backwards ? END : START),
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (event && !isLogPosition(event.position)) throw new Error(STREAM_READS_WITHOUT_POSITIONS);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw unavailable(error);
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    try {
      return await this.readAllPages(options);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async eventAt(position: bigint): Promise<RecordedEvent | undefined> {
    if (!isLogPosition(position)) return undefined;
    try {
      for await (const resolved of this.client.readAll({ direction: FORWARDS, fromPosition: at(position), maxCount: 1 })) {
        const event = toRecordedEvent(resolved);
        return event?.position === position ? event : undefined;
      }
      return undefined;
    } catch (error) {
      if (isInvalidPosition(error)) return undefined;
      throw unavailable(error);
    }
  }

  private async readAllPages(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const wanted = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const keep = matches(options.filter);
    const found: RecordedEvent[] = [];
    // A read starts where an event is, and includes it; `after` starts there and leaves it out.
    let start = options.after ?? options.fromPosition;
    let passed = options.after;
    // readAll has no server-side filter: page through and keep what matches.
    for (;;) {
      let count = 0;
      let last: bigint | undefined;
      const read = this.client.readAll({ direction: FORWARDS, fromPosition: at(start), maxCount: READ_ALL_PAGE });
      for await (const resolved of read) {
        count++;
        // The server's own events move the page on too.
        last = resolved.event?.position?.commit ?? last;
        const event = toRecordedEvent(resolved);
        if (!event || (passed !== undefined && event.position <= passed)) continue;
        if (keep(event)) found.push(event);
        if (found.length >= wanted) return found;
      }
      if (count < READ_ALL_PAGE || last === undefined) return found;
      start = passed = last;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const keep = matches(options.filter);
    const subscription = this.client.subscribeToAll({
      fromPosition: at(options.fromPosition),
      filter: serverFilter(options.filter),
    });
    async function* events(): AsyncGenerator<RecordedEvent> {
      for await (const resolved of subscription) {
        const event = toRecordedEvent(resolved);
        if (event && keep(event)) yield event;
      }
    }
    const iterator = events();
    return {
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        await subscription.unsubscribe();
      },
    };
  }

  async headPosition(): Promise<bigint> {
    try {
      return await this.newestOfOurs();
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** The newest event of ours: the server's own events ($-streams, statistics say) may come after it. */
  private async newestOfOurs(): Promise<bigint> {
    for (let from: ReadPosition = END; ; ) {
      let count = 0;
      let oldest: Position | undefined;
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: HEAD_PAGE })) {
        count++;
        const event = toRecordedEvent(resolved);
        if (event) return event.position;
        oldest = resolved.event?.position ?? oldest;
      }
      // Reading backwards from an event's position gives the events before it.
      if (count < HEAD_PAGE || !oldest) return 0n;
      from = oldest;
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

/**
 * Servers before 22.6 give events read from a stream no `$all` position (0, or the largest 64-bit
 * number). Histories, retries and repeated commands answer with those positions, and a client's
 * `?minPosition=` would then wait for a number the log never reaches: such a server is refused
 * with a reason, every time it is read, rather than answered with wrong positions.
 */
const STREAM_READS_WITHOUT_POSITIONS = 'events read from a stream carry no $all position: Reclaim needs EventStoreDB 22.10 or later';

/** Whether a position is one an event of ours can have: a signed 64-bit offset past the log's start. */
function isLogPosition(position: bigint): boolean {
  return position > 0n && position < 2n ** 63n;
}

/** gRPC's INVALID_ARGUMENT, which the client passes on as an UnknownError. */
const GRPC_INVALID_ARGUMENT = 3;

/** The server's answer to a read from where no event starts ("Trying to read from an invalid position."). */
function isInvalidPosition(error: unknown): boolean {
  return error instanceof UnknownError && error.code === GRPC_INVALID_ARGUMENT;
}

/** A position of ours as the client takes it: 0 (or none) is the start of the log. */
function at(position: bigint | undefined): ReadPosition {
  return position ? { commit: position, prepare: position } : START;
}

/** The metadata key of the time another store recorded an event first, on an event copied from it. */
const COPIED_RECORDED_AT = 'recordedAt';

export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$') || !event.isJson) return undefined;
  const stored = (event.metadata ?? {}) as unknown as EventMetadata & { [COPIED_RECORDED_AT]?: string };
  const copiedRecordedAt = stored[COPIED_RECORDED_AT];
  // Copied only where there is a time to take out: every read of the log comes through here.
  const metadata = copiedRecordedAt === undefined ? stored : withoutCopiedTime(stored);
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata,
    streamName: event.streamId,
    revision: event.revision,
    position: event.position?.commit ?? resolved.commitPosition ?? 0n,
    recordedAt: copiedRecordedAt ?? event.created.toISOString(),
  };
}

function withoutCopiedTime({ [COPIED_RECORDED_AT]: _time, ...metadata }: EventMetadata & { [COPIED_RECORDED_AT]?: string }): EventMetadata {
  return metadata;
}

export function matches(filter: AllFilter = {}): (event: RecordedEvent) => boolean {
  return (event) =>
    (!filter.streamPrefixes?.length || filter.streamPrefixes.some((p) => event.streamName.startsWith(p))) &&
    (!filter.eventTypes?.length || filter.eventTypes.includes(event.type));
}

/** The server filters by one thing only; the narrower one goes to the server, the rest is checked here. */
export function serverFilter(filter: AllFilter = {}): Filter {
  if (filter.eventTypes?.length) {
    const escaped = filter.eventTypes.map((type) => type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return eventTypeFilter({ regex: `^(${escaped.join('|')})$` });
  }
  if (filter.streamPrefixes?.length) return streamNameFilter({ prefixes: filter.streamPrefixes });
  return excludeSystemEvents();
}

function unavailable(error: unknown): Error {
  // The head read that stands in for an append's missing position says so itself.
  if (error instanceof EventStoreUnavailable) return error;
  return new EventStoreUnavailable(`EventStoreDB: ${(error as Error)?.message ?? String(error)}`, error);
}
