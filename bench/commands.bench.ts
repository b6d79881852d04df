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
    // Commands and the raw baseline take turns (which goes first alternates), so that both meet
    // the same disk and the same neighbours; each round gives a ratio, and the median is reported.
    const raw = new RawInserts(join(h.dir, 'raw.sqlite'), { body: `note 1 ${'x'.repeat(80)}`, author: 'agent' });
    const rounds = 9;
    const perRound = Math.floor(count / rounds);
    const commandRates: number[] = [];
    const rawRates: number[] = [];
    let i = 0;
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const rawFirst = round % 2 === 1;
      if (rawFirst) rawRates.push(raw.run(perRound));
      const sequential = await timed(async () => {
        for (let n = 0; n < perRound; n++) await note(i++);
      });
      commandRates.push(perSecond(perRound, sequential.nanos));
      if (!rawFirst) rawRates.push(raw.run(perRound));
      ratios.push(commandRates[round]! / rawRates[round]!);
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
    const ratio = median(ratios);
    const concurrentRate = perSecond(count, concurrent.nanos);
    return [
      {
        name: `Commands via CommandBus (AddNote, one at a time; medians of ${rounds} rounds, ratio of each round's pair)`,
        value: `${fmt(commandRate)} /s`,
        baseline: `${fmt(rawRate)} raw inserts/s`,
        ratio,
        target: '≥ 50%',
        met: ratio >= 0.5,
      },
      { name: 'Commands via CommandBus (AddNote, 16 in flight)', value: `${fmt(concurrentRate)} /s`, baseline: `${fmt(rawRate)} raw inserts/s`, ratio: concurrentRate / rawRate },
      { name: 'Submissions via CommandBus (3 streams each, one at a time)', value: `${fmt(perSecond(count / 5, submits.nanos))} /s` },
    ];
  } finally {
    await h.close();
  }
}
