import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, createStaff, startServer, type RunningServer } from '../support/server';

// docs/operations.md: several processes on one machine may share the embedded store's file.
describe('two servers on one data folder', () => {
  it('start together on a new folder, and show every write once, whichever server took it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reclaim-shared-'));
    // Webhook delivery runs in one of them, as the operations guide says.
    const servers: RunningServer[] = await Promise.all([startServer({}, dataDir), startServer({ RECLAIM_WEBHOOKS: 'off' }, dataDir)]);
    try {
      const [a, b] = servers.map((server) => client(server.url));
      const agent = await createStaff(a!, 'agent', 'Ada');
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
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      servers[0]!.cleanUp();
    }
  }, 60000);
});
