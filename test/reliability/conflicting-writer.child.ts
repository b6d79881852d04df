// One of several processes sending conflicting commands to the same tickets, through the real
// command side on a shared SQLite file. Prints one JSON line per command: its id and outcome.
import { ChangeTicketCommand, SubmitTicketCommand, type TicketChange } from '@reclaim/recovery';
import { recoveryHarness } from '@reclaim/recovery/testing';

async function main(): Promise<void> {
  const [dataDir, ticketList, seedText, only] = process.argv.slice(2);
  const tickets = ticketList!.split(',');
  let seed = Number(seedText);
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const h = await recoveryHarness({ bcryptCost: 4 }, { dataDir });
  const by = { id: `agent-${process.pid}`, role: 'agent' as const };
  const changes: Array<() => TicketChange> = [
    () => ({ type: 'AddNote', body: `note from ${process.pid}`, by }),
    () => ({ type: 'AddNote', body: `another note from ${process.pid}`, by }),
    () => ({ type: 'RequestInfo', question: `question from ${process.pid}`, by }),
    () => ({ type: 'VerifyTicket', evidence: ['race'], note: `${process.pid}`, by }),
    () => ({ type: 'RejectTicket', reason: 'other', note: `${process.pid}`, by }),
  ];
  // `guess`: ten requests for one username at once, each with a wrong recovery code.
  if (only === 'guess') {
    // The processes start one after another; the guesses go at the moment the parent named.
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.GUESS_AT) - Date.now()));
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const meta = h.meta();
        const request = { username: 'guessed', contactEmail: 'g@example.org', previousEmails: [], reason: 'lost-email' as const, explanation: 'x', packages: [], recoveryCode: '0000000000000000' };
        const outcome = await h.bus.execute(new SubmitTicketCommand(request, meta)).then(
          ({ ticketId }) => ({ ticketId, outcome: 'applied' }),
          (error: Error) => ({ ticketId: '', outcome: 'refused', why: error.name }),
        );
        process.stdout.write(`${JSON.stringify({ commandId: meta.commandId, type: 'SubmitTicket', ...outcome })}\n`);
      }),
    );
    await h.close(true);
    return;
  }
  // `verify`: one verification of each ticket, in a random order, instead of 60 random commands.
  const rounds = only === 'verify' ? tickets.length : 60;
  const order = [...tickets].sort(() => random() - 0.5);
  for (let i = 0; i < rounds; i++) {
    const meta = h.meta({ kind: 'staff', id: by.id });
    const change = only === 'verify' ? changes[3]!() : changes[Math.floor(random() * changes.length)]!();
    const ticketId = only === 'verify' ? order[i]! : tickets[Math.floor(random() * tickets.length)]!;
    try {
      await h.bus.execute(new ChangeTicketCommand(ticketId, change, meta));
      process.stdout.write(`${JSON.stringify({ commandId: meta.commandId, ticketId, type: change.type, outcome: 'applied' })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ commandId: meta.commandId, ticketId, type: change.type, outcome: 'refused', why: (error as Error).name })}\n`);
    }
  }
  await h.close(true);
}

main().catch((error) => {
  console.error(error);
  process.exit(1); // not a skipped test: a writer process of the concurrency test ends with a failure code its parent checks
});
