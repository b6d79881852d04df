import bcrypt from 'bcrypt';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeTicketCommand, CreateStaffCommand, SubmitTicketCommand } from '@reclaim/recovery';
import { recoveryHarness, TestClock } from '@reclaim/recovery/testing';
import { ADMIN_TOKEN, client, createStaff, startServer, waitFor, type Call, type RunningServer } from '../support/server';

// docs/operations.md: several processes on one machine may share the embedded store's file.
describe('two servers on one data folder', () => {
  it('start together on a new folder, show every write once, and send each webhook once, also when one is killed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reclaim-shared-'));
    const sent: string[] = [];
    const receiver = createServer((request, response) => {
      sent.push(String(request.headers['webhook-id']));
      request.resume().on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // Both deliver webhooks, and take turns on each subscription.
    const env = { RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true' };
    const servers: RunningServer[] = [];
    try {
      servers.push(...(await Promise.all([startServer(env, dataDir), startServer(env, dataDir)])));
      const [a, b] = servers.map((server) => client(server.url));
      const agent = await createStaff(a!, 'agent', 'Ada');
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
      expect((await b!('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url, types: ['recovery.ticket.submitted.v1'] } })).status).toBe(201);
      const written: Array<{ ticketId: string; position: bigint }> = [];
      for (let i = 0; i < 12; i++) {
        const [first, second] = i % 2 ? [b!, a!] : [a!, b!];
        const { ticketId } = (await first('POST', '/v1/tickets', { body: { username: `shared${i}`, contactEmail: 's@example.org', reason: 'lost-email', explanation: 'x' } })).body;
        const note = await second('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: `note ${i}` } });
        expect(note.status).toBe(200);
        written.push({ ticketId, position: BigInt(note.body.position) });
      }
      const head = written.at(-1)!.position;
      for (const call of [a!, b!]) {
        for (const [i, { ticketId }] of written.entries()) {
          const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${head}`, { token: agent });
          expect(view.status).toBe(200);
          expect(view.body).toMatchObject({ username: `shared${i}`, state: 'submitted', notes: [{ body: `note ${i}` }] });
          expect(view.body.notes).toHaveLength(1);
        }
        const queue = await call('GET', `/v1/queues/submitted?minPosition=${head}`, { token: agent });
        expect(queue.body.items.map((item: { ticketId: string }) => item.ticketId)).toEqual(written.map((w) => w.ticketId));
      }

      await waitFor(() => new Set(sent).size === written.length);
      await new Promise((r) => setTimeout(r, 1_000)); // both servers poll every 250 ms: room for a second send
      expect(new Set(sent).size).toBe(written.length);
      expect(sent).toHaveLength(written.length);

      // The server sending the subscription is killed: the other takes over at once, as the
      // lease's holder is gone, instead of waiting for the lease to run out.
      const file = new Database(join(dataDir, 'reclaim.sqlite'), { readonly: true });
      const holder = file.prepare('SELECT pid FROM webhook_senders').pluck().get();
      file.close();
      const sending = servers.findIndex((server) => server.process.pid === holder);
      expect(sending).toBeGreaterThanOrEqual(0);
      await servers[sending]!.stop('SIGKILL');
      const survivor = client(servers[1 - sending]!.url);
      await survivor('POST', '/v1/tickets', { body: { username: 'after-kill', contactEmail: 's@example.org', reason: 'lost-email', explanation: 'x' } });
      // Well before the lease (3 × the 10 s delivery timeout) would run out.
      await waitFor(() => new Set(sent).size === written.length + 1, 10_000);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dataDir, { recursive: true, force: true });
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 60000);

  it('keep one active admin when each deactivates one of the last two, or gives them another role, at the same moment', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reclaim-shared-'));
    const servers: RunningServer[] = await Promise.all([startServer({}, dataDir), startServer({}, dataDir)]);
    try {
      const [a, b] = servers.map((server) => client(server.url));
      const activeAdmins = async (call: Call, position: string) =>
        (await call('GET', `/v1/staff?minPosition=${position}`, { token: ADMIN_TOKEN })).body.staff
          .filter((member: { role: string; active: boolean }) => member.role === 'admin' && member.active)
          .map((member: { id: string }) => member.id);
      // Made on one server, and known to both before they are asked, so that neither waits.
      const admin = async () => {
        const made = (await a!('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Admin', role: 'admin' } })).body;
        await activeAdmins(b!, made.position);
        return made.id as string;
      };
      let survivor = await admin();
      // Each round leaves one admin; the next adds one, and the two servers each take one away:
      // by deactivation, or (every other round, on the second server) by another role.
      for (let round = 0; round < 6; round++) {
        const added = await admin();
        const answers = await Promise.all([
          a!('DELETE', `/v1/staff/${survivor}`, { token: ADMIN_TOKEN }),
          round % 2 ? b!('POST', `/v1/staff/${added}/role`, { token: ADMIN_TOKEN, body: { role: 'agent' } }) : b!('DELETE', `/v1/staff/${added}`, { token: ADMIN_TOKEN }),
        ]);
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
        const refused = answers.find((answer) => answer.status === 409)!;
        expect(refused.body).toMatchObject({ type: expect.stringContaining('last-admin') });
        survivor = answers[0]!.status === 409 ? survivor : added;
        const applied = answers.find((answer) => answer.status === 200)!.body.position as string;
        for (const call of [a!, b!]) expect(await activeAdmins(call, applied)).toEqual([survivor]);
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60000);

  /**
   * A server, and another server's command side on its file, which projects nothing here: as
   * with EventStoreDB, where each server keeps read models of its own, the server hears of the
   * other's writes only from the log (by polling the file).
   */
  async function withServerAndOtherWriter(test: (call: Call, other: Awaited<ReturnType<typeof recoveryHarness>>) => Promise<void>) {
    const dataDir = mkdtempSync(join(tmpdir(), 'reclaim-shared-'));
    const server = await startServer({}, dataDir);
    const other = await recoveryHarness({}, { dataDir, clock: new TestClock(new Date()) });
    try {
      await test(client(server.url), other);
    } finally {
      await other.close(true);
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  it('release, as a staff member is deactivated, the tickets they claimed a moment before through a process whose read models have not seen it', () =>
    withServerAndOtherWriter(async (call, other) => {
      for (let round = 0; round < 3; round++) {
        const leaving = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Leaving', role: 'agent' } })).body;
        const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: `claimed${round}`, contactEmail: 'c@example.org', reason: 'lost-email', explanation: 'x' } })).body;
        await other.bus.execute(new ChangeTicketCommand(ticketId, { type: 'AssignTicket', assignee: leaving.id, by: { id: leaving.id, role: 'agent' } }, other.meta({ kind: 'staff', id: leaving.id })));
        const deactivated = await call('DELETE', `/v1/staff/${leaving.id}`, { token: ADMIN_TOKEN });
        expect(deactivated.status).toBe(200);
        const view = (await call('GET', `/v1/tickets/${ticketId}?minPosition=${deactivated.body.position}`, { token: ADMIN_TOKEN })).body;
        expect([round, view.ticketId, view.assignee ?? 'none']).toEqual([round, ticketId, 'none']);
      }
    }), 60000);

  it("reject, as an account is removed or a username's open tickets are, those another process filed a moment before", () =>
    withServerAndOtherWriter(async (call, other) => {
      const lead = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Lead', role: 'supervisor' } })).body;
      const request = (username: string) => ({ username, contactEmail: 'f@example.org', previousEmails: [], reason: 'lost-email' as const, explanation: 'x', packages: [] });
      const stateOf = async (ticketId: string, position: string) => (await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: ADMIN_TOKEN })).body.state;
      for (let round = 0; round < 3; round++) {
        await call('PUT', `/v1/accounts/gone${round}`, { token: ADMIN_TOKEN, body: { primaryEmail: 'g@example.org', emails: [], packages: [] } });
        const filed = await other.bus.execute(new SubmitTicketCommand(request(`gone${round}`), other.meta()));
        const removed = (await call('DELETE', `/v1/accounts/gone${round}`, { token: ADMIN_TOKEN })).body;
        expect([round, removed.ticketsRejected, await stateOf(filed.ticketId, removed.position)]).toEqual([round, 1, 'rejected']);

        const flooded = await other.bus.execute(new SubmitTicketCommand(request(`flooded${round}`), other.meta()));
        const rejected = (await call('POST', '/v1/tickets/reject-open', { token: lead.token, body: { username: `flooded${round}`, reason: 'suspected-fraud', note: 'a flood' } })).body;
        expect([round, rejected.rejected, await stateOf(flooded.ticketId, rejected.position)]).toEqual([round, 1, 'rejected']);
      }
    }), 60000);

  it('answers a read with ?minPosition= of a write made by another process once this server has read it, not 503', () =>
    withServerAndOtherWriter(async (call, other) => {
      // Each read below arrives before this server has polled the file and seen the note.
      const agent = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Noting', role: 'agent' } })).body;
      const { ticketId } = (await call('POST', '/v1/tickets', { body: { username: 'awaited', contactEmail: 'a@example.org', reason: 'lost-email', explanation: 'x' } })).body;
      for (let round = 0; round < 3; round++) {
        const noted = await other.bus.execute(new ChangeTicketCommand(ticketId, { type: 'AddNote', body: `note ${round}`, by: { id: agent.id, role: 'agent' } }, other.meta({ kind: 'staff', id: agent.id })));
        const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${noted.position}`, { token: agent.token });
        expect([round, view.status, view.body.revision]).toEqual([round, 200, noted.revision]);
      }
    }), 60000);

  it('takes at once a token another process issued a moment ago, before it has read that process\'s writes', () =>
    withServerAndOtherWriter(async (call, other) => {
      for (let round = 0; round < 3; round++) {
        const agent = await other.bus.execute(new CreateStaffCommand(`New ${round}`, 'agent', other.meta({ kind: 'staff', id: 'bootstrap-admin' })));
        expect([round, (await call('GET', '/v1/queues/submitted', { token: agent.token })).status]).toEqual([round, 200]);
        const request = { username: `fresh${round}`, contactEmail: 'f@example.org', previousEmails: [], reason: 'lost-email' as const, explanation: 'x', packages: [] };
        const submitted = await other.bus.execute(new SubmitTicketCommand(request, other.meta()));
        expect([round, (await call('GET', `/v1/tickets/${submitted.ticketId}`, { token: submitted.accessToken })).status]).toEqual([round, 200]);
      }
    }), 60000);

  it('a retry that reaches the other server while the first try still runs gets the first answer', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reclaim-shared-'));
    const servers: RunningServer[] = await Promise.all([startServer({}, dataDir), startServer({}, dataDir)]);
    try {
      const [a, b] = servers.map((server) => client(server.url));
      const integrator = await createStaff(a!, 'integrator');
      // A code hashed at cost 13 takes a good part of a second to check: the first try is still
      // running when the retry arrives.
      const code = '0a1b2c3d4e5f6071';
      await a!('PUT', '/v1/accounts/slow', { token: integrator, body: { primaryEmail: 's@example.org', emails: [], packages: [] } });
      await a!('POST', '/v1/accounts/slow/recovery-codes/import', { token: integrator, body: { hashes: [await bcrypt.hash(code, 13)] } });
      const request = {
        body: { username: 'slow', contactEmail: 's@example.org', reason: 'lost-email', explanation: 'x', recoveryCode: code },
        headers: { 'idempotency-key': 'across-servers' },
      };
      const first = a!('POST', '/v1/tickets', request);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const retried = await b!('POST', '/v1/tickets', request);
      const answered = await first;
      expect(answered.status).toBe(201);
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body).toEqual(answered.body);
      const view = await b!('GET', `/v1/tickets/${answered.body.ticketId}?minPosition=${answered.body.position}`, { token: answered.body.accessToken });
      expect(view.status).toBe(200);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60000);
});
