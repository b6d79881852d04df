import { ChangeTicketCommand, SubmitTicketCommand } from '@reclaim/recovery';
import { recoveryHarness } from '@reclaim/recovery/testing';

async function main() {
  const h = await recoveryHarness({ bcryptCost: 4 });
  const submit = () => h.bus.execute(new SubmitTicketCommand({ username: 'celebrity', contactEmail: 'b@example.org', previousEmails: [], reason: 'lost-email', explanation: 'spam', packages: [] }, h.meta()));
  const ids: string[] = [];
  for (let round = 0; round < 4; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) ids.push((await submit()).ticketId);
    console.log(`open first: submissions ${round * 1000}-${round * 1000 + 999}: ${(Number(process.hrtime.bigint() - t0) / 1e6 / 1000).toFixed(3)} ms each`);
  }
  // Close them all (rejected), then file more: each new one looks through the closed ones first.
  for (const id of ids) await h.bus.execute(new ChangeTicketCommand(id, { type: 'RejectTicket', reason: 'other', note: 'spam', by: { id: 'agent', role: 'agent' } }, h.meta({ kind: 'staff', id: 'agent' })));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) await submit();
  console.log(`after ${ids.length} closed: ${(Number(process.hrtime.bigint() - t0) / 1e6 / 200).toFixed(3)} ms each`);
  await h.close(true);
}
main();
