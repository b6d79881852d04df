import { copyLog, SqliteEventStore, type EventStore } from '@reclaim/event-store';
import { carryDeliveryProgress } from '@reclaim/integrations';
import { openReadModelDb, verifyAudit } from '@reclaim/projections';
import type { CliIo } from './cli';

/**
 * Moves a deployment that outgrew one machine from the embedded store onto EventStoreDB: copies
 * the log (`copyLog`: the same events, chains and times), checks that the copy's log digest is
 * the source's through the same event, and carries the webhooks' checkpoints into the read-model
 * file the EventStoreDB deployment uses (`read-models.sqlite` in the same folder), so that
 * subscriptions go on where they were. Everything else the read models hold is built again from
 * the copy when a server first starts on it. Run it again after an interruption, or once the
 * servers are stopped, to copy what is missing.
 */
export async function copyToEventStoreDb(source: SqliteEventStore, target: EventStore, dataDir: string, io: CliIo): Promise<number> {
  const report = await copyLog(source, target, (copied) => io.err(`copied ${copied} events…`));
  // Through the last event copied; the whole log, stream heads included (a removed last event),
  // when nothing came after it meanwhile.
  const through = (await source.headPosition()) === report.through ? undefined : report.through;
  const [original, copy] = [
    await verifyAudit(source, { through, onProgress: (events) => io.err(`verified ${events} events of the embedded store…`) }),
    await verifyAudit(target, { onProgress: (events) => io.err(`verified ${events} events of the copy…`) }),
  ];
  const same = original.ok && copy.ok && original.events === copy.events && original.digest === copy.digest;
  const webhooks = same ? await carryWebhookCheckpoints(source, target, dataDir, io) : 0;
  io.out(
    JSON.stringify({
      copied: report.copied,
      ...(report.resumedAfter === undefined ? {} : { resumedAfter: report.resumedAfter.toString() }),
      events: copy.events,
      digest: copy.digest,
      embeddedDigest: original.digest,
      position: copy.position,
      webhookCheckpoints: webhooks,
    }),
  );
  if (!same) {
    io.err(`the copy is not the embedded store's log: ${copy.events} events with digest ${copy.digest}${copy.ok ? '' : ' (broken)'}, against ${original.events} with ${original.digest}${original.ok ? '' : ' (broken)'}`);
    return 1;
  }
  io.err(
    `Copied. The log digest is the same on both (write it down with its position: verify on the cluster gives it again). Start the servers with ` +
      `RECLAIM_EVENT_STORE=eventstoredb, this EVENTSTORE_CONNECTION_STRING, and the same secret key (this folder's secret.key, or RECLAIM_SECRET_KEY); ` +
      `the instance that sends webhooks takes this folder's read-models.sqlite. Not carried: the answers kept for Idempotency-Keys and the webhooks' logs of attempts.`,
  );
  return 0;
}

/**
 * Into read models that no server has built yet: once one has, the subscriptions' checkpoints
 * there are the copy's own, and newer than the embedded store's.
 */
async function carryWebhookCheckpoints(source: SqliteEventStore, target: EventStore, dataDir: string, io: CliIo): Promise<number> {
  const readModels = openReadModelDb(target, dataDir);
  try {
    const built = readModels.prepare("SELECT 1 FROM sqlite_master WHERE name = 'projection_checkpoints'").get() !== undefined;
    if (built) {
      io.err(`read models were built in ${readModels.name} already: the webhooks' checkpoints there are the copy's own, and were left as they are`);
      return 0;
    }
    return await carryDeliveryProgress(source.database, readModels, async (position) => {
      const event = await source.eventAt(position);
      const [copied] = event ? await target.readStream(event.streamName, { fromRevision: event.revision, maxCount: 1 }) : [];
      if (!copied) throw new Error(`no copy of the event at ${position}`);
      return copied.position;
    });
  } finally {
    if (readModels !== (target as Partial<SqliteEventStore>).database) readModels.close();
  }
}
