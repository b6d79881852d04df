import { openDatabase, SqliteEventStore } from '@reclaim/event-store';
import { ProjectionRunner } from '@reclaim/projections';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { everyProjector } from '../index';
import { DeliveryLog } from './delivery-log';
import { readWebhooks, WebhooksProjector } from './webhooks.projector';

describe('webhooks read model from before owners', () => {
  it('replays an old file to learn who owns each webhook and its revision', async () => {
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
      // And, since version 3, its revision (for If-Match).
      expect(readWebhooks(db).map(({ webhookId, ownerId, enabled, revision }) => ({ webhookId, ownerId, enabled, revision }))).toEqual([{ webhookId: 'w1', ownerId: 'p2', enabled: true, revision: 1n }]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a webhook changed', () => {
  it('takes what the change names and keeps the rest; a concurrency of null is the server\'s again', () => {
    const db = new Database(':memory:');
    const projector = new WebhooksProjector();
    projector.setup(db);
    let position = 0n;
    const apply = (type: string, data: unknown) =>
      projector.apply(db, { id: `e${++position}`, type, data, streamName: 'webhook-w1', revision: position - 1n, position, recordedAt: '', metadata: { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 } });
    const shown = () => readWebhooks(db).map(({ url, types, concurrency }) => ({ url, types, concurrency }));
    apply('WebhookCreated', { webhookId: 'w1', url: 'https://a.example.org/hook', types: [], sealedSecret: 's', concurrency: 3 });
    expect(shown()).toEqual([{ url: 'https://a.example.org/hook', types: [], concurrency: 3 }]);
    apply('WebhookChanged', { url: 'https://b.example.org/hook' });
    expect(shown()).toEqual([{ url: 'https://b.example.org/hook', types: [], concurrency: 3 }]);
    apply('WebhookChanged', { types: ['recovery.ticket.verified.v1'], concurrency: null });
    expect(shown()).toEqual([{ url: 'https://b.example.org/hook', types: ['recovery.ticket.verified.v1'], concurrency: null }]);
    apply('WebhookChanged', { concurrency: 1 });
    expect(shown()).toEqual([{ url: 'https://b.example.org/hook', types: ['recovery.ticket.verified.v1'], concurrency: 1 }]);
    db.close();
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

describe('a deleted subscription', () => {
  it("leaves nothing of its deliveries behind (progress, attempts, retries asked for, the sender's lease), and the others' untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-webhook-deleted-'));
    const store = new SqliteEventStore(join(dir, 'events.sqlite'));
    const runner = new ProjectionRunner(store, store.database, [new WebhooksProjector()]);
    try {
      const metadata = { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1, actor: { kind: 'staff' as const, id: 'p1' } };
      const append = (webhookId: string, type: string, data: object) =>
        store.appendToStream(`webhook-${webhookId}`, [{ id: `${webhookId}-${type}`, type, data, metadata }]);
      const log = new DeliveryLog(store.database);
      for (const webhookId of ['gone', 'kept']) {
        await append(webhookId, 'WebhookCreated', { webhookId, url: 'https://example.org/hook', types: [], sealedSecret: 's' });
        log.record(
          { webhookId, position: 1n, eventId: 'e1', type: 'recovery.ticket.submitted.v1', ticketId: 't1', attempt: 1, statusCode: 500, error: 'HTTP 500', durationMs: 1, manual: false },
          () => {
            log.saveProgress(webhookId, { position: 1n, attempts: 0, nextAttemptAt: 0, failingSince: 1 });
            log.hold(webhookId, { ticketId: 't1', after: 0n, attempts: 1, nextAttemptAt: 1, heldAt: 1 });
          },
        );
        log.requestRedelivery(webhookId, 1n);
        log.claimSender(webhookId, { id: 'sender', pid: process.pid }, 0, 30_000);
      }
      const rowsOf = (webhookId: string) =>
        ['webhook_progress', 'webhook_deliveries', 'webhook_redeliveries', 'webhook_senders', 'webhook_held'].map(
          (table) => [table, (store.database.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE webhook_id = ?`).get(webhookId) as { n: number }).n],
        );
      const { position } = await append('gone', 'WebhookDeleted', {});
      runner.start();
      expect(await runner.waitFor(position, 5000)).toBe(true);
      expect(rowsOf('gone')).toEqual([['webhook_progress', 0], ['webhook_deliveries', 0], ['webhook_redeliveries', 0], ['webhook_senders', 0], ['webhook_held', 0]]);
      expect(rowsOf('kept')).toEqual([['webhook_progress', 1], ['webhook_deliveries', 1], ['webhook_redeliveries', 1], ['webhook_senders', 1], ['webhook_held', 1]]);
    } finally {
      await runner.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
