import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@reclaim/event-store';
import { prepared, type Projector } from '@reclaim/projections';
import { forgetDeliveries, setUpDeliveryTables } from './delivery-log';
import { ownerOf, WEBHOOK_STREAM_PREFIX, type WebhookEvent } from './webhook.events';

export interface WebhookRow {
  webhookId: string;
  url: string;
  types: string[];
  /** Deliveries under way at once, where one was chosen (else the server's default). */
  concurrency: number | null;
  sealedSecret: string;
  /** After a rotation: the secret before it, which also signs until `previousValidUntil`. */
  previousSealedSecret: string | null;
  previousValidUntil: string | null;
  /** Position of the creation event: the subscription receives what comes after it. */
  createdPosition: bigint;
  createdAt: string;
  enabled: boolean;
  disabledReason: string | null;
  /** The staff member on whose authority it runs: who created it, or last enabled it. */
  ownerId: string | null;
  /** The revision of its stream: what `If-Match` names for a change to it. */
  revision: bigint;
}

/** Whether the secret before the last rotation still signs this webhook's deliveries. */
export function previousSecretSigns(webhook: WebhookRow, now = Date.now()): boolean {
  return webhook.previousSealedSecret !== null && Date.parse(webhook.previousValidUntil!) > now;
}

/** Webhook subscriptions, from their streams. */
export class WebhooksProjector implements Projector {
  readonly name = 'webhooks';
  // Version 3 keeps each subscription's revision.
  readonly version = 3;

  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      webhook_id TEXT PRIMARY KEY, url TEXT NOT NULL, types TEXT NOT NULL, sealed_secret TEXT NOT NULL,
      created_position INTEGER NOT NULL, created_at TEXT NOT NULL, enabled INTEGER NOT NULL, disabled_reason TEXT, owner_id TEXT)`);
    // Version 1 had no owner; the new version replays the streams to fill it in.
    const columns = db.pragma('table_info(webhooks)') as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'owner_id')) db.exec('ALTER TABLE webhooks ADD COLUMN owner_id TEXT');
    // Secrets were not rotated before these columns came, so an older table needs no replay.
    if (!columns.some((column) => column.name === 'previous_sealed_secret')) {
      db.exec('ALTER TABLE webhooks ADD COLUMN previous_sealed_secret TEXT; ALTER TABLE webhooks ADD COLUMN previous_valid_until TEXT');
    }
    // Nor was a concurrency chosen before this column.
    if (!columns.some((column) => column.name === 'concurrency')) db.exec('ALTER TABLE webhooks ADD COLUMN concurrency INTEGER');
    if (!columns.some((column) => column.name === 'revision')) db.exec('ALTER TABLE webhooks ADD COLUMN revision INTEGER NOT NULL DEFAULT 0');
    setUpDeliveryTables(db);
  }

  reset(db: Database.Database): void {
    db.exec('DELETE FROM webhooks');
  }

  apply(db: Database.Database, stored: RecordedEvent): void {
    if (!stored.streamName.startsWith(WEBHOOK_STREAM_PREFIX)) return;
    const id = stored.streamName.slice(WEBHOOK_STREAM_PREFIX.length);
    const event = stored as unknown as WebhookEvent;
    switch (event.type) {
      case 'WebhookCreated':
        prepared(
          db,
          `INSERT OR REPLACE INTO webhooks (webhook_id, url, types, concurrency, sealed_secret, created_position, created_at, enabled, disabled_reason, owner_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, 1, NULL, ?)`,
        ).run(id, event.data.url, JSON.stringify(event.data.types), event.data.concurrency ?? null, event.data.sealedSecret, stored.position, stored.metadata.occurredAt, ownerOf(stored.metadata.actor));
        break;
      case 'WebhookChanged': {
        const { url, types, concurrency } = event.data;
        // Each column as changed, or as it was (a NULL concurrency is a change to the default).
        prepared(db, 'UPDATE webhooks SET url = coalesce(?, url), types = coalesce(?, types), concurrency = iif(?, ?, concurrency) WHERE webhook_id = ?')
          .run(url ?? null, types ? JSON.stringify(types) : null, concurrency !== undefined ? 1 : 0, concurrency ?? null, id);
        break;
      }
      case 'WebhookDisabled':
        prepared(db, 'UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE webhook_id = ?').run(event.data.reason, id);
        break;
      case 'WebhookSecretRotated':
        prepared(db, 'UPDATE webhooks SET previous_sealed_secret = sealed_secret, previous_valid_until = ?, sealed_secret = ? WHERE webhook_id = ?')
          .run(event.data.previousValidUntil, event.data.sealedSecret, id);
        break;
      case 'WebhookDeleted':
        prepared(db, 'DELETE FROM webhooks WHERE webhook_id = ?').run(id);
        forgetDeliveries(db, id);
        break;
      case 'WebhookEnabled':
        prepared(db, 'UPDATE webhooks SET enabled = 1, disabled_reason = NULL, owner_id = ? WHERE webhook_id = ?').run(ownerOf(stored.metadata.actor), id);
        break;
    }
    // Every event of the stream moves its revision, a redelivery asked for too: If-Match is of the stream.
    prepared(db, 'UPDATE webhooks SET revision = ? WHERE webhook_id = ?').run(stored.revision, id);
  }
}

/** How many subscriptions exist (deleted ones are gone from the read model). */
export function webhookCount(db: Database.Database): number {
  return prepared(db, 'SELECT COUNT(*) FROM webhooks').pluck().get() as number;
}

export function readWebhooks(db: Database.Database, id?: string): WebhookRow[] {
  const rows = (id
    ? prepared(db, 'SELECT * FROM webhooks WHERE webhook_id = ?').all(id)
    : prepared(db, 'SELECT * FROM webhooks ORDER BY created_position').all()) as Array<Record<string, never>>;
  return rows.map((row) => ({
    webhookId: row.webhook_id,
    url: row.url,
    types: JSON.parse(row.types),
    concurrency: row.concurrency,
    sealedSecret: row.sealed_secret,
    previousSealedSecret: row.previous_sealed_secret,
    previousValidUntil: row.previous_valid_until,
    createdPosition: BigInt(row.created_position),
    createdAt: row.created_at,
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    ownerId: row.owner_id,
    revision: BigInt(row.revision),
  }));
}

