import { eventStoreContract } from '../testing/event-store.contract';
import { jsonEvent } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { connectToEventStoreDb, maskPassword } from './connect';
import { EventStoreDbEventStore } from './esdb-event-store';

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

if (connectionString) {
  eventStoreContract(`EventStoreDB (${maskPassword(connectionString, connectionString)})`, {
    open: async () => new EventStoreDbEventStore(connectionString),
  });

  describe('EventStoreDB: the server\'s own events', () => {
    it('the head is our newest event, however many system events come after it', async () => {
      const store = new EventStoreDbEventStore(connectionString);
      const client = connectToEventStoreDb(connectionString);
      try {
        const ours = await store.appendToStream(`head-${randomUUID()}`, [{ id: randomUUID(), type: 'Happened', data: {}, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }]);
        const noise = Array.from({ length: 120 }, () => jsonEvent({ type: '$noise', data: {} }));
        await client.appendToStream(`$reclaim-noise-${randomUUID()}`, noise);
        expect(await store.headPosition()).toBe(ours.position);
      } finally {
        await client.dispose();
        await store.close();
      }
    });
  });
} else {
  // Skipped, and said so: the suite needs a real EventStoreDB server, and none is configured.
  console.warn('EventStoreDB contract suite SKIPPED: EVENTSTORE_CONNECTION_STRING is not set.');
  describe.skip('EventStore contract: EventStoreDB (SKIPPED: set EVENTSTORE_CONNECTION_STRING, e.g. esdb://localhost:2113?tls=false)', () => {
    it('needs a server', () => undefined);
  });
}
