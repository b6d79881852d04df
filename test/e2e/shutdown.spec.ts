import Database from 'better-sqlite3';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import { settlesWithin } from '@reclaim/recovery/testing';
import { ADMIN_TOKEN, client, createStaff, startServer } from '../support/server';

describe('graceful shutdown', () => {
  it('finishes in-flight requests on SIGTERM, then closes the store cleanly', async () => {
    const server = await startServer();
    const call = client(server.url);
    try {
      const { position } = (await call('POST', '/v1/tickets', { body: { username: 'bye', contactEmail: 'b@example.org', reason: 'lost-email', explanation: 'x' } })).body;
      // A read that waits for a position the log has not reached: in flight for seconds.
      const inFlight = call('GET', `/health?minPosition=${BigInt(position) + 100n}`);
      // Time for the request to reach the server on a loaded machine; it then waits up to 5 s.
      await new Promise((r) => setTimeout(r, 1000));
      const exited = server.stop('SIGTERM');
      const answer = await inFlight;
      expect(answer.status).toBe(503);
      // Nest re-raises the signal once it has closed everything: the exit is by SIGTERM, not a crash.
      await exited;
      expect(server.process.signalCode ?? server.process.exitCode).toBe('SIGTERM');
      const db = new Database(join(server.dataDir, 'reclaim.sqlite'));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBeGreaterThan(0);
      db.close();
    } finally {
      server.cleanUp();
    }
  }, 60000);

  it('ends open event streams on SIGTERM, rather than waiting on them', async () => {
    const server = await startServer();
    try {
      const stream = await fetch(`${server.url}/v1/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(stream.status).toBe(200);
      const read = (async () => {
        for await (const _ of stream.body!);
      })();
      // A stream that held the shutdown up would hold it for good: give it 10 s, then kill.
      const stopped = await settlesWithin(server.stop('SIGTERM'), 10_000);
      if (!stopped) await server.stop('SIGKILL');
      await read.catch(() => undefined);
      expect([stopped, server.process.signalCode ?? server.process.exitCode]).toEqual([true, 'SIGTERM']);
    } finally {
      server.cleanUp();
    }
  }, 60000);
});

describe('a first start', () => {
  it('without RECLAIM_ADMIN_TOKEN and without staff, starts and says how to create the first admin; once staff exist, says nothing', async () => {
    const bare = await startServer({ RECLAIM_ADMIN_TOKEN: '' });
    const advice = () => bare.logs.filter((line) => line.includes('To create the first admin')).length;
    try {
      expect((await fetch(`${bare.url}/health`)).status).toBe(200);
      expect(advice()).toBe(1);
      expect(bare.logs.find((line) => line.includes('To create the first admin'))).toContain('RECLAIM_ADMIN_TOKEN');
    } finally {
      await bare.stop();
    }
    // With a staff member made (under a token given for that start), a start without the token is quiet.
    const withToken = await startServer({}, bare.dataDir);
    await client(withToken.url)('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'First', role: 'admin' } });
    await withToken.stop();
    const again = await startServer({ RECLAIM_ADMIN_TOKEN: '' }, bare.dataDir);
    try {
      expect(again.logs.some((line) => line.includes('To create the first admin'))).toBe(false);
    } finally {
      await again.stop();
      again.cleanUp();
    }
  }, 60000);
});

describe('a server that cannot start', () => {
  it('stops with a message naming the data folder it cannot make, rather than hanging (as Node\'s own mkdir does under /proc)', async () => {
    await expect(startServer({}, '/proc/reclaim-data')).rejects.toThrow(/server exited with 1:[\s\S]*ENOENT: no such file or directory, mkdir '\/proc\/reclaim-data'/);
  }, 60000);

  it('refuses a secret key other than the one its store\'s secrets are sealed with, rather than fail every TOTP check', async () => {
    const first = await startServer();
    const keyFile = join(first.dataDir, 'secret.key');
    const call = client(first.url);
    let secret: string;
    try {
      const integrator = await createStaff(call, 'integrator');
      await call('PUT', '/v1/accounts/keyed', { token: integrator, body: { primaryEmail: 'k@example.org', emails: [], packages: [] } });
      secret = (await call('POST', '/v1/accounts/keyed/totp', { token: integrator })).body.secret;
    } finally {
      await first.stop();
    }
    const key = readFileSync(keyFile, 'utf8');
    try {
      // The store restored without its key file: a new key must not be made, nor run with.
      rmSync(keyFile);
      await expect(startServer({}, first.dataDir)).rejects.toThrow(/server exited with 1:[\s\S]*\S+secret\.key is missing\. Restore secret\.key from the backup/);
      expect(existsSync(keyFile)).toBe(false);
      // A key file of another store, or made by an older release's start, is refused just as well.
      writeFileSync(keyFile, 'ef'.repeat(32));
      await expect(startServer({}, first.dataDir)).rejects.toThrow(/The secret key \(\S+secret\.key\) is not the one this store's secrets are sealed with/);
      await expect(startServer({ RECLAIM_SECRET_KEY: 'ab'.repeat(32) }, first.dataDir)).rejects.toThrow(/The secret key \(RECLAIM_SECRET_KEY\) is not the one/);
      // With the key it had, the server starts, and opens the secret it sealed.
      writeFileSync(keyFile, key);
      const again = await startServer({}, first.dataDir);
      try {
        const submitted = await client(again.url)('POST', '/v1/tickets', { body: { username: 'keyed', contactEmail: 'k@example.org', reason: 'lost-2fa', explanation: 'x', totpCode: generateSync({ secret }) } });
        expect(submitted.status).toBe(201);
        const view = await client(again.url)('GET', `/v1/tickets/${submitted.body.ticketId}?minPosition=${submitted.body.position}`, { token: ADMIN_TOKEN });
        expect(view.body.evidence).toEqual([expect.objectContaining({ kind: 'totp', outcome: 'accepted' })]);
      } finally {
        await again.stop();
      }
      // The same key given as RECLAIM_SECRET_KEY, as a cluster's instances are given it.
      const fromEnv = await startServer({ RECLAIM_SECRET_KEY: key.trim() }, first.dataDir);
      await fromEnv.stop();
    } finally {
      first.cleanUp();
    }
  }, 90000);
});
