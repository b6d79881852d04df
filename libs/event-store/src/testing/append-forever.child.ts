// Child process of the durability and race tests. Modes:
//   append-forever FILE: appends one event at a time to a few streams and prints each one's id
//     only after appendToStream returned, i.e. once it was acknowledged.
//   race FILE STREAM N: appends N events to STREAM with exact expected revisions, re-reading and
//     retrying on conflict, and prints the number of conflicts it met.
import { randomUUID } from 'node:crypto';
import { WrongExpectedRevision } from '../errors';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';

async function appendForever(file: string): Promise<void> {
  const store = new SqliteEventStore(file);
  for (let n = 0; ; n++) {
    const id = randomUUID();
    await store.appendToStream(`durable-${n % 4}`, [
      { id, type: 'Appended', data: { n, pad: 'p'.repeat(n % 500) }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } },
    ]);
    process.stdout.write(`${id}\n`);
  }
}

async function race(file: string, stream: string, count: number): Promise<void> {
  const store = new SqliteEventStore(file);
  let conflicts = 0;
  for (let n = 0; n < count; n++) {
    for (;;) {
      const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      try {
        await store.appendToStream(stream, [
          { id: randomUUID(), type: 'Raced', data: { pid: process.pid, n }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } },
        ], { expectedRevision: last ? last.revision : 'no_stream' });
        break;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision)) throw error;
        conflicts++;
      }
    }
  }
  process.stdout.write(`${conflicts}\n`);
  await store.close();
}

const [mode, file, stream, count] = process.argv.slice(2);
(mode === 'race' ? race(file!, stream!, Number(count)) : appendForever(file!)).catch((error) => {
  console.error(error);
  process.exit(1);
});
