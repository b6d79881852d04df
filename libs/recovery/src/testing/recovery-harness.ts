import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { SecretBox } from '@reclaim/credentials';
import { EVENT_STORE, SqliteEventStore, type EventStore } from '@reclaim/event-store';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECOVERY_CONFIG, SECRET_BOX, type RecoveryConfig } from '../handlers/recovery-config';
import { RecoveryModule } from '../recovery.module';
import { CLOCK } from '../shared/clock';
import type { CommandMeta } from '../shared/decided-event';
import { TestClock } from './test-clock';

type ModuleImports = Array<Type | DynamicModule>;

/**
 * The command side on a real SQLite file, with a clock the test moves. `imports` adds modules
 * (the read side); `dataDir` reopens an earlier harness's data, as a restart would; `store` puts
 * another store in the file's place (the EventStoreDB adapter, say).
 */
export async function recoveryHarness<S extends EventStore = SqliteEventStore>(
  config: Partial<RecoveryConfig> = {},
  options: { imports?: (dir: string) => ModuleImports; dataDir?: string; clock?: TestClock; store?: S } = {},
) {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'reclaim-recovery-'));
  const store = (options.store ?? new SqliteEventStore(join(dir, 'reclaim.sqlite'))) as S;
  const clock = options.clock ?? new TestClock();
  const secrets = new SecretBox(randomBytes(32));
  const fullConfig: RecoveryConfig = { slaResponseMs: 7 * 86_400_000, replyTimeoutMs: 14 * 86_400_000, bcryptCost: 4, ...config };

  @Global()
  @Module({
    providers: [
      { provide: EVENT_STORE, useValue: store },
      { provide: CLOCK, useValue: clock },
      { provide: SECRET_BOX, useValue: secrets },
      { provide: RECOVERY_CONFIG, useValue: fullConfig },
    ],
    exports: [EVENT_STORE, CLOCK, SECRET_BOX, RECOVERY_CONFIG],
  })
  class TestInfrastructure {}

  const moduleRef = await Test.createTestingModule({ imports: [TestInfrastructure, RecoveryModule, ...(options.imports?.(dir) ?? [])] }).compile();
  await moduleRef.init();
  return {
    bus: moduleRef.get(CommandBus),
    store,
    clock,
    secrets,
    moduleRef,
    meta: (actor: CommandMeta['actor'] = { kind: 'public', id: 'anonymous' }): CommandMeta => ({ commandId: randomUUID(), actor }),
    dir,
    /** Stops everything; the data stays when `keepData` (for a restart). */
    close: async (keepData = false) => {
      await moduleRef.close();
      await store.close();
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type RecoveryHarness = Awaited<ReturnType<typeof recoveryHarness<SqliteEventStore>>>;
