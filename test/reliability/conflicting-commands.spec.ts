import { SubmitTicketCommand } from '@reclaim/recovery';
import { recoveryHarness } from '@reclaim/recovery/testing';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const register = join(__dirname, '..', '..', 'scripts', 'ts-register.js');

type Outcome = { commandId: string; ticketId: string; type: string; outcome: string; why?: string };

/** Files a ticket under each username, on a new data folder that the writers then share. */
async function fileTickets(usernames: string[]) {
  const setup = await recoveryHarness({ bcryptCost: 4 });
  const tickets: string[] = [];
  for (const username of usernames) {
    const { ticketId } = await setup.bus.execute(
      new SubmitTicketCommand({ username, contactEmail: 'r@example.org', previousEmails: [], reason: 'lost-email', explanation: 'x', packages: [] }, setup.meta()),
    );
    tickets.push(ticketId);
  }
  await setup.close(true);
  return { dir: setup.dir, tickets };
}

/** Runs one writer process per seed on the same tickets at once; their outcomes, one per command. */
async function runWriters(dir: string, tickets: string[], seeds: number[], only?: 'verify' | 'guess'): Promise<Outcome[]> {
  // For `guess`: a moment after they have all started (about 0.3 s each), every process sends at once.
  const env = { ...process.env, GUESS_AT: String(Date.now() + 3_000) };
  const outputs = await Promise.all(
    seeds.map(
      (seed) =>
        new Promise<string>((resolve, reject) => {
          const args = [join(__dirname, 'conflicting-writer.child.ts'), dir, tickets.join(','), String(seed), ...(only ? [only] : [])];
          const child = spawn(process.execPath, ['-r', register, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
          let out = '';
          child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
          // 'close': after the process and its output, all of which counts.
          child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}`))));
        }),
    ),
  );
  return outputs.flatMap((out) => out.trim().split('\n').map((line) => JSON.parse(line) as Outcome));
}

describe('conflicting commands from several processes', () => {
  it('applies every command once or refuses it; nothing is lost, nothing applied twice', async () => {
    const { dir, tickets } = await fileTickets(['race0', 'race1', 'race2', 'race3']);
    const results = await runWriters(dir, tickets, [11, 22, 33]);
    expect(results).toHaveLength(180);

    const check = await recoveryHarness({ bcryptCost: 4 }, { dataDir: dir });
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

  it('verifies one of the tickets of a username that several processes verify at the same moment, and refuses the others', async () => {
    const { dir, tickets } = await fileTickets(['same', 'same', 'same']);
    const results = await runWriters(dir, tickets, [44, 55, 66], 'verify');
    expect(results).toHaveLength(9);
    const applied = results.filter((r) => r.outcome === 'applied');
    expect(applied).toHaveLength(1);
    // The others: the same ticket verified already, or another ticket of the username verified (or being) since.
    for (const r of results.filter((r) => r.outcome === 'refused')) expect(['TransitionNotAllowed', 'RecoveredElsewhere']).toContain(r.why);
    const check = await recoveryHarness({ bcryptCost: 4 }, { dataDir: dir });
    try {
      const verified = await Promise.all(tickets.map(async (ticketId) => (await check.store.readStream(`ticket-${ticketId}`)).filter((e) => e.type === 'TicketVerified').length));
      expect(verified.sort()).toEqual([0, 0, 1]);
    } finally {
      await check.close();
    }
  }, 120000);

  it('checks no more wrong codes for one username, guessed from three processes at once, than its limit and one more for each other process', async () => {
    const { dir, tickets } = await fileTickets([]);
    const results = await runWriters(dir, tickets, [77, 88, 99], 'guess');
    expect(results).toHaveLength(30);
    const check = await recoveryHarness({ bcryptCost: 4 }, { dataDir: dir });
    try {
      const failures = (await check.store.readStream('requests-guessed')).filter((e) => e.type === 'CodeAttemptFailed');
      // Five may fail in five minutes; each process judges its own one after another, so the
      // others may each have one under way when the fifth is recorded. Before, every guess was
      // checked that reached a process before its first failure was recorded.
      expect(failures.length).toBeGreaterThanOrEqual(5);
      expect(failures.length).toBeLessThanOrEqual(5 + 2);
      const applied = results.filter((r) => r.outcome === 'applied');
      expect(applied).toHaveLength(failures.length);
      for (const r of results.filter((r) => r.outcome === 'refused')) expect(r.why).toBe('TooManyAttempts');
    } finally {
      await check.close();
    }
  }, 120000);
});
