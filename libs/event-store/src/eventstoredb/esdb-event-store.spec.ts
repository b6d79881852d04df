import { eventStoreContract } from '../testing/event-store.contract';
import { maskPassword } from './connect';
import { EventStoreDbEventStore } from './esdb-event-store';

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

if (connectionString) {
  eventStoreContract(`EventStoreDB (${maskPassword(connectionString, connectionString)})`, {
    open: async () => new EventStoreDbEventStore(connectionString),
  });
} else {
  // Skipped, and said so: the suite needs a real EventStoreDB server, and none is configured.
  console.warn('EventStoreDB contract suite SKIPPED: EVENTSTORE_CONNECTION_STRING is not set.');
  describe.skip('EventStore contract: EventStoreDB (SKIPPED: set EVENTSTORE_CONNECTION_STRING, e.g. esdb://localhost:2113?tls=false)', () => {
    it('needs a server', () => undefined);
  });
}
