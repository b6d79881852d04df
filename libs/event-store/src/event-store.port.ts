/**
 * The one interface every part of Reclaim uses to reach the log. Revisions and positions follow
 * EventStoreDB: a stream's first event has revision 0, and positions grow in commit order.
 */

/** Who caused an event: a staff member, the requester of a ticket, an integrator, or the engine. */
export interface Actor {
  kind: 'staff' | 'requester' | 'integrator' | 'system' | 'public';
  id: string;
}

/** The staff member behind an actor, where there is one: integrators are staff members too. */
export function staffMemberOf(actor: Actor | undefined): string | undefined {
  return actor && (actor.kind === 'staff' || actor.kind === 'integrator') ? actor.id : undefined;
}

export interface EventMetadata {
  actor?: Actor;
  correlationId?: string;
  causationId?: string;
  /** When the fact happened in the domain (ISO-8601); may differ from recordedAt for timers. */
  occurredAt: string;
  schemaVersion: number;
  /** Hash of the previous event of the same stream ('' for the first), set by the store. */
  prevHash?: string;
  /** Hash over this event's content and prevHash, set by the store. */
  hash?: string;
}

/** What a caller hands to appendToStream. `id` makes re-appends idempotent. */
export interface NewEvent<T = unknown> {
  id: string;
  type: string;
  data: T;
  metadata: Omit<EventMetadata, 'prevHash' | 'hash'>;
  /**
   * When another store recorded it first: set by a copy of a log (`copyLog`) only, so that the
   * copy keeps the times `?at=` reads. Left out, the store records the time of its commit.
   */
  recordedAt?: string;
}

/** A global position written as text (by the API, the CLI): a decimal number, as positions fit 64 bits. */
export const POSITION = /^\d{1,20}$/;

export interface RecordedEvent<T = unknown> {
  id: string;
  type: string;
  data: T;
  metadata: EventMetadata;
  streamName: string;
  revision: bigint;
  position: bigint;
  /** When the store committed the event (ISO-8601). */
  recordedAt: string;
}

/** `any`: no check; `no_stream`: must not exist; `stream_exists`: must exist; bigint: last revision. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as expectedRevision next time. */
  nextExpectedRevision: bigint;
  /** Global position of the last event of the batch. */
  position: bigint;
  /**
   * True when the batch had been appended before (the same event ids, a retry): nothing was
   * written, and the answer is the first append's. The caller's view of the stream may then be
   * older than that append, which another process (or an answer lost) made.
   */
  repeated?: true;
}

export interface ReadStreamOptions {
  fromRevision?: bigint;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

export interface AllFilter {
  /** Keep events whose stream name starts with one of these. */
  streamPrefixes?: string[];
  /** Keep events of exactly these types. */
  eventTypes?: string[];
}

/**
 * Where a read of the whole log starts. Positions given here must be 0 or positions this store
 * gave out: EventStoreDB can start a read only where an event is (its positions are byte offsets,
 * and position + 1 lies inside an event), so "the page after position p" is asked as `after: p`.
 */
export interface ReadAllOptions {
  /** Inclusive: the first event returned is the one at this position, or the first after it. */
  fromPosition?: bigint;
  /** Exclusive, like a checkpoint: the events after this position. */
  after?: bigint;
  maxCount?: number;
  filter?: AllFilter;
}

export interface SubscribeOptions {
  /** Exclusive, like a checkpoint: events after this position. Omitted: from the start. */
  fromPosition?: bigint;
  filter?: AllFilter;
}

/**
 * Catch-up then live, until closed. Iterating pulls: a slow consumer is never dropped, it only
 * reads later. Closing ends the iteration.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/** Which store holds the log: the embedded SQLite file, or an EventStoreDB server or cluster. */
export type EventStoreKind = 'sqlite' | 'eventstoredb';

export interface EventStore {
  /** Which adapter this is, for /health and logs. */
  readonly kind: EventStoreKind;
  appendToStream(stream: string, events: NewEvent[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult>;
  /** Events of one stream; an unknown stream reads as empty. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * The event at exactly this position, or undefined when none of ours is there (a number this
   * store never gave out, or past the end of the log). Positions that come from outside (an
   * integrator's `after`, a redelivery) are checked with it before any read starts from them:
   * EventStoreDB refuses a read from anywhere but an event.
   */
  eventAt(position: bigint): Promise<RecordedEvent | undefined>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /**
   * The last revision and hash of every stream, where the store keeps them apart from the events
   * (SQLite): the audit then also notices a stream's last event going missing. In pages, in
   * stream-name order: up to `limit` heads of streams named after `after`.
   */
  streamHeads?(page: { after?: string; limit: number }): Promise<Array<{ stream: string; revision: bigint; hash: string }>>;
  /** Position of the last event in the log (0n when empty). */
  headPosition(): Promise<bigint>;
  close(): Promise<void>;
}

/** Nest injection token for the configured EventStore. */
export const EVENT_STORE = Symbol('EVENT_STORE');
