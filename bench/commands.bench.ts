import { ChangeTicketCommand, SubmitTicketCommand } from '@reclaim/recovery';
import { recoveryHarness } from '@reclaim/recovery/testing';
import { join } from 'node:path';
import { fmt, perSecond, rawInserts, timed, type Figure } from './support';

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
    const sequential = await timed(async () => {
      for (let i = 0; i < count; i++) await note(i);
    });
    const concurrent = await timed(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < count) await note(next++);
      }));
    });
    const submits = await timed(async () => {
      for (let i = 0; i < count / 5; i++) {
        await h.bus.execute(new SubmitTicketCommand({ username: `s${i}`, contactEmail: 'b@example.org', previousEmails: [], reason: 'lost-2fa', explanation: 'bench', packages: [] }, h.meta()));
      }
    });
    const raw = rawInserts(join(h.dir, 'raw.sqlite'), count, { body: `note 1 ${'x'.repeat(80)}`, author: 'agent' });
    const commandRate = perSecond(count, sequential.nanos);
    const concurrentRate = perSecond(count, concurrent.nanos);
    return [
      { name: 'Commands via CommandBus (AddNote, one at a time)', value: `${fmt(commandRate)} /s`, baseline: `${fmt(raw)} raw inserts/s`, ratio: commandRate / raw, target: '≥ 50%', met: commandRate / raw >= 0.5 },
      { name: 'Commands via CommandBus (AddNote, 16 in flight)', value: `${fmt(concurrentRate)} /s`, baseline: `${fmt(raw)} raw inserts/s`, ratio: concurrentRate / raw },
      { name: 'Submissions via CommandBus (3 streams each, one at a time)', value: `${fmt(perSecond(count / 5, submits.nanos))} /s` },
    ];
  } finally {
    await h.close();
  }
}
