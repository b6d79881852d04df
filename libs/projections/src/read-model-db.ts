import type Database from 'better-sqlite3';
import { openDatabase, SqliteEventStore, type EventStore } from '@reclaim/event-store';
import { join } from 'node:path';

export type ReadModelDb = Database.Database;
export const READ_MODEL_DB = Symbol('READ_MODEL_DB');

/**
 * Where read models live: with the embedded store, in its own database file, so that a
 * projector's rows and checkpoint commit with one transaction on one file; with EventStoreDB, in
 * a SQLite file of this instance's own.
 */
export function openReadModelDb(store: EventStore, dataDir: string): ReadModelDb {
  if (store instanceof SqliteEventStore) return store.database;
  return openDatabase(join(dataDir, 'read-models.sqlite'));
}
