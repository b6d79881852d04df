import { SecretBox } from '@reclaim/credentials';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { registerIdempotency } from './idempotency';

describe('the Idempotency-Key table', () => {
  it('gains the claim column on a file from before claims, keeping its answers', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE idempotency_keys (
      scope TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL)`);
    db.prepare("INSERT INTO idempotency_keys VALUES ('s', 'h', 201, 'sealed', '2026-01-01T00:00:00.000Z')").run();
    const app = { addHook: () => app } as unknown as FastifyInstance;
    registerIdempotency(app, db, new SecretBox(randomBytes(32)));
    expect(db.prepare('SELECT * FROM idempotency_keys').all()).toEqual([
      { scope: 's', request_hash: 'h', status: 201, body: 'sealed', created_at: '2026-01-01T00:00:00.000Z', claimed_by: null },
    ]);
    // Registering again (the next start) finds the column there.
    expect(() => registerIdempotency(app, db, new SecretBox(randomBytes(32)))).not.toThrow();
    db.close();
  });
});
