import { openDatabase, SqliteEventStore } from '@reclaim/event-store';
import { ProjectionRunner } from '@reclaim/projections';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { everyProjector } from '../index';
import { readWebhooks, WebhooksProjector } from './webhooks.projector';

describe('webhooks read model from before owners', () => {
  it('replays an old file to learn who owns each webhook', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-webhooks-owner-'));
    const store = new SqliteEventStore(join(dir, 'events.sqlite'));
    try {
      const metadata = (id: string) => ({ occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1, actor: { kind: 'integrator' as const, id } });
      await store.appendToStream('webhook-w1', [{ id: 'e1', type: 'WebhookCreated', data: { webhookId: 'w1', url: 'https://example.org/hook', types: [], sealedSecret: 's' }, metadata: metadata('p1') }]);
      const { position } = await store.appendToStream('webhook-w1', [{ id: 'e2', type: 'WebhookEnabled', data: {}, metadata: metadata('p2') }]);
      // The read model as version 1 left it: no owner column, caught up to the end.
      const db = store.database;
      db.exec(`CREATE TABLE webhooks (
        webhook_id TEXT PRIMARY KEY, url TEXT NOT NULL, types TEXT NOT NULL, sealed_secret TEXT NOT NULL,
        created_position INTEGER NOT NULL, created_at TEXT NOT NULL, enabled INTEGER NOT NULL, disabled_reason TEXT)`);
      db.prepare("INSERT INTO webhooks VALUES ('w1', 'https://example.org/hook', '[]', 's', 1, '2026-01-01T00:00:00.000Z', 1, NULL)").run();
      db.exec('CREATE TABLE projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)');
      db.prepare("INSERT INTO projection_checkpoints VALUES ('webhooks', ?, 1, '2026-01-01T00:00:00.000Z')").run(position);

      const runner = new ProjectionRunner(store, db, [new WebhooksProjector()]);
      runner.start();
      expect(await runner.waitFor(position, 5000)).toBe(true);
      await runner.stop();
      expect(readWebhooks(db).map(({ webhookId, ownerId, enabled }) => ({ webhookId, ownerId, enabled }))).toEqual([{ webhookId: 'w1', ownerId: 'p2', enabled: true }]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('read models set up by two processes opening a new file at once', () => {
  it('never alters a table the other has just altered: each checks and acts under the write lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-setup-race-'));
    const file = join(dir, 'reclaim.sqlite');
    const ours = openDatabase(file);
    // The other process: it does not wait for a lock, so that this test cannot block on it.
    const theirs = new Database(file, { timeout: 0 });
    try {
      const theirSetup: string[] = [];
      // The other process sets up the same tables at the moment this one has read which columns
      // the webhooks table has (before adding those it lacks: a new file's table lacks some).
      const racing = new Proxy(ours, {
        get(target, property) {
          const value = Reflect.get(target, property);
          if (property !== 'pragma') return typeof value === 'function' ? value.bind(target) : value;
          return (source: string, options?: Database.PragmaOptions) => {
            const answer = target.pragma(source, options);
            if (source === 'table_info(webhooks)' && theirSetup.length === 0) {
              try {
                new ProjectionRunner(undefined as never, theirs, everyProjector());
                theirSetup.push('done');
              } catch (error) {
                theirSetup.push((error as { code?: string }).code ?? String(error));
              }
            }
            return answer;
          };
        },
      });
      expect(() => new ProjectionRunner(undefined as never, racing, everyProjector())).not.toThrow();
      // It had to wait for this one, and then finds every table as it should be.
      expect(theirSetup).toEqual(['SQLITE_BUSY']);
      expect(() => new ProjectionRunner(undefined as never, theirs, everyProjector())).not.toThrow();
      const columns = (theirs.pragma('table_info(webhooks)') as Array<{ name: string }>).map((column) => column.name);
      expect(columns).toEqual(expect.arrayContaining(['owner_id', 'previous_sealed_secret', 'previous_valid_until']));
    } finally {
      theirs.close();
      ours.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
