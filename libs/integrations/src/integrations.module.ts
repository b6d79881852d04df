import { Inject, Logger, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import type { SecretBox } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { READ_MODEL_DB, type ReadModelDb } from '@reclaim/projections';
import { RecoveryModule, SECRET_BOX } from '@reclaim/recovery';
import { EventFeeds } from './feed/event-feeds';
import { DeliveryLog } from './webhooks/delivery-log';
import { ChangeWebhookHandler, CreateWebhookHandler, DeleteWebhookHandler, RecordDeliveryChangeHandler, RotateWebhookSecretHandler, SetWebhookEnabledHandler } from './webhooks/webhook.commands';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WEBHOOK_SETTINGS, type WebhookSettings } from './webhooks/webhook-settings';

const logger = new Logger('Webhooks');

/** Integrators' side: the SSE feed's lifecycle, webhook subscriptions and their delivery. */
@Module({})
export class IntegrationsModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly dispatcher: WebhookDispatcher, @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings) {}

  static forRoot(settings: WebhookSettings): DynamicModule {
    return {
      module: IntegrationsModule,
      imports: [CqrsModule, RecoveryModule],
      providers: [
        { provide: WEBHOOK_SETTINGS, useValue: settings },
        { provide: DeliveryLog, inject: [READ_MODEL_DB], useFactory: (db: ReadModelDb) => new DeliveryLog(db) },
        {
          provide: WebhookDispatcher,
          inject: [EVENT_STORE, READ_MODEL_DB, DeliveryLog, SECRET_BOX, CommandBus],
          useFactory: (store: EventStore, db: ReadModelDb, log: DeliveryLog, secrets: SecretBox, commands: CommandBus) =>
            new WebhookDispatcher(store, db, log, secrets, commands, settings, (error) => logger.warn(`delivery failed: ${(error as Error).message}`)),
        },
        EventFeeds,
        CreateWebhookHandler,
        ChangeWebhookHandler,
        SetWebhookEnabledHandler,
        RotateWebhookSecretHandler,
        DeleteWebhookHandler,
        RecordDeliveryChangeHandler,
      ],
      exports: [DeliveryLog, WebhookDispatcher, EventFeeds, WEBHOOK_SETTINGS],
    };
  }

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.dispatcher.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
  }
}
