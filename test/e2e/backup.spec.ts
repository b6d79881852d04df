import { SecretBox, SECRET_KEY_STREAM } from '@reclaim/credentials';
import { SqliteEventStore } from '@reclaim/event-store';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import { cli } from '../support/cli';
import { ADMIN_TOKEN, client, createStaff, startServer } from '../support/server';

describe('npm run cli -- backup', () => {
  it('copies the store as it stood at one moment while the server writes, with its key: a server started on the copy opens its secrets', async () => {
    const backups = mkdtempSync(join(tmpdir(), 'reclaim-backups-'));
    const server = await startServer();
    const call = client(server.url);
    let restored: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      const integrator = await createStaff(call, 'integrator');
      await call('PUT', '/v1/accounts/kept', { token: integrator, body: { primaryEmail: 'k@example.org', emails: [], packages: [] } });
      const { secret } = (await call('POST', '/v1/accounts/kept/totp', { token: integrator })).body;
      const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: 'kept', contactEmail: 'k@example.org', reason: 'lost-2fa', explanation: 'x' } })).body;

      // Submissions go on while the copy is taken.
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) await call('POST', '/v1/tickets', { body: { username: `meanwhile-${i}`, contactEmail: 'm@example.org', reason: 'lost-email', explanation: 'x' } });
      })();
      const target = join(backups, 'first');
      const taken = await cli({ RECLAIM_DATA_DIR: server.dataDir }, 'backup', target);
      writing = false;
      await writer;
      expect(taken).toMatchObject({ status: 0 });
      const report = JSON.parse(taken.out[0]!);
      expect(report).toEqual({ backup: target, key: 'secret.key', ok: true, events: expect.any(Number), position: expect.stringMatching(/^\d+$/), digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(readdirSync(target).sort()).toEqual(['reclaim.sqlite', 'secret.key']);
      expect(readFileSync(join(target, 'secret.key'))).toEqual(readFileSync(join(server.dataDir, 'secret.key')));
      expect(statSync(join(target, 'secret.key')).mode & 0o777).toBe(0o600);
      // The copy is the log as it stood at its position: the store's own digest there is the copy's.
      const original = await cli({ RECLAIM_DATA_DIR: server.dataDir }, 'verify', '--through', report.position);
      expect(JSON.parse(original.out[0]!)).toMatchObject({ position: report.position, digest: report.digest, events: report.events });

      // Once is enough: a second copy into the same folder is refused, and the first left as it was.
      const again = await cli({ RECLAIM_DATA_DIR: server.dataDir }, 'backup', target);
      expect([again.status, again.err]).toEqual([2, expect.stringContaining(`${join(target, 'reclaim.sqlite')} exists already`)]);
      await server.stop();

      restored = await startServer({}, target);
      const onCopy = client(restored.url);
      expect((await onCopy('GET', `/v1/tickets/${ticketId}`, { token: ADMIN_TOKEN })).status).toBe(200);
      const submitted = (await onCopy('POST', '/v1/tickets', { body: { username: 'kept', contactEmail: 'k@example.org', reason: 'lost-2fa', explanation: 'x', totpCode: generateSync({ secret }) } })).body;
      const view = await onCopy('GET', `/v1/tickets/${submitted.ticketId}?minPosition=${submitted.position}`, { token: ADMIN_TOKEN });
      expect(view.body.evidence).toEqual([expect.objectContaining({ kind: 'totp', outcome: 'accepted' })]);
    } finally {
      await server.stop();
      await restored?.stop();
      server.cleanUp();
      rmSync(backups, { recursive: true, force: true });
    }
  }, 90000);

  it('writes no key file when the key is RECLAIM_SECRET_KEY, and refuses to copy a store whose key is gone', async () => {
    const key = 'cd'.repeat(32);
    const server = await startServer({ RECLAIM_SECRET_KEY: key });
    const backups = mkdtempSync(join(tmpdir(), 'reclaim-backups-'));
    try {
      await server.stop();
      const fromEnv = await cli({ RECLAIM_DATA_DIR: server.dataDir, RECLAIM_SECRET_KEY: key }, 'backup', join(backups, 'env'));
      expect(fromEnv.status).toBe(0);
      expect(JSON.parse(fromEnv.out[0]!)).toMatchObject({ key: 'RECLAIM_SECRET_KEY: not written, keep it with the copy', ok: true });
      expect(readdirSync(join(backups, 'env'))).toEqual(['reclaim.sqlite']);

      const keyless = await cli({ RECLAIM_DATA_DIR: server.dataDir }, 'backup', join(backups, 'keyless'));
      expect([keyless.status, keyless.err]).toEqual([1, expect.stringContaining('secret.key, and RECLAIM_SECRET_KEY is not set')]);
      expect(existsSync(join(backups, 'keyless'))).toBe(false);

      // A key file left beside a store whose servers take RECLAIM_SECRET_KEY is not its key: a copy
      // kept with it could never be restored, so none is made.
      writeFileSync(join(server.dataDir, 'secret.key'), 'ef'.repeat(32));
      const stale = await cli({ RECLAIM_DATA_DIR: server.dataDir }, 'backup', join(backups, 'stale'));
      expect([stale.status, stale.err]).toEqual([1, expect.stringMatching(/^nothing copied: The secret key \(\S+secret\.key\) is not the one this store's secrets are sealed with/)]);
      expect(existsSync(join(backups, 'stale'))).toBe(false);
      const wrongEnv = await cli({ RECLAIM_DATA_DIR: server.dataDir, RECLAIM_SECRET_KEY: 'ab'.repeat(32) }, 'backup', join(backups, 'wrong-env'));
      expect([wrongEnv.status, wrongEnv.err]).toEqual([1, expect.stringContaining('The secret key (RECLAIM_SECRET_KEY) is not the one')]);
      expect(existsSync(join(backups, 'wrong-env'))).toBe(false);

      // A cluster is backed up with EventStoreDB's own tools.
      const cluster = await cli({ RECLAIM_EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:1?tls=false' }, 'backup', join(backups, 'cluster'));
      expect([cluster.status, cluster.err]).toEqual([2, expect.stringContaining('backup copies the embedded store; back an EventStoreDB cluster up with its own tools')]);
    } finally {
      server.cleanUp();
      rmSync(backups, { recursive: true, force: true });
    }
  }, 60000);

  it('leaves the log as it is: a log from before keys were named is checked against its first sealed secret, and not named', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reclaim-old-store-'));
    const backups = mkdtempSync(join(tmpdir(), 'reclaim-backups-'));
    try {
      const key = randomBytes(32);
      writeFileSync(join(dataDir, 'secret.key'), key.toString('hex'));
      const store = new SqliteEventStore(join(dataDir, 'reclaim.sqlite'));
      const metadata = { occurredAt: new Date().toISOString(), schemaVersion: 1 };
      await store.appendToStream('account-old', [{ id: randomUUID(), type: 'TotpEnrolled', data: { sealedSecret: new SecretBox(key).seal('JBSWY3DPEHPK3PXP') }, metadata }]);
      await store.close();
      const taken = await cli({ RECLAIM_DATA_DIR: dataDir }, 'backup', join(backups, 'old'));
      expect(JSON.parse(taken.out[0]!)).toMatchObject({ ok: true, events: 1 });
      const after = new SqliteEventStore(join(dataDir, 'reclaim.sqlite'));
      expect(await after.readStream(SECRET_KEY_STREAM)).toEqual([]);
      await after.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(backups, { recursive: true, force: true });
    }
  });
});
