import { ChangeTicketCommand, SubmitTicketCommand } from '@reclaim/recovery';
import { recoveryHarness } from '@reclaim/recovery/testing';
import { join } from 'node:path';
import { fmt, median, perSecond, RawInserts, timed, type Figure } from './support';

/**
 * Commands through the CommandBus on the SQLite store (each appends one event after loading,
 * folding and deciding) against raw single-event inserts with one transaction each.
 */
export async function commandsBench(count: number): Promise<Figure[]> {
  const h = await recoveryHarness({ bcryptCost: 4 });
  try {
    const tickets: string[] = [];
    for (let i = 0; i < 100; i++) {
      const { ticketId } = await h.bus.execute(
        new SubmitTicketCommand({ username: `bench${i}`, contactEmail: 'b@example.org', previousEmails: [], reason: 'lost-email', explanation: 'bench', packages: [] }, h.meta()),
      );
      tickets.push(ticketId);
    }
    const note = (i: number) =>
      h.bus.execute(new ChangeTicketCommand(tickets[i % tickets.length]!, { type: 'AddNote', body: `note ${i} ${'x'.repeat(80)}`, by: { id: 'agent', role: 'agent' } }, h.meta({ kind: 'staff', id: 'agent' })));
    // Commands and the raw baseline take turns, so that both meet the same disk and the same
    // neighbours; the medians of the rounds are compared.
    const raw = new RawInserts(join(h.dir, 'raw.sqlite'), { body: `note 1 ${'x'.repeat(80)}`, author: 'agent' });
    const rounds = 5;
    const perRound = Math.floor(count / rounds);
    const commandRates: number[] = [];
    const rawRates: number[] = [];
    let i = 0;
    for (let round = 0; round < rounds; round++) {
      const sequential = await timed(async () => {
        for (let n = 0; n < perRound; n++) await note(i++);
      });
      commandRates.push(perSecond(perRound, sequential.nanos));
      rawRates.push(raw.run(perRound));
    }
    raw.close();
    const concurrent = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < count) await note(i + next++);
      }));
    });
    const submits = await timed(async () => {
      for (let n = 0; n < count / 5; n++) {
        await h.bus.execute(new SubmitTicketCommand({ username: `s${n}`, contactEmail: 'b@example.org', previousEmails: [], reason: 'lost-2fa', explanation: 'bench', packages: [] }, h.meta()));
      }
    });
    const commandRate = median(commandRates);
    const rawRate = median(rawRates);
    const concurrentRate = perSecond(count, concurrent.nanos);
    return [
      {
        name: `Commands via CommandBus (AddNote, one at a time; median of ${rounds} rounds)`,
        value: `${fmt(commandRate)} /s`,
        baseline: `${fmt(rawRate)} raw inserts/s`,
        ratio: commandRate / rawRate,
        target: '≥ 50%',
        met: commandRate / rawRate >= 0.5,
      },
      { name: 'Commands via CommandBus (AddNote, 16 in flight)', value: `${fmt(concurrentRate)} /s`, baseline: `${fmt(rawRate)} raw inserts/s`, ratio: concurrentRate / rawRate },
      { name: 'Submissions via CommandBus (3 streams each, one at a time)', value: `${fmt(perSecond(count / 5, submits.nanos))} /s` },
    ];
  } finally {
    await h.close();
  }
}
