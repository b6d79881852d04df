import { DuplicateEventIds } from './errors';
import type { AppendResult, EventMetadata, NewEvent } from './event-store.port';
import { eventHash } from './hash-chain';

/** Where an event id already stands in a stream, if it does. */
export interface StoredId {
  revision: bigint;
  position: bigint;
}

/**
 * Decides whether a batch is a retry of an append that already succeeded. All ids present, in
 * order, as one run: the retry is answered with the first answer. None present: a new append.
 * Anything else is a different batch reusing ids, which is refused, as is a batch that repeats
 * an id of its own.
 */
export function retryOfEarlierAppend(stream: string, events: NewEvent[], found: Array<StoredId | undefined>): AppendResult | undefined {
  const repeated = events.filter((event, i) => events.findIndex((other) => other.id === event.id) !== i);
  if (repeated.length) throw new DuplicateEventIds(stream, repeated.map((event) => event.id));
  if (found.every((row) => row === undefined)) return undefined;
  const first = found[0];
  const sameBatch = first !== undefined && found.every((row, i) => row !== undefined && row.revision === first.revision + BigInt(i));
  if (!sameBatch) throw new DuplicateEventIds(stream, events.filter((_, i) => found[i]).map((event) => event.id));
  const last = found[found.length - 1]!;
  return { nextExpectedRevision: last.revision, position: last.position, repeated: true };
}

/**
 * Gives each new event its revision and the hash chain link to the one before it. The objects are
 * written out rather than copied with keys added, which on Node 20 costs about 1 µs a copy.
 */
export function chainEvents(
  stream: string,
  current: { revision: bigint; hash: string },
  events: NewEvent[],
): Array<NewEvent & { revision: bigint; metadata: EventMetadata }> {
  let { revision, hash: prevHash } = current;
  return events.map(({ id, type, data, metadata }) => {
    revision++;
    const hash = eventHash(prevHash, { id, type, streamName: stream, revision, data, metadata });
    const chained = { id, type, data, revision, metadata: Object.assign({}, metadata, { prevHash, hash }) };
    prevHash = hash;
    return chained;
  });
}
