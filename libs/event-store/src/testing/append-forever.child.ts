// Child process of the durability and race tests. Modes:
//   append-forever FILE: appends one event at a time to a few streams and prints each one's id
//     only after appendToStream returned, i.e. once it was acknowledged.
//   race FILE STREAM N: appends N events to STREAM with exact expected revisions, re-reading and
//     retrying on conflict, and prints the number of conflicts it met.
//   open FILE AT: at epoch ms AT, opens the store (creating and migrating a new file) and closes it.
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

async function openAt(file: string, at: number): Promise<void> {
  // Every process opens at the same moment, so they race to create the schema.
  await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
  await new SqliteEventStore(file).close();
}

const [mode, file, stream, count] = process.argv.slice(2);
const work = mode === 'race' ? race(file!, stream!, Number(count)) : mode === 'open' ? openAt(file!, Number(stream)) : appendForever(file!);
work.catch((error) => {
  console.error(error);
  process.exit(1); // not a skipped test: a child process of the store tests ends with a failure code its parent checks
});
