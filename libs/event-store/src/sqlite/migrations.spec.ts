import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../event-store.port';
import { firstBrokenLink } from '../testing/first-broken-link';
import { migrations } from './migrations';
import { SqliteEventStore } from './sqlite-event-store';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaim-migrations-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (id: string): NewEvent => ({ id, type: 'Noted', data: { id }, metadata: { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 } });

describe('store migrations', () => {
  it('moves a version 1 log to rowid positions with every event, position and chain intact', async () => {
    // Events written by today's store, copied into a file as version 1 left it, with their
    // positions spread out so that keeping them is visible.
    const source = new SqliteEventStore(join(dir, 'source.sqlite'));
    await source.appendToStream('x', [event('x0'), event('x1'), event('x2')]);
    await source.appendToStream('y', [event('y0'), event('y1')]);
    const written = await source.readAll();
    await source.close();

    const file = join(dir, 'version-1.sqlite');
    const old = new Database(file);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    old.exec(migrations[0]!.up);
    old.exec(`INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00.000Z')`);
    old.exec(`ATTACH '${join(dir, 'source.sqlite')}' AS source`);
    old.exec('INSERT INTO events SELECT position * 10, stream_name, revision, event_id, type, data, metadata, recorded_at FROM source.events');
    old.exec('INSERT INTO streams SELECT * FROM source.streams');
    old.close();

    const store = new SqliteEventStore(file);
    const tableSql = store.database.prepare(`SELECT sql FROM sqlite_master WHERE name = 'events'`).pluck().get() as string;
    expect(tableSql).not.toMatch(/AUTOINCREMENT/i);
    expect(store.database.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(
      migrations.map((m) => m.version),
    );
    expect(await store.readAll()).toEqual(written.map((e) => ({ ...e, position: e.position * 10n })));

    const next = await store.appendToStream('x', [event('x3')], { expectedRevision: 2n });
    expect(next).toEqual({ nextExpectedRevision: 3n, position: 51n });
    expect(firstBrokenLink(await store.readStream('x'))).toBeUndefined();
    await store.close();
  });
});
