import { Global, Module } from '@nestjs/common';
import { SecretBox } from '@reclaim/credentials';
import { CLOCK, RECOVERY_CONFIG, SECRET_BOX, systemClock, type RecoveryConfig } from '@reclaim/recovery';
import { APP_CONFIG, type AppConfig } from './config';
import { loadSecretKey } from './secret-key';

/** The engine's environment: clock, secret box and settings, for every module. */
@Global()
@Module({
  providers: [
    { provide: CLOCK, useValue: systemClock },
    { provide: SECRET_BOX, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new SecretBox(loadSecretKey(c.dataDir, c.secretKey)) },
    {
      provide: RECOVERY_CONFIG,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig): RecoveryConfig => ({ slaResponseMs: c.slaResponseMs, replyTimeoutMs: c.replyTimeoutMs, bcryptCost: c.bcryptCost }),
    },
  ],
  exports: [CLOCK, SECRET_BOX, RECOVERY_CONFIG],
})
export class InfrastructureModule {}
