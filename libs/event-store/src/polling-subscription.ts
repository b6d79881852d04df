import type { RecordedEvent, Subscription } from './event-store.port';

/**
 * A subscription that always reads "after the last position it delivered" from the log, both
 * while catching up and when live. There is no separate live channel to switch to, so there is no
 * gap and no duplicate at the switch; waiting only decides when to read again. Iteration pulls,
 * so a slow consumer just reads later.
 */
export function pollingSubscription(source: {
  after: bigint;
  readBatch: (after: bigint) => Promise<RecordedEvent[]>;
  waitForMore: (signal: AbortSignal) => Promise<void>;
}): Subscription {
  const closing = new AbortController();
  async function* events(): AsyncGenerator<RecordedEvent> {
    let after = source.after;
    while (!closing.signal.aborted) {
      const batch = await source.readBatch(after);
      for (const event of batch) {
        if (closing.signal.aborted) return;
        yield event;
        after = event.position;
      }
      if (batch.length === 0) await source.waitForMore(closing.signal);
    }
  }
  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: async () => {
      closing.abort();
    },
  };
}
