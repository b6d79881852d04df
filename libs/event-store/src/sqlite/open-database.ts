import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { makeDirectory } from './make-directory';

/** How long a connection waits for another process's lock before it gives up. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (and creates, with its directory, if new) a SQLite file in WAL mode with FULL sync: an
 * acknowledged commit is on disk even if the machine, not just the process, dies.
 */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') makeDirectory(dirname(file));
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    enterWalMode(db);
    db.pragma('synchronous = FULL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Runs `write` committing without its own fsync (`synchronous=NORMAL`), then puts the
 * connection's own setting back. For writes that need not wait for the disk: in WAL mode a crash
 * of the process loses none of them, and a power cut only those after the last durable commit on
 * the file. (Set with `pragma()` each time: SQLite applies a prepared `PRAGMA synchronous` when
 * preparing it, not when run.)
 */
export function withoutFsync<T>(db: Database.Database, write: () => T): T {
  const durability = ownDurability(db);
  db.pragma('synchronous = NORMAL');
  try {
    return write();
  } finally {
    db.pragma(`synchronous = ${durability}`);
  }
}

/** Each connection's own `synchronous` setting, read once: reading it costs more than setting it. */
const durabilities = new WeakMap<Database.Database, number>();
function ownDurability(db: Database.Database): number {
  let durability = durabilities.get(db);
  if (durability === undefined) {
    durability = db.pragma('synchronous', { simple: true }) as number;
    durabilities.set(db, durability);
  }
  return durability;
}

/**
 * Switching a new file to WAL is a write begun inside a read. While another connection (say,
 * another process opening the same new file) holds the write lock, SQLite refuses that at once
 * with SQLITE_BUSY instead of waiting, as a reader waiting on a writer can deadlock. So each
 * opener retries until the file is in WAL mode or the busy timeout is spent.
 */
function enterWalMode(db: Database.Database): void {
  const giveUpAt = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= giveUpAt) throw error;
      sleep(5 + Math.random() * 20);
    }
  }
}

/** Blocks the thread: opening is synchronous, and happens once at start. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
