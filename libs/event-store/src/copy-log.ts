import type { EventStore, NewEvent, RecordedEvent } from './event-store.port';

export interface CopyReport {
  /** Events copied by this run. */
  copied: number;
  /** The source's position an earlier run had copied up to, where this one went on from. */
  resumedAfter?: bigint;
  /** The source's position the target now holds a copy of every event up to (0: an empty log). */
  through: bigint;
}

/** The source's events read at once: big enough that reading costs little, small enough to hold. */
const PAGE = 500;

/**
 * Copies a whole log into another store (an embedded one into EventStoreDB, when a deployment
 * outgrows one machine), in log order and one stream's run of events at a time, so that the copy
 * holds the same events in the same order: the same ids, types, data, metadata and revisions.
 * Each stream's hash chain therefore comes out the same, and so does the log digest that
 * `verify` prints, which a reviewer may have recorded; and each event keeps the time the source
 * recorded it, which `?at=` reads.
 *
 * A copy cut short goes on where it stopped when run again (the target's newest event must be
 * the source's event of that stream and revision); a target holding anything else is refused.
 * Events appended to the source while it runs are copied if the walk reaches them; run it again
 * once the servers are stopped to copy the rest.
 */
export async function copyLog(source: EventStore, target: EventStore, onProgress: (copied: number) => void = () => undefined): Promise<CopyReport> {
  const resumeAfter = await whereTheCopyStopped(source, target);
  let after = resumeAfter?.position ?? 0n;
  let copied = 0;
  for (;;) {
    const page = await source.readAll({ after, maxCount: PAGE });
    if (page.length === 0) break;
    for (const run of runsOfOneStream(page)) {
      const first = run[0]!;
      // The exact revision: a target that moved meanwhile (a server started on it) is refused, not interleaved.
      await target.appendToStream(first.streamName, run.map(asCopy), { expectedRevision: first.revision === 0n ? 'no_stream' : first.revision - 1n });
    }
    copied += page.length;
    after = page[page.length - 1]!.position;
    onProgress(copied);
  }
  return { copied, ...(resumeAfter ? { resumedAfter: resumeAfter.position } : {}), through: after };
}

/** The source's event that the target's newest one is a copy of; none for an empty target. */
async function whereTheCopyStopped(source: EventStore, target: EventStore): Promise<RecordedEvent | undefined> {
  const head = await target.headPosition();
  if (head === 0n) return undefined;
  const newest = await target.eventAt(head);
  const [original] = newest ? await source.readStream(newest.streamName, { fromRevision: newest.revision, maxCount: 1 }) : [];
  if (!newest || original?.id !== newest.id || original.revision !== newest.revision) {
    throw new Error('the target store holds events that are not a copy of this log: copy into an empty one');
  }
  return original;
}

/** Consecutive events of one stream, each run one append, in log order. */
function* runsOfOneStream(page: RecordedEvent[]): Generator<RecordedEvent[]> {
  let run: RecordedEvent[] = [];
  for (const event of page) {
    if (run.length && run[0]!.streamName !== event.streamName) {
      yield run;
      run = [];
    }
    run.push(event);
  }
  if (run.length) yield run;
}

/** The event as the target appends it: its links are made again there, to the same hashes. */
function asCopy(event: RecordedEvent): NewEvent {
  const { prevHash: _prevHash, hash: _hash, ...metadata } = event.metadata;
  return { id: event.id, type: event.type, data: event.data, metadata, recordedAt: event.recordedAt };
}
