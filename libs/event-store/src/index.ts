export * from './event-store.port';
export * from './errors';
export { canonicalJson, EMPTY_CHAIN, eventHash, linksTo, type ChainEnd } from './hash-chain';
export { SqliteEventStore } from './sqlite/sqlite-event-store';
export { openDatabase, withoutFsync } from './sqlite/open-database';
export { makeDirectory } from './sqlite/make-directory';
export { processAlive } from './sqlite/process-alive';
export { EventStoreDbEventStore } from './eventstoredb/esdb-event-store';
export { createEventStore, parseEventStoreKind, sqliteFile, type EventStoreConfig } from './create-event-store';
