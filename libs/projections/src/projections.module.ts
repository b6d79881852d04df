import { Inject, Logger, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { CLOCK, RECOVERY_CONFIG, type Clock, type RecoveryConfig } from '@reclaim/recovery';
import { ProjectionRunner } from './projection-runner';
import type { Projector } from './projector';
import { allProjectors } from './projectors';
import { QUERY_HANDLERS } from './queries/query-handlers';
import { TicketQueries } from './queries/ticket-queries';
import { openReadModelDb, READ_MODEL_DB, type ReadModelDb } from './read-model-db';
import { TicketTimers } from './timers/ticket-timers';

export interface ProjectionsOptions {
  dataDir: string;
  /** Every read model to keep; the product's own by default. */
  projectors?: () => Projector[];
  /** Fire SLA and reply timers in this process (on by default). */
  timers?: boolean;
}

const logger = new Logger('Projections');

/** The read side: projector loops, read models, query handlers and the timers that read them. */
@Module({})
export class ProjectionsModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly runner: ProjectionRunner,
    private readonly timers: TicketTimers,
    @Inject('PROJECTIONS_OPTIONS') private readonly options: ProjectionsOptions,
  ) {}

  static forRoot(options: ProjectionsOptions): DynamicModule {
    return {
      module: ProjectionsModule,
      // Global: the read models are what the API, the auth guard and the integrations all read.
      global: true,
      imports: [CqrsModule],
      providers: [
        { provide: 'PROJECTIONS_OPTIONS', useValue: options },
        { provide: READ_MODEL_DB, inject: [EVENT_STORE], useFactory: (store: EventStore) => openReadModelDb(store, options.dataDir) },
        {
          provide: ProjectionRunner,
          inject: [EVENT_STORE, READ_MODEL_DB],
          useFactory: async (store: EventStore, db: ReadModelDb) => {
            const runner = new ProjectionRunner(store, db, (options.projectors ?? allProjectors)(), (error) => logger.error(`projection failed: ${(error as Error).message}`));
            await runner.checkLog(db.name);
            // Until it is built, reads of it show less than the log holds: the operator should know why.
            for (const name of runner.builtAgain) logger.log(`read model ${name} is of a new version: it is built again from the whole log (see /health for how far)`);
            return runner;
          },
        },
        {
          provide: TicketQueries,
          inject: [READ_MODEL_DB, EVENT_STORE, RECOVERY_CONFIG],
          useFactory: (db: ReadModelDb, store: EventStore, policy: RecoveryConfig) => new TicketQueries(db, store, policy),
        },
        {
          provide: TicketTimers,
          inject: [READ_MODEL_DB, CommandBus, CLOCK, RECOVERY_CONFIG],
          useFactory: (db: ReadModelDb, bus: CommandBus, clock: Clock, config: RecoveryConfig) =>
            new TicketTimers(db, bus, clock, config, (error) => logger.warn(`timer failed: ${(error as Error).message}`)),
        },
        ...QUERY_HANDLERS,
      ],
      exports: [ProjectionRunner, TicketQueries, TicketTimers, READ_MODEL_DB],
    };
  }

  onApplicationBootstrap(): void {
    this.runner.start();
    if (this.options.timers !== false) this.timers.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.timers.stop();
    await this.runner.stop();
  }
}
