import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import { cli } from '../support/cli';
import { signedBy } from '../support/webhook-signature';
import { ADMIN_TOKEN, client, createStaff, startServer, waitFor } from '../support/server';

describe('npm run cli -- replace-key --secrets-lost', () => {
  it('lets a store whose key is lost for good start again, giving up only the secrets sealed with it', async () => {
    // A webhook receiver that takes everything, with each request's headers and body.
    const received: Array<{ headers: Record<string, string>; body: string }> = [];
    const receiver = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ headers: request.headers as Record<string, string>, body });
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // Retries wait up to ten minutes: a webhook given a new secret must not wait out its failures.
    const env = { RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true', RECLAIM_WEBHOOK_RETRY_BASE: '10m', RECLAIM_WEBHOOK_RETRY_MAX: '10m' };
    const first = await startServer(env);
    const keyFile = join(first.dataDir, 'secret.key');
    let again: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      let call = client(first.url);
      const integrator = await createStaff(call, 'integrator');
      const agent = await createStaff(call, 'agent');
      await call('PUT', '/v1/accounts/keyed', { token: integrator, body: { primaryEmail: 'k@example.org', emails: [], packages: [] } });
      const lostTotp = (await call('POST', '/v1/accounts/keyed/totp', { token: integrator })).body.secret;
      const webhook = (await call('POST', '/v1/webhooks', { token: integrator, body: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` } })).body;
      const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: 'keyed', contactEmail: 'k@example.org', reason: 'lost-2fa', explanation: 'x' } })).body;
      await waitFor(() => received.length === 1);
      const note = { token: agent, body: { body: 'called them back' }, headers: { 'idempotency-key': 'note-1' } };
      const noted = await call('POST', `/v1/tickets/${ticketId}/notes`, note);
      expect(noted.status).toBe(200);
      await first.stop();

      // The key file is lost, with no copy: the server refuses, rightly, and nothing brings it back.
      const lostKey = readFileSync(keyFile, 'utf8');
      rmSync(keyFile);
      await expect(startServer(env, first.dataDir)).rejects.toThrow(/secret\.key is missing/);
      const unsaid = await cli({ RECLAIM_DATA_DIR: first.dataDir }, 'replace-key');
      expect([unsaid.status, unsaid.err]).toEqual([2, expect.stringContaining('say so with --secrets-lost')]);
      expect(existsSync(keyFile)).toBe(false);
      const replaced = await cli({ RECLAIM_DATA_DIR: first.dataDir }, 'replace-key', '--secrets-lost');
      expect(replaced.status).toBe(0);
      expect(JSON.parse(replaced.out[0]!)).toEqual({ key: keyFile, position: expect.stringMatching(/^\d+$/) });
      expect(replaced.err).toContain('POST /v1/accounts/{username}/totp');
      const newKey = readFileSync(keyFile, 'utf8');
      expect(newKey).not.toEqual(lostKey);
      const twice = await cli({ RECLAIM_DATA_DIR: first.dataDir }, 'replace-key', '--secrets-lost');
      expect([twice.status, twice.err]).toEqual([1, expect.stringContaining("is this store's own: nothing is lost")]);

      again = await startServer(env, first.dataDir);
      call = client(again.url);
      // The lost TOTP secret checks nothing: its code is recorded as for an account not enrolled, not a 500.
      const withLostTotp = await call('POST', '/v1/tickets', { body: { username: 'keyed', contactEmail: 'k@example.org', reason: 'lost-2fa', explanation: 'x', totpCode: generateSync({ secret: lostTotp }) } });
      expect(withLostTotp.status).toBe(201);
      const view = async (id: string, position: string) => (await call('GET', `/v1/tickets/${id}?minPosition=${position}`, { token: ADMIN_TOKEN })).body;
      expect((await view(withLostTotp.body.ticketId, withLostTotp.body.position)).evidence).toEqual([expect.objectContaining({ kind: 'totp', outcome: 'not-enrolled' })]);
      // Its account says so: not enrolled, until enrolled again, when its codes are checked.
      const account = async () => (await call('GET', '/v1/accounts/keyed', { token: integrator })).body;
      expect((await account()).totpEnrolled).toBe(false);
      const newTotp = (await call('POST', '/v1/accounts/keyed/totp', { token: integrator })).body.secret;
      const withNewTotp = await call('POST', '/v1/tickets', { body: { username: 'keyed', contactEmail: 'k@example.org', reason: 'lost-2fa', explanation: 'x', totpCode: generateSync({ secret: newTotp }) } });
      expect((await view(withNewTotp.body.ticketId, withNewTotp.body.position)).evidence).toEqual([expect.objectContaining({ kind: 'totp', outcome: 'accepted' })]);
      expect((await account()).totpEnrolled).toBe(true);

      // The kept answer is lost with the key: the retry runs again, and applies nothing twice.
      const retried = await call('POST', `/v1/tickets/${ticketId}/notes`, note);
      expect([retried.status, retried.body]).toEqual([200, noted.body]);
      const history = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent })).body.events;
      expect(history.filter((event: { type: string }) => event.type === 'NoteAdded')).toHaveLength(1);

      // The webhook sends nothing while its secret opens no more, and says why; given a new one, it
      // goes on at once where it stopped, signed with the new secret.
      const deliveries = async () => (await call('GET', `/v1/webhooks/${webhook.id}/deliveries`, { token: integrator })).body.deliveries as Array<{ error: string | null }>;
      await waitFor(async () => (await deliveries()).some((delivery) => delivery.error?.includes('sealed with a secret key replaced since')));
      expect(received).toHaveLength(1);
      // The subscription says so itself, in the list too, so that an integrator finds which ones need a new secret.
      const shown = async () => (await call('GET', `/v1/webhooks/${webhook.id}`, { token: integrator })).body;
      expect((await shown()).secretLost).toBe(true);
      expect((await call('GET', '/v1/webhooks', { token: integrator })).body.webhooks.map((w: { id: string; secretLost: boolean }) => [w.id, w.secretLost])).toEqual([[webhook.id, true]]);
      const rotated = (await call('POST', `/v1/webhooks/${webhook.id}/secret`, { token: integrator })).body;
      expect((await shown()).secretLost).toBe(false);
      await waitFor(() => received.length >= 5);
      // Each ticket's in order (the tickets held meanwhile catch up side by side), all with the new secret.
      const sent = received.slice(1).map((delivery) => ({ ...JSON.parse(delivery.body), signed: signedBy(rotated.secret, delivery) }) as { type: string; subject: string; signed: boolean });
      expect([sent.length, sent.every(({ signed }) => signed)]).toEqual([4, true]);
      for (const ticketId of [withLostTotp.body.ticketId, withNewTotp.body.ticketId]) {
        expect(sent.filter(({ subject }) => subject === ticketId).map(({ type }) => type)).toEqual(['recovery.ticket.submitted.v1', 'recovery.ticket.evidence-recorded.v1']);
      }
      await again.stop();

      // The lost key, found again later, is not the store's any more.
      writeFileSync(keyFile, lostKey);
      await expect(startServer(env, first.dataDir)).rejects.toThrow(/The secret key \(\S+secret\.key\) is not the one/);
    } finally {
      await again?.stop();
      await first.stop();
      first.cleanUp();
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 120000);
});
