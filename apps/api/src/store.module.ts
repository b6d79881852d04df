import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createEventStore, EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { APP_CONFIG, type AppConfig } from './config';

/** Provides the configured EventStore to the whole app and closes it cleanly on shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        createEventStore({ kind: config.eventStore, dataDir: config.dataDir, connectionString: config.eventStoreConnectionString }),
    },
  ],
  exports: [EVENT_STORE],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
