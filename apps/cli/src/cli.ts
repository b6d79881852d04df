import { createEventStore, EventStoreDbEventStore, makeDirectory, parseEventStoreKind, POSITION, SqliteEventStore, sqliteFile, syncToDisk, type EventStore, type EventStoreKind } from '@reclaim/event-store';
import { openSecretBox, replaceLostKey, secretKeyFile } from '@reclaim/credentials';
import { everyProjector } from '@reclaim/integrations';
import { openReadModelDb, ProjectionRunner, readHistory, toHistoryEntry, verifyAudit } from '@reclaim/projections';
import { streams } from '@reclaim/recovery';
import { lifecycleDocument, recoveryTicketMachine } from '@reclaim/state-machines';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { copyToEventStoreDb } from './copy-to-eventstoredb';

export const USAGE = `reclaim operator commands (npm run cli -- <command>)

  verify [--through <pos>]     check the hash chain of every stream (up to a position); exit 1 if
                               broken. Prints the log digest at the last position checked
  rebuild [name ...]           empty read models (all, or the named) and replay the log into them
  catch-up                     apply to the read models what they have not processed yet
  positions                    each projector's checkpoint and its lag behind the log
  backup <folder>              copy the embedded store, as it stands at one moment, and its key
                               file into a new folder, while servers run; prints the copy's
                               log digest
  replace-key --secrets-lost   when the store's secret key is lost, with no copy left, and no
                               server runs: names a new one (RECLAIM_SECRET_KEY, else a new key
                               file) so that servers start again; the secrets sealed with the
                               lost key are lost
  copy-to-eventstoredb         copy the embedded store's log into the EventStoreDB cluster named
                               by EVENTSTORE_CONNECTION_STRING, and the webhooks' checkpoints
                               beside it; goes on where a run stopped; prints the log digest,
                               the same on both, or exits 1
  export --ticket <id>         one ticket's history as JSON Lines
  export --all                 every event of the log as JSON Lines
  diagram [--write <file>]     the lifecycle diagram (Mermaid), generated from the machine

The store is chosen as for the server: RECLAIM_DATA_DIR, RECLAIM_EVENT_STORE, EVENTSTORE_CONNECTION_STRING.
Progress goes to stderr, results to stdout. Exit status: 0 ok, 1 a problem found, 2 wrong usage.`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

/** Runs one operator command; resolves to the exit status. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === 'diagram') return diagram(rest, io);
    if (!command || command === 'help' || command === '--help') {
      io.out(USAGE);
      return command ? 0 : 2;
    }
    const dataDir = io.env.RECLAIM_DATA_DIR?.trim() || './data';
    const run = commandFor(command, rest, dataDir, io);
    const kind = storeKind(io.env);
    const connectionString = io.env.EVENTSTORE_CONNECTION_STRING?.trim() || undefined;
    if (kind === 'eventstoredb' && !connectionString) throw new UsageError('RECLAIM_EVENT_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING');
    if (kind === 'sqlite' && !existsSync(sqliteFile(dataDir))) throw new UsageError(`no embedded store at ${sqliteFile(dataDir)} (set RECLAIM_DATA_DIR)`);
    const store = createEventStore({ kind, dataDir, connectionString });
    try {
      return await run(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

/**
 * A command with its arguments read, to run on the store. Wrong usage is found here, before the
 * store is opened: opening the embedded one may migrate its file, and a typo should change nothing.
 */
function commandFor(command: string, args: string[], dataDir: string, io: CliIo): (store: EventStore) => Promise<number> {
  switch (command) {
    case 'verify': {
      const { through } = argumentsOf(args, { through: { type: 'string' } }).values;
      if (through !== undefined && !POSITION.test(through)) throw new UsageError('--through needs a position: a decimal number');
      return (store) => verify(store, through === undefined ? undefined : BigInt(through), io);
    }
    case 'rebuild': {
      const { positionals: names } = argumentsOf(args, {}, true);
      return (store) => rebuild(store, dataDir, names, io);
    }
    case 'catch-up':
      argumentsOf(args, {});
      return (store) => catchUp(store, dataDir, io);
    case 'positions':
      argumentsOf(args, {});
      return (store) => positions(store, dataDir, io);
    case 'export': {
      const { ticket, all } = argumentsOf(args, { ticket: { type: 'string' }, all: { type: 'boolean' } }).values;
      if (ticket !== undefined && all) throw new UsageError('export takes --ticket <id> or --all, not both');
      if (!ticket && !all) throw new UsageError('export needs --ticket <id> or --all');
      return (store) => (ticket ? exportTicket(store, ticket, io) : exportAll(store, io));
    }
    case 'backup': {
      const { positionals } = argumentsOf(args, {}, true);
      if (positionals.length !== 1) throw new UsageError('backup needs the one folder to write the copy to');
      return (store) => backup(store, dataDir, positionals[0]!, io);
    }
    case 'copy-to-eventstoredb': {
      argumentsOf(args, {});
      const connectionString = io.env.EVENTSTORE_CONNECTION_STRING?.trim();
      if (!connectionString) throw new UsageError('copy-to-eventstoredb needs EVENTSTORE_CONNECTION_STRING: the cluster to copy the log into');
      if (storeKind(io.env) !== 'sqlite') throw new UsageError('copy-to-eventstoredb copies the embedded store in RECLAIM_DATA_DIR: leave RECLAIM_EVENT_STORE unset');
      return async (store) => {
        const target = new EventStoreDbEventStore(connectionString);
        try {
          return await copyToEventStoreDb(store as SqliteEventStore, target, dataDir, io);
        } finally {
          await target.close();
        }
      };
    }
    case 'replace-key': {
      const { values } = argumentsOf(args, { 'secrets-lost': { type: 'boolean' } });
      if (!values['secrets-lost']) throw new UsageError('replace-key gives up every secret sealed with the lost key: say so with --secrets-lost');
      return (store) => replaceKey(store, dataDir, io);
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

function diagram(args: string[], io: CliIo): number {
  const document = lifecycleDocument(recoveryTicketMachine);
  const target = argumentsOf(args, { write: { type: 'string' } }).values.write;
  if (target) {
    writeFileSync(target, document);
    io.err(`wrote ${target}`);
  } else {
    io.out(document);
  }
  return 0;
}

async function verify(store: EventStore, through: bigint | undefined, io: CliIo): Promise<number> {
  const report = await verifyAudit(store, {
    through,
    onProgress: (events) => io.err(`verified ${events} events…`),
  });
  io.out(JSON.stringify(report));
  if (!report.ok) io.err(`BROKEN: stream ${report.firstBroken!.stream} at revision ${report.firstBroken!.revision}`);
  return report.ok ? 0 : 1;
}

/**
 * The read models, and a word for each one found at an older version: it is emptied, to be built
 * again from the whole log. Read models built from another log are refused, as the server does.
 */
async function projectionRunner(store: EventStore, dataDir: string, io: CliIo): Promise<ProjectionRunner> {
  const db = openReadModelDb(store, dataDir);
  const runner = new ProjectionRunner(store, db, everyProjector());
  await runner.checkLog(db.name);
  for (const name of runner.builtAgain) io.err(`read model ${name} is of a new version: emptied, to be built again from the whole log`);
  return runner;
}

async function rebuild(store: EventStore, dataDir: string, names: string[], io: CliIo): Promise<number> {
  const runner = await projectionRunner(store, dataDir, io);
  const chosen = names.length ? names : runner.names();
  const unknown = chosen.filter((name) => !runner.names().includes(name));
  if (unknown.length) throw new UsageError(`unknown projector: ${unknown.join(', ')} (known: ${runner.names().join(', ')})`);
  for (const name of chosen) runner.reset(name);
  const started = Date.now();
  await runner.catchUp((position, head) => io.err(`${chosen.join(', ')}: ${position}/${head} (${percent(position, head)})`));
  io.out(JSON.stringify({ rebuilt: chosen, seconds: (Date.now() - started) / 1000 }));
  return 0;
}

async function catchUp(store: EventStore, dataDir: string, io: CliIo): Promise<number> {
  const runner = await projectionRunner(store, dataDir, io);
  await runner.catchUp((position, head) => io.err(`read models: ${position}/${head} (${percent(position, head)})`));
  io.out(JSON.stringify({ positions: Object.fromEntries(Object.entries(runner.checkpoints()).map(([k, v]) => [k, v.toString()])) }));
  return 0;
}

async function positions(store: EventStore, dataDir: string, io: CliIo): Promise<number> {
  const runner = await projectionRunner(store, dataDir, io);
  const head = await store.headPosition();
  const rows = Object.entries(runner.checkpoints()).map(([name, position]) => ({
    name,
    position: position.toString(),
    lag: (head - position).toString(),
  }));
  io.out(JSON.stringify({ head: head.toString(), projectors: rows }));
  return 0;
}

/**
 * A copy of the embedded store as it stood at one moment (`VACUUM INTO` reads it in one
 * transaction, while servers go on writing), with the key file that seals its secrets: restored
 * without its key, a store's TOTP and webhook secrets cannot be opened, and a server refuses it.
 * The copy's hash chains are checked, and its log digest printed: noted down elsewhere, it lets a
 * reviewer check the log up to that position later.
 */
async function backup(store: EventStore, dataDir: string, folder: string, io: CliIo): Promise<number> {
  if (!(store instanceof SqliteEventStore)) throw new UsageError('backup copies the embedded store; back an EventStoreDB cluster up with its own tools');
  const copy = sqliteFile(folder);
  if (existsSync(copy)) throw new UsageError(`${copy} exists already: back up into a new folder`);
  const keyFromEnv = secretKeyFromEnv(io.env);
  const keyFile = secretKeyFile(dataDir);
  if (!keyFromEnv && !existsSync(keyFile)) {
    io.err(`no ${keyFile}, and RECLAIM_SECRET_KEY is not set: without the key that sealed them, the store's secrets are lost`);
    return 1;
  }
  // A copy kept with another key (a stale key file beside a store whose servers use
  // RECLAIM_SECRET_KEY, say) could never be restored: found now, not on the day it is needed.
  try {
    await openSecretBox(store, dataDir, keyFromEnv, { name: false });
  } catch (error) {
    io.err(`nothing copied: ${(error as Error).message}`);
    return 1;
  }
  makeDirectory(folder);
  io.err(`copying ${sqliteFile(dataDir)} to ${copy}…`);
  if (!keyFromEnv) {
    writeFileSync(secretKeyFile(folder), readFileSync(keyFile), { mode: 0o600 });
    syncToDisk(secretKeyFile(folder));
  }
  // Written under another name and renamed once whole: a copy cut short is never taken for one.
  const partial = `${copy}.partial`;
  rmSync(partial, { force: true });
  store.database.prepare('VACUUM INTO ?').run(partial);
  syncToDisk(partial);
  renameSync(partial, copy);
  syncToDisk(folder); // the new files' names, too, must survive a power cut
  const copied = new SqliteEventStore(copy);
  let report;
  try {
    report = await verifyAudit(copied, { onProgress: (events) => io.err(`verified ${events} events of the copy…`) });
  } finally {
    await copied.close();
  }
  const { ok, events, position, digest } = report;
  io.out(JSON.stringify({ backup: folder, key: keyFromEnv ? 'RECLAIM_SECRET_KEY: not written, keep it with the copy' : 'secret.key', ok, events, position, digest }));
  if (!ok) io.err(`BROKEN: stream ${report.firstBroken!.stream} at revision ${report.firstBroken!.revision}`);
  return ok ? 0 : 1;
}

/** RECLAIM_SECRET_KEY, read as the server reads it. */
function secretKeyFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.RECLAIM_SECRET_KEY?.trim() || undefined;
}

async function replaceKey(store: EventStore, dataDir: string, io: CliIo): Promise<number> {
  let replaced;
  try {
    replaced = await replaceLostKey(store, dataDir, secretKeyFromEnv(io.env));
  } catch (error) {
    io.err((error as Error).message);
    return 1;
  }
  io.out(JSON.stringify({ key: replaced.keySource, position: replaced.position.toString() }));
  io.err(
    'The store now takes this key. Lost with the old one: TOTP secrets (enrol each account again: POST /v1/accounts/{username}/totp; ' +
      'until then its codes are recorded as not-enrolled), webhook secrets (give each webhook a new one: POST /v1/webhooks/{id}/secret; ' +
      'until then it sends nothing) and kept answers (a retry runs again, and applies nothing twice).',
  );
  return 0;
}

async function exportTicket(store: EventStore, ticketId: string, io: CliIo): Promise<number> {
  const stream = streams.ticket(ticketId);
  const history = await readHistory(store, stream);
  if (!history) {
    io.err(`no ticket ${ticketId}`);
    return 1;
  }
  for (const entry of history.events) io.out(JSON.stringify({ stream, ...entry }));
  return 0;
}

async function exportAll(store: EventStore, io: CliIo): Promise<number> {
  let after = 0n;
  let count = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 5000 });
    if (page.length === 0) break;
    for (const event of page) io.out(JSON.stringify({ stream: event.streamName, ...toHistoryEntry(event) }));
    count += page.length;
    after = page[page.length - 1]!.position;
    io.err(`exported ${count} events…`);
  }
  return 0;
}

/**
 * Read as the server reads it. A mistyped store must not fall back to the embedded one: `verify`
 * would then check a local file, and report it sound, in place of the cluster's log.
 */
function storeKind(env: NodeJS.ProcessEnv): EventStoreKind {
  const kind = env.RECLAIM_EVENT_STORE?.trim() || 'sqlite';
  try {
    return parseEventStoreKind(kind);
  } catch (error) {
    throw new UsageError(`RECLAIM_EVENT_STORE must be ${(error as Error).message}, not "${kind}"`);
  }
}

/**
 * A command's options and names, refusing what it does not take: a mistyped `verify --thruogh 10`
 * would otherwise check the whole log and print the head's digest, which a reviewer comparing it
 * with the digest written down at 10 would take for a log that was altered. An option's value is
 * not the next option (`export --ticket --all` is refused).
 */
function argumentsOf<T extends ParseArgsConfig['options']>(args: string[], options: T, takesNames = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: takesNames });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const percent = (position: bigint, head: bigint) => (head === 0n ? '100%' : `${Number((position * 100n) / head)}%`);

