import type { ExpectedRevision } from './event-store.port';

/** The stream was not at the revision the writer expected. `actual` is -1n for no stream. */
export class WrongExpectedRevision extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint,
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${actual < 0n ? 'no stream' : actual}`);
    this.name = 'WrongExpectedRevision';
  }
}

/**
 * Some, but not all, of a batch's event ids are already in the stream, or the batch repeats one:
 * not a clean retry.
 */
export class DuplicateEventIds extends Error {
  constructor(readonly stream: string, readonly ids: string[]) {
    super(`stream ${stream}: event ids ${ids.join(', ')} are taken, by a different batch or earlier in this one`);
    this.name = 'DuplicateEventIds';
  }
}

/** The store cannot be reached or refused the request for a reason other than concurrency. */
export class EventStoreUnavailable extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = 'EventStoreUnavailable';
  }
}

/** Checks an expected revision against the stream's current one (-1n: no stream). */
export function checkExpectedRevision(stream: string, expected: ExpectedRevision, current: bigint): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current < 0n) ||
    (expected === 'stream_exists' && current >= 0n) ||
    (typeof expected === 'bigint' && expected === current);
  if (!ok) throw new WrongExpectedRevision(stream, expected, current);
}
