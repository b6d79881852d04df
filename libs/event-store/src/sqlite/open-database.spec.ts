import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openDatabase, withoutFsync } from './open-database';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaim-open-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Another connection, on its own thread, that holds a write lock on `file` for `ms`. */
function writeLockFor(file: string, ms: number): Promise<Worker> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require('better-sqlite3');
     const db = new Database(workerData.file);
     db.exec('BEGIN IMMEDIATE');
     parentPort.postMessage('locked');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
     db.exec('COMMIT');
     db.close();`,
    { eval: true, workerData: { file, ms } },
  );
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

describe('openDatabase', () => {
  it('creates the directory and opens the file in WAL mode with FULL sync', () => {
    const db = openDatabase(join(dir, 'nested', 'new.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('waits for a writer in another connection instead of failing to switch a new file to WAL', async () => {
    const file = join(dir, 'opened-while-locked.sqlite');
    const worker = await writeLockFor(file, 300);
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    await exited;
  });

  it('puts FULL sync back after a write without fsync, also when the write fails, so later appends wait for the disk', () => {
    const db = openDatabase(join(dir, 'durability.sqlite'));
    const synchronous = () => db.pragma('synchronous', { simple: true });
    expect(withoutFsync(db, () => (db.exec('CREATE TABLE t (x)'), synchronous()))).toBe(1); // NORMAL meanwhile
    expect(synchronous()).toBe(2);
    expect(() => withoutFsync(db, () => db.exec('INSERT INTO missing VALUES (1)'))).toThrow(/no such table/);
    expect(synchronous()).toBe(2);
    db.close();
  });

  it('still gives up on errors other than a busy file', () => {
    const file = join(dir, 'not-a-database.sqlite');
    writeFileSync(file, 'x'.repeat(4096));
    expect(() => openDatabase(file)).toThrow(/not a database/);
  });
});
