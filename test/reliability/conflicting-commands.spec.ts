import { SubmitTicketCommand } from '@reclaim/recovery';
import { recoveryHarness } from '@reclaim/recovery/testing';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const register = join(__dirname, '..', '..', 'scripts', 'ts-register.js');

describe('conflicting commands from several processes', () => {
  it('applies every command once or refuses it; nothing is lost, nothing applied twice', async () => {
    const setup = await recoveryHarness({ bcryptCost: 4 });
    const tickets: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { ticketId } = await setup.bus.execute(
        new SubmitTicketCommand({ username: `race${i}`, contactEmail: 'r@example.org', previousEmails: [], reason: 'lost-email', explanation: 'x', packages: [] }, setup.meta()),
      );
      tickets.push(ticketId);
    }
    await setup.close(true);

    const outputs = await Promise.all(
      [11, 22, 33].map(
        (seed) =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ['-r', register, join(__dirname, 'conflicting-writer.child.ts'), setup.dir, tickets.join(','), String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
            let out = '';
            child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
            // 'close': after the process and its output, all of which counts.
            child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}`))));
          }),
      ),
    );
    const results = outputs.flatMap((out) => out.trim().split('\n').map((line) => JSON.parse(line) as { commandId: string; ticketId: string; type: string; outcome: string; why?: string }));
    expect(results).toHaveLength(180);

    const check = await recoveryHarness({ bcryptCost: 4 }, { dataDir: setup.dir });
    try {
      const applied = results.filter((r) => r.outcome === 'applied');
      const refused = results.filter((r) => r.outcome === 'refused');
      expect(applied.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      // A refusal is the lifecycle or a lost race, never anything else.
      for (const r of refused) expect(['TransitionNotAllowed', 'WrongExpectedRevision']).toContain(r.why);
      for (const ticketId of tickets) {
        const events = await check.store.readStream(`ticket-${ticketId}`);
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
        const causes = events.map((e) => e.metadata.causationId);
        for (const r of applied.filter((a) => a.ticketId === ticketId)) expect(causes.filter((c) => c === r.commandId)).toHaveLength(1);
        for (const r of refused.filter((a) => a.ticketId === ticketId)) expect(causes).not.toContain(r.commandId);
        expect(events.filter((e) => e.type === 'TicketVerified' || e.type === 'TicketRejected').length).toBeLessThanOrEqual(1);
        expect(events.length).toBe(1 + applied.filter((a) => a.ticketId === ticketId).length);
      }
    } finally {
      await check.close();
    }
  }, 120000);
});
