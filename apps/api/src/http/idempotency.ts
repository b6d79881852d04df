import { Logger } from '@nestjs/common';
import type { SecretBox } from '@reclaim/credentials';
import { canonicalJson, processAlive, withoutFsync } from '@reclaim/event-store';
import type { ReadModelDb } from '@reclaim/projections';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, randomUUID } from 'node:crypto';
import { clientKey } from './client-key';
import { fieldProblem, sendProblem } from './problem';

/** An `Idempotency-Key`: 1 to 200 printable ASCII characters (the check and the OpenAPI document). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const logger = new Logger('Idempotency');

/** A request with a key, from its claim until its answer is kept. */
interface Pending {
  scope: string;
  requestHash: string;
  /** Lets a retry of it in this process go on. */
  done: () => void;
}

type Stored = { requestHash: string; status: number; body: string; claimedBy: number | null } | undefined;

/** A claim held by another process that is still running (this one's own are in `inFlight`). */
const claimedElsewhere = (pid: number | null) => pid !== null && pid !== process.pid && processAlive(pid);

/** A key whose request is running, or was cut off (a crash) before its answer was kept. */
const CLAIMED = 0;
/** How long a request waits for the same request running in another process on the file. */
const OTHER_PROCESS_WAIT_MS = 10_000;

/**
 * Idempotency-Key on every POST. The key, scoped to the caller's credential and the route, names
 * the command (so even a retry after a lost answer is applied once), and the first successful
 * answer is kept, sealed, and sent again for the same key and body. The same key with another
 * body is refused (422), also when the first request's answer was never kept: the key is claimed
 * with its body's hash before the command runs. Kept in SQLite, so this holds across restarts and
 * between processes sharing the file: a retry that reaches another process while the first try
 * still runs waits for its answer there, as it does in one process.
 *
 * These writes commit without their own fsync. A crash of the process loses none of them (WAL);
 * a power cut loses them only with everything after the last durable commit. On the embedded
 * store a command's append is one, in the same file: so a claim is on disk before its command
 * is, and at worst an answer is lost, which a retry handles as the lost answer it is (see
 * `lost-answer.ts` in @reclaim/recovery).
 */
export function registerIdempotency(app: FastifyInstance, db: ReadModelDb, secrets: SecretBox): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      scope TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
      claimed_by INTEGER -- while claimed: the pid of the process running the request
    )`);
    // Files from before claims lack the column; their rows are all kept answers.
    const columns = db.pragma('table_info(idempotency_keys)') as Array<{ name: string }>;
    if (!columns.some((column) => column.name === 'claimed_by')) db.exec('ALTER TABLE idempotency_keys ADD COLUMN claimed_by INTEGER');
  }).immediate();
  const find = db.prepare('SELECT request_hash AS requestHash, status, body, claimed_by AS claimedBy FROM idempotency_keys WHERE scope = ?');
  // Claims the key for this process, or takes over the claim of a try that was cut off; either
  // only while the row is as it was read (`seen`: the claimant then, none when there was no row).
  const claim = db.prepare(`INSERT INTO idempotency_keys (scope, request_hash, status, body, created_at, claimed_by)
    VALUES (@scope, @requestHash, ${CLAIMED}, '', @at, @pid)
    ON CONFLICT (scope) DO UPDATE SET claimed_by = excluded.claimed_by
    WHERE idempotency_keys.status = ${CLAIMED} AND idempotency_keys.claimed_by IS @seen`);
  const keep = db.prepare(`INSERT INTO idempotency_keys (scope, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (scope) DO UPDATE SET status = excluded.status, body = excluded.body, claimed_by = NULL WHERE idempotency_keys.status = ${CLAIMED}`);
  const release = db.prepare(`DELETE FROM idempotency_keys WHERE scope = ? AND status = ${CLAIMED}`);
  const forget = db.prepare(`DELETE FROM idempotency_keys WHERE scope = ? AND status <> ${CLAIMED}`);
  const writeOrWarn = <T>(statement: () => T, failure: string): T | undefined => {
    try {
      return withoutFsync(db, statement);
    } catch (error) {
      // A full disk: the command goes on (it is refused or applied on its own terms).
      logger.warn(`${failure}: ${(error as Error).message}`);
      return undefined;
    }
  };
  /**
   * The key's row, once no other running process on the file holds a claim on it for this body
   * (the same request, sent there first), or after OTHER_PROCESS_WAIT_MS.
   */
  const afterOtherProcesses = async (scope: string, requestHash: string): Promise<Stored> => {
    const until = Date.now() + OTHER_PROCESS_WAIT_MS;
    let stored = find.get(scope) as Stored;
    while (stored?.status === CLAIMED && stored.requestHash === requestHash && claimedElsewhere(stored.claimedBy) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      stored = find.get(scope) as Stored;
    }
    return stored;
  };
  /**
   * The key's row when it holds an answer or another body; otherwise claims the key for this
   * request (a first try, or a retry of one cut off: claimed by no running process, it runs again
   * under the same command id and so applies nothing twice) and answers the row as it was.
   */
  const answerOrClaim = async (scope: string, requestHash: string): Promise<Stored> => {
    for (;;) {
      const stored = await afterOtherProcesses(scope, requestHash);
      if (stored && (stored.requestHash !== requestHash || stored.status !== CLAIMED)) return stored;
      // Another process may have claimed the key since it was read: the claim then takes
      // nothing, and this request reads the key again, to wait for that one.
      const claimed = writeOrWarn(
        () => claim.run({ scope, requestHash, at: new Date().toISOString(), pid: process.pid, seen: stored?.claimedBy ?? null }),
        'An Idempotency-Key could not be claimed',
      );
      if (claimed?.changes !== 0) return stored;
    }
  };
  const inFlight = new Map<string, Promise<void>>();
  const pending = new WeakMap<FastifyRequest, Pending>();

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) {
      request.commandId = randomUUID();
      return;
    }
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      return sendProblem(reply, fieldProblem(400, 'Idempotency-Key must be 1 to 200 printable characters.', 'Idempotency-Key', 'must be 1 to 200 printable ASCII characters'));
    }
    // The public has no credential of its own; its keys are scoped by the client's address, so
    // that one person's key can neither answer another the first's access token nor refuse them
    // (an IPv6 one by its /64, whose temporary addresses change while a retry waits).
    const credential = sha256(request.headers.authorization ?? `public ${clientKey(request.ip)}`);
    const scope = sha256(`${credential}\u0000${request.routeOptions.url}\u0000${request.url.split('?')[0]}\u0000${key}`);
    const requestHash = sha256(canonicalJson(request.body ?? null));
    request.commandId = `idem-${scope.slice(0, 32)}`;
    // A retry that arrives while the first is still running waits for it, then replays.
    while (inFlight.has(scope)) await inFlight.get(scope);
    // This request is now the one in flight for its key here, until its answer is kept.
    let finish!: () => void;
    inFlight.set(scope, new Promise<void>((resolve) => (finish = resolve)));
    const done = () => (inFlight.delete(scope), finish());
    let stored: Stored;
    try {
      stored = await answerOrClaim(scope, requestHash);
      // An answer sealed with a secret key lost and replaced since opens no more: it is a lost
      // answer, and the retry runs again, as after any other (which applies nothing twice).
      if (stored && stored.requestHash === requestHash && stored.status !== CLAIMED && secrets.tryOpen(stored.body) === undefined) {
        writeOrWarn(() => forget.run(scope), 'A kept answer that opens no more could not be dropped');
        stored = await answerOrClaim(scope, requestHash);
      }
    } catch (error) {
      done();
      throw error;
    }
    if (stored && stored.requestHash !== requestHash) {
      done();
      return sendProblem(
        reply,
        fieldProblem(422, 'This Idempotency-Key was used with a different body.', 'Idempotency-Key', 'was already used with a different body', 'idempotency-key-reused'),
      );
    }
    if (stored && stored.status !== CLAIMED) {
      done();
      reply.code(stored.status).header('idempotent-replayed', 'true');
      // A 204 (nothing to claim, say) has no body, nor a type.
      return stored.status === 204 ? reply.send() : reply.type('application/json').send(secrets.open(stored.body));
    }
    pending.set(request, { scope, requestHash, done });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const entry = pending.get(request);
    const answered = typeof payload === 'string' || (reply.statusCode === 204 && payload == null);
    if (entry && reply.statusCode >= 200 && reply.statusCode < 300 && answered) {
      // The command is applied: its answer goes out even when it cannot be kept (a full disk).
      // A retry with the key then runs again under the same command id, which applies nothing.
      const sealed = secrets.seal(typeof payload === 'string' ? payload : '');
      writeOrWarn(() => keep.run(entry.scope, entry.requestHash, reply.statusCode, sealed, new Date().toISOString()), 'The answer for an Idempotency-Key could not be kept');
    } else if (entry) {
      // Refused: no answer is kept for a refusal, so the key is free again, as before it was sent.
      writeOrWarn(() => release.run(entry.scope), 'An Idempotency-Key could not be released');
    }
    // The answer is kept (or will not be): a retry waiting on this key may go on. Released here,
    // not once the answer is sent: when the client has gone, no answer is ever sent, and a retry
    // (the very reason for the key) would wait for ever.
    entry?.done();
    pending.delete(request);
    return payload;
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
