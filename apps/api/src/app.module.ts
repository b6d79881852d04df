import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { everyProjector, IntegrationsModule } from '@reclaim/integrations';
import { ProjectionsModule } from '@reclaim/projections';
import { RecoveryModule } from '@reclaim/recovery';
import { AccountsController } from './accounts/accounts.controller';
import { AuditController } from './audit/audit.controller';
import { AccessGuard } from './auth/access.guard';
import { CredentialsService } from './auth/credentials.service';
import { APP_CONFIG, type AppConfig } from './config';
import { EventsController } from './events/events.controller';
import { HealthController } from './health/health.controller';
import { ClientLimits } from './http/client-limits';
import { ProblemFilter } from './http/problem.filter';
import { ShutdownFlag } from './http/shutdown-flag';
import { InfrastructureModule } from './infrastructure.module';
import { HttpMetrics } from './metrics/http-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { QueuesController } from './queues/queues.controller';
import { StaffController } from './staff/staff.controller';
import { StoreModule } from './store.module';
import { TicketsController } from './tickets/tickets.controller';
import { WebhooksController } from './webhooks/webhooks.controller';

@Module({})
export class AppModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        CqrsModule.forRoot(),
        StoreModule,
        InfrastructureModule,
        RecoveryModule,
        ProjectionsModule.forRoot({ dataDir: config.dataDir, projectors: everyProjector }),
        IntegrationsModule.forRoot(config.webhooks),
      ],
      controllers: [
        HealthController,
        TicketsController,
        QueuesController,
        AccountsController,
        StaffController,
        AuditController,
        EventsController,
        WebhooksController,
        MetricsController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        CredentialsService,
        ClientLimits,
        ShutdownFlag,
        HttpMetrics,
      ],
      exports: [APP_CONFIG],
    };
  }
}
