import { SecretBox } from '@reclaim/credentials';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { canonicalJson } from '@reclaim/event-store';
import { createHash, randomBytes } from 'node:crypto';
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

/**
 * Two processes sharing the file can both read a key as free (or as claimed by a process that
 * has died) before either claims it. Only one may claim it; the other waits for its answer.
 */
describe('a key claimed by another process between reading it and claiming it', () => {
  const box = new SecretBox(randomBytes(32));
  const body = { body: 'called them' };
  const requestHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
  // Above Linux's highest possible pid: a process that is gone.
  const GONE = 4_194_305;
  // The jest process that started this worker: another process, and running.
  const OTHER = process.ppid;

  it.each([
    ['no row', null],
    ['the claim of a process that is gone', GONE],
  ])('read as %s: this request does not claim it, and answers what the other process kept', async (_read, leftBy) => {
    const file = new Database(':memory:');
    const claimBy = (scope: string, pid: number) =>
      file.prepare("INSERT OR REPLACE INTO idempotency_keys VALUES (?, ?, 0, '', '2026-01-01T00:00:00.000Z', ?)").run(scope, requestHash, pid);
    let raced = false;
    // The first read of the key: it reads the row as `leftBy` left it, and just after, the other
    // process claims the key, then keeps its answer a little later.
    const readThenRace = (statement: Database.Statement, scope: string) => {
      if (raced) return statement.get(scope);
      raced = true;
      if (leftBy !== null) claimBy(scope, leftBy);
      const row = statement.get(scope);
      claimBy(scope, OTHER);
      setTimeout(() => file.prepare('UPDATE idempotency_keys SET status = 200, body = ?, claimed_by = NULL').run(box.seal('{"from":"other"}')), 50);
      return row;
    };
    const db = new Proxy(file, {
      get(target, property) {
        if (property === 'prepare') {
          return (sql: string) => {
            const statement = target.prepare(sql);
            return sql.startsWith('SELECT request_hash') ? { get: (scope: string) => readThenRace(statement, scope) } : statement;
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const hooks: Record<string, (request: unknown, reply: unknown) => Promise<unknown>> = {};
    const app = { addHook: (name: string, hook: (typeof hooks)[string]) => ((hooks[name] = hook), app) } as unknown as FastifyInstance;
    registerIdempotency(app, db, box);

    const request = { method: 'POST', headers: { 'idempotency-key': 'k-1', authorization: 'Bearer t' }, routeOptions: { url: '/v1/tickets/:id/notes' }, url: '/v1/tickets/t-1/notes', body };
    const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
    const reply = {
      code: (status: number) => ((sent.status = status), reply),
      header: (name: string, value: string) => ((sent.headers[name] = value), reply),
      type: () => reply,
      send: (payload: unknown) => ((sent.body = payload), reply),
    };
    await hooks.preHandler!(request, reply);
    expect(raced).toBe(true);
    // Taking the key would have run the command a second time, beside the other process's run.
    expect(sent).toEqual({ status: 200, headers: { 'idempotent-replayed': 'true' }, body: '{"from":"other"}' });
    file.close();
  });
});
