import { join } from 'node:path';
import type { EventStore, EventStoreKind } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb/esdb-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/** `RECLAIM_EVENT_STORE`, as the server and the operator CLI both read it; throws what it takes. */
export function parseEventStoreKind(raw: string): EventStoreKind {
  if (raw !== 'sqlite' && raw !== 'eventstoredb') throw new Error('sqlite or eventstoredb');
  return raw;
}

export interface EventStoreConfig {
  kind: EventStoreKind;
  dataDir: string;
  connectionString?: string;
}

/** The embedded store's file inside RECLAIM_DATA_DIR. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'reclaim.sqlite');
}

export function createEventStore(config: EventStoreConfig): EventStore {
  if (config.kind === 'eventstoredb') {
    if (!config.connectionString) {
      throw new Error('RECLAIM_EVENT_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING (e.g. esdb://host:2113?tls=true)');
    }
    return new EventStoreDbEventStore(config.connectionString);
  }
  return new SqliteEventStore(sqliteFile(config.dataDir));
}
