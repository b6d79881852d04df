import { ANY, BACKWARDS, END, NO_STREAM, START, StreamNotFoundError, WrongExpectedVersionError, type AppendExpectedRevision, type EventStoreDBClient, type ReadPosition, type ReadRevision } from '@eventstore/db-client';

interface StoredEvent {
  event: { streamId: string; id: string; type: string; data: unknown; metadata: unknown; isJson: true; created: Date; revision: bigint; position: { commit: bigint; prepare: bigint } };
}

/**
 * A stand-in for an EventStoreDB server's streams and `$all`, as @eventstore/db-client shows them,
 * for the adapter's tests (the adapter against a real server is the contract suite, run when
 * EVENTSTORE_CONNECTION_STRING is set). What it keeps of the server: an append names the exact
 * revision it expects (or no stream, or any) and is refused with WrongExpectedVersionError
 * otherwise; reading a stream that does not exist fails with StreamNotFoundError; every event gets
 * a larger `$all` position; a forward read of `$all` starts at an event's own position and
 * includes it, a backward one gives the events before a position; each event is stamped with the
 * time of its append. `meanwhile` runs another writer's work just before the adapter's next append
 * reaches the server: the moment between its read and its write.
 */
export function standInEventStoreDb() {
  const streams = new Map<string, StoredEvent[]>();
  const log: StoredEvent[] = [];
  let commit = 0n;
  const meanwhile: Array<() => Promise<unknown>> = [];
  let interjecting = false;
  const client = {
    readStream(stream: string, { direction, fromRevision, maxCount = Number.MAX_SAFE_INTEGER }: { direction?: string; fromRevision?: ReadRevision; maxCount?: number | bigint }) {
      return (async function* () {
        const stored = streams.get(stream);
        if (!stored) throw new StreamNotFoundError(undefined, stream);
        const backwards = direction === BACKWARDS;
        const from = fromRevision === undefined || fromRevision === START || fromRevision === END ? undefined : fromRevision;
        const selected = backwards ? [...stored].reverse().filter(({ event }) => from === undefined || event.revision <= from) : stored.filter(({ event }) => from === undefined || event.revision >= from);
        yield* selected.slice(0, Number(maxCount));
      })();
    },
    readAll({ direction, fromPosition = START, maxCount = Number.MAX_SAFE_INTEGER }: { direction?: string; fromPosition?: ReadPosition; maxCount?: number | bigint } = {}) {
      return (async function* () {
        const from = fromPosition === START || fromPosition === END ? undefined : fromPosition.commit;
        const selected =
          direction === BACKWARDS
            ? [...log].reverse().filter(({ event }) => from === undefined || event.position.commit < from)
            : log.filter(({ event }) => from === undefined || event.position.commit >= from);
        yield* selected.slice(0, Number(maxCount));
      })();
    },
    async appendToStream(stream: string, events: Array<{ id: string; type: string; data: unknown; metadata: unknown }>, { expectedRevision }: { expectedRevision: AppendExpectedRevision }) {
      // The other writer's own appends do not wait on yet another writer.
      if (!interjecting && meanwhile.length) {
        interjecting = true;
        try {
          await meanwhile.shift()!();
        } finally {
          interjecting = false;
        }
      }
      const stored = streams.get(stream) ?? [];
      const current = stored.length ? BigInt(stored.length - 1) : undefined;
      const ok = expectedRevision === ANY || (expectedRevision === NO_STREAM ? current === undefined : expectedRevision === current);
      if (!ok) throw new WrongExpectedVersionError(undefined, { streamName: stream, expected: expectedRevision, current: current ?? NO_STREAM });
      for (const { id, type, data, metadata } of events) {
        commit += 100n;
        const event: StoredEvent = { event: { streamId: stream, id, type, data, metadata, isJson: true, created: new Date(), revision: BigInt(stored.length), position: { commit, prepare: commit } } };
        stored.push(event);
        log.push(event);
      }
      streams.set(stream, stored);
      return { success: true, nextExpectedRevision: BigInt(stored.length - 1), position: { commit, prepare: commit } };
    },
    async dispose() {},
  } as unknown as EventStoreDBClient;
  return { client, streams, meanwhile };
}
