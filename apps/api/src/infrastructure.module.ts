import { Global, Module } from '@nestjs/common';
import { openSecretBox } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { CLOCK, RECOVERY_CONFIG, SECRET_BOX, systemClock, type RecoveryConfig } from '@reclaim/recovery';
import { APP_CONFIG, type AppConfig } from './config';

/** The engine's environment: clock, secret box and settings, for every module. */
@Global()
@Module({
  providers: [
    { provide: CLOCK, useValue: systemClock },
    {
      provide: SECRET_BOX,
      inject: [APP_CONFIG, EVENT_STORE],
      useFactory: (c: AppConfig, store: EventStore) => openSecretBox(store, c.dataDir, c.secretKey, { name: true }),
    },
    {
      provide: RECOVERY_CONFIG,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig): RecoveryConfig => ({ slaResponseMs: c.slaResponseMs, slaHighPriorityMs: c.slaHighPriorityMs, replyTimeoutMs: c.replyTimeoutMs, bcryptCost: c.bcryptCost }),
    },
  ],
  exports: [CLOCK, SECRET_BOX, RECOVERY_CONFIG],
})
export class InfrastructureModule {}
