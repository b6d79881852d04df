import { SqliteEventStore } from '@reclaim/event-store';
import { ProjectionRunner } from '@reclaim/projections';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
