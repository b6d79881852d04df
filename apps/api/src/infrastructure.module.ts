import { Global, Module } from '@nestjs/common';
import { SecretBox } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { join } from 'node:path';
import { CLOCK, RECOVERY_CONFIG, SECRET_BOX, systemClock, type RecoveryConfig } from '@reclaim/recovery';
import { APP_CONFIG, type AppConfig } from './config';
import { loadSecretKey } from './secret-key';
import { checkSecretKey } from './secret-key-check';

/** The engine's environment: clock, secret box and settings, for every module. */
@Global()
@Module({
  providers: [
    { provide: CLOCK, useValue: systemClock },
    {
      provide: SECRET_BOX,
      inject: [APP_CONFIG, EVENT_STORE],
      useFactory: async (c: AppConfig, store: EventStore) => {
        const box = new SecretBox(loadSecretKey(c.dataDir, c.secretKey));
        await checkSecretKey(store, box, c.secretKey ? 'RECLAIM_SECRET_KEY' : join(c.dataDir, 'secret.key'));
        return box;
      },
    },
    {
      provide: RECOVERY_CONFIG,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig): RecoveryConfig => ({ slaResponseMs: c.slaResponseMs, replyTimeoutMs: c.replyTimeoutMs, bcryptCost: c.bcryptCost }),
    },
  ],
  exports: [CLOCK, SECRET_BOX, RECOVERY_CONFIG],
})
export class InfrastructureModule {}
