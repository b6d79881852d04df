import Database from 'better-sqlite3';
import { ChangeTicketCommand, CreateStaffCommand, EnrolTotpCommand, IssueRecoveryCodesCommand, SubmitTicketCommand, UpsertAccountCommand } from '@reclaim/recovery';
import { recoveryHarness } from '@reclaim/recovery/testing';
import { ChangeWebhookCommand, CreateWebhookCommand, defaultWebhookSettings, DeliveryLog, everyProjector, IntegrationsModule, RotateWebhookSecretCommand } from '@reclaim/integrations';
import { ProjectionsModule } from '@reclaim/projections';
import { lifecycleDocument, recoveryTicketMachine } from '@reclaim/state-machines';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDbEventStore, SqliteEventStore, sqliteFile, type EventStore, type RecordedEvent } from '@reclaim/event-store';
import { standInEventStoreDb } from '@reclaim/event-store/testing';
import { randomUUID } from 'node:crypto';
import { runCli } from './cli';
import { copyToEventStoreDb } from './copy-to-eventstoredb';

async function cli(dataDir: string, ...args: string[]) {
  return cliWith({ RECLAIM_DATA_DIR: dataDir }, ...args);
}

async function cliWith(env: NodeJS.ProcessEnv, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env });
  return { status, out, err: err.join('\n') };
}

/** The CLI as an operator runs it, a process of its own on the embedded store in `dir`, and its exit code. */
function cliProcess(dir: string, args: string[], stdout: 'pipe' | 'ignore') {
  const register = join(__dirname, '..', '..', '..', 'scripts', 'ts-register.js');
  const child = spawn(process.execPath, ['-r', register, join(__dirname, 'main.ts'), ...args], { env: { ...process.env, RECLAIM_DATA_DIR: dir }, stdio: ['ignore', stdout, 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

/**
 * A data dir holding an account with codes and TOTP, a staff member, a webhook whose secret was
 * replaced, and a few tickets, written through the real command side.
 */
async function dataDirWithTickets(count: number): Promise<{ dir: string; ticketIds: string[] }> {
  const h = await recoveryHarness({}, {
    // As the server has them: the webhooks' read model with the others (a create counts the subscriptions in it).
    imports: (dir) => [ProjectionsModule.forRoot({ dataDir: dir, timers: false, projectors: everyProjector }), IntegrationsModule.forRoot({ ...defaultWebhookSettings, enabled: false })],
  });
  const admin = { kind: 'staff', id: 'admin' } as const;
  await h.bus.execute(new UpsertAccountCommand('u0', { primaryEmail: 'x@example.org', emails: [], packages: [], critical: false, frozen: false }, h.meta(admin)));
  await h.bus.execute(new IssueRecoveryCodesCommand('u0', h.meta(admin)));
  await h.bus.execute(new EnrolTotpCommand('u0', h.meta(admin)));
  await h.bus.execute(new CreateStaffCommand('Ada', 'agent', h.meta(admin)));
  const webhook = await h.bus.execute(new CreateWebhookCommand('https://192.0.2.1/hook', [], null, h.meta(admin)));
  await h.bus.execute(new RotateWebhookSecretCommand(webhook.id, 0, h.meta(admin)));
  await h.bus.execute(new ChangeWebhookCommand(webhook.id, { url: 'https://192.0.2.1/moved', types: ['recovery.ticket.verified.v1'], concurrency: 2 }, h.meta(admin)));
  const ticketIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const { ticketId } = await h.bus.execute(
      new SubmitTicketCommand({ username: `u${i}`, contactEmail: 'x@example.org', previousEmails: [], reason: 'lost-2fa', explanation: 'e', packages: [] }, h.meta()),
    );
    await h.bus.execute(new ChangeTicketCommand(ticketId, { type: 'AddNote', body: `note ${i}`, by: { id: 'a', role: 'agent' } }, h.meta()));
    ticketIds.push(ticketId);
  }
  await h.close(true);
  return { dir: h.dir, ticketIds };
}

describe('operator CLI', () => {
  let dir: string;
  let ticketIds: string[];
  beforeAll(async () => {
    ({ dir, ticketIds } = await dataDirWithTickets(5));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies an intact log (exit 0) and names the first broken link of a tampered copy (exit 1)', async () => {
    const ok = await cli(dir, 'verify');
    expect(ok.status).toBe(0);
    const report = JSON.parse(ok.out[0]!);
    expect(report).toMatchObject({ ok: true, streams: expect.any(Number), position: expect.stringMatching(/^\d+$/), digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Through an earlier position: fewer events, and the digest the log had there.
    const earlier = await cli(dir, 'verify', '--through', String(Number(report.position) - 1));
    expect(earlier.status).toBe(0);
    expect(JSON.parse(earlier.out[0]!)).toMatchObject({ ok: true, events: report.events - 1, position: String(Number(report.position) - 1) });
    expect(JSON.parse(earlier.out[0]!).digest).not.toBe(report.digest);
    expect(JSON.parse((await cli(dir, 'verify', '--through', report.position)).out[0]!)).toEqual(report);
    expect((await cli(dir, 'verify', '--through', 'last')).status).toBe(2);
    const copy = mkdtempSync(join(tmpdir(), 'reclaim-cli-'));
    copyFileSync(join(dir, 'reclaim.sqlite'), join(copy, 'reclaim.sqlite'));
    const db = new Database(join(copy, 'reclaim.sqlite'));
    db.prepare("UPDATE events SET data = json_set(data, '$.body', 'rewritten') WHERE type = 'NoteAdded' AND stream_name = ?").run(`ticket-${ticketIds[1]}`);
    db.close();
    const broken = await cli(copy, 'verify');
    expect(broken.status).toBe(1);
    expect(JSON.parse(broken.out[0]!).firstBroken).toEqual({ stream: `ticket-${ticketIds[1]}`, revision: '1' });
    expect(broken.err).toContain('BROKEN');
    rmSync(copy, { recursive: true, force: true });
  });

  it('exports one ticket or the whole log as JSON Lines', async () => {
    const one = await cli(dir, 'export', '--ticket', ticketIds[0]!);
    expect(one.status).toBe(0);
    expect(one.out.map((line) => JSON.parse(line).type)).toEqual(['TicketSubmitted', 'NoteAdded']);
    // Each line names its stream, so lines of several exports can be told apart.
    expect(new Set(one.out.map((line) => JSON.parse(line).stream))).toEqual(new Set([`ticket-${ticketIds[0]}`]));
    const all = await cli(dir, 'export', '--all');
    const lines = all.out.map((line) => JSON.parse(line));
    expect(lines.filter((line) => line.stream === `ticket-${ticketIds[0]}`).map((line) => line.type)).toEqual(['TicketSubmitted', 'NoteAdded']);
    expect(lines.map((l) => BigInt(l.position))).toEqual(lines.map((_, i) => BigInt(i + 1)));
    // Hashes and sealed secrets are the engine's only: an export has the code set's size instead.
    expect(all.out.join('\n')).not.toMatch(/tokenHash|\$2[aby]\$|sealedSecret/i);
    expect(lines.find((line) => line.type === 'RecoveryCodesIssued').data).toEqual({ source: 'generated', count: 8 });
    expect((await cli(dir, 'export', '--ticket', 'missing')).status).toBe(1);
  });

  it('exports a log longer than one page of reads, every event once and in order', async () => {
    const { SqliteEventStore } = await import('@reclaim/event-store');
    const long = mkdtempSync(join(tmpdir(), 'reclaim-cli-long-'));
    const store = new SqliteEventStore(join(long, 'reclaim.sqlite'));
    const metadata = { occurredAt: new Date().toISOString(), schemaVersion: 1 };
    await store.appendToStream('counter', Array.from({ length: 12_001 }, (_, i) => ({ id: `e-${i}`, type: 'Happened', data: {}, metadata })));
    await store.close();
    const all = await cli(long, 'export', '--all');
    expect(all.status).toBe(0);
    expect(all.out.map((line) => Number(JSON.parse(line).position))).toEqual(Array.from({ length: 12_001 }, (_, i) => i + 1));
    rmSync(long, { recursive: true, force: true });
  });

  it('rebuilds read models with progress, and shows positions and lag', async () => {
    // A read model that lost rows (a restored backup, a hand edit) is built again whole.
    expect((await cli(dir, 'catch-up')).status).toBe(0);
    const file = new Database(join(dir, 'reclaim.sqlite'));
    const views = () => file.prepare('SELECT ticket_id, view FROM ticket_views ORDER BY seq').all();
    const before = views();
    file.prepare('DELETE FROM ticket_views WHERE ticket_id = ?').run(ticketIds[2]);
    const rebuilt = await cli(dir, 'rebuild', 'tickets');
    expect(views()).toEqual(before);
    file.close();
    expect(rebuilt.status).toBe(0);
    expect(rebuilt.err).toMatch(/tickets: \d+\/\d+ \(100%\)/);
    const positions = JSON.parse((await cli(dir, 'positions')).out[0]!);
    expect(positions.projectors).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'tickets', lag: '0' })]));
  });

  it('says which read model it found at an older version, which a catch-up then builds again', async () => {
    const file = new Database(join(dir, 'reclaim.sqlite'));
    file.prepare("UPDATE projection_checkpoints SET version = 0 WHERE name = 'tickets'").run();
    file.close();
    const shown = await cli(dir, 'positions');
    expect(shown.err).toBe('read model tickets is of a new version: emptied, to be built again from the whole log');
    const { head, projectors } = JSON.parse(shown.out[0]!);
    expect(projectors).toContainEqual({ name: 'tickets', position: '0', lag: head });
    const caughtUp = await cli(dir, 'catch-up');
    expect(caughtUp.err).not.toContain('new version');
    expect(JSON.parse(caughtUp.out[0]!).positions.tickets).toBe(head);
  });

  it('prints the lifecycle diagram generated from the machine', async () => {
    const diagram = await cli(dir, 'diagram');
    expect(diagram.out[0]).toBe(lifecycleDocument(recoveryTicketMachine));
  });

  it('says how to use it, with exit status 2', async () => {
    expect((await cli(dir)).status).toBe(2);
    expect((await cli(dir, 'frobnicate')).err).toContain('unknown command');
    expect((await cli(dir, 'rebuild', 'nope')).status).toBe(2);
    // An option's value is not the next option.
    const noValue = await cli(dir, 'export', '--ticket', '--all');
    expect([noValue.status, noValue.out]).toEqual([2, []]);
    expect(noValue.err).toContain("Option '--ticket' argument is ambiguous");
    // What a command does not take is refused, not ignored: a mistyped option of verify would
    // otherwise check the whole log and print another digest than the one asked for.
    for (const args of [['verify', '--thruogh', '1'], ['verify', '--through', '1', 'extra'], ['positions', 'extra'], ['catch-up', '--all'], ['rebuild', 'tickets', '--force'], ['export', '--all', '--ticket', ticketIds[0]!]]) {
      const refused = await cli(dir, ...args);
      expect({ args, status: refused.status, out: refused.out }).toEqual({ args, status: 2, out: [] });
    }
    expect((await cli(dir, 'verify', '--thruogh', '1')).err).toContain("Unknown option '--thruogh'");
    expect((await cli(dir, 'export', '--all', '--ticket', ticketIds[0]!)).err).toContain('--ticket <id> or --all, not both');
    expect((await cli(join(dir, 'nowhere'), 'verify')).status).toBe(2);
    const neither = await cli(dir, 'export');
    expect([neither.status, neither.out]).toEqual([2, []]);
    expect(neither.err).toContain('export needs --ticket <id> or --all');
    // A data folder set to spaces counts as left out: ./data, as for the server (run from an
    // empty folder, so that no ./data is found).
    const cwd = process.cwd();
    const empty = mkdtempSync(join(tmpdir(), 'reclaim-cli-cwd-'));
    process.chdir(empty);
    try {
      const unset = await cliWith({ RECLAIM_DATA_DIR: '  ' }, 'positions');
      expect(unset.status).toBe(2);
      expect(unset.err).toContain(`no embedded store at ${join('data', 'reclaim.sqlite')} `);
    } finally {
      process.chdir(cwd);
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a store it does not know, rather than checking the embedded file in its place', async () => {
    const mistyped = await cliWith({ RECLAIM_DATA_DIR: dir, RECLAIM_EVENT_STORE: 'eventstore' }, 'verify');
    expect(mistyped).toMatchObject({ status: 2, out: [] });
    expect(mistyped.err).toContain('RECLAIM_EVENT_STORE must be sqlite or eventstoredb, not "eventstore"');
    const unreachable = await cliWith({ RECLAIM_DATA_DIR: dir, RECLAIM_EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: ' ' }, 'verify');
    expect(unreachable).toMatchObject({ status: 2, out: [] });
    expect(unreachable.err).toContain('RECLAIM_EVENT_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING');
    expect((await cliWith({ RECLAIM_DATA_DIR: dir, RECLAIM_EVENT_STORE: ' sqlite ' }, 'verify')).status).toBe(0);
  });
});

describe('copy-to-eventstoredb', () => {
  const collect = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: {} }, out, err };
  };
  /** Where the copy holds the same event as the embedded store. */
  const inCopy = async (target: EventStore, event: RecordedEvent) => (await target.readStream(event.streamName, { fromRevision: event.revision, maxCount: 1 }))[0]!.position;

  it("copies the log into the cluster with the same digest, carries the webhooks' checkpoints into the read models beside it, and goes on where it stopped", async () => {
    const { dir, ticketIds } = await dataDirWithTickets(3);
    const source = new SqliteEventStore(sqliteFile(dir));
    const target = new EventStoreDbEventStore('esdb://unused', standInEventStoreDb().client);
    try {
      // The dispatcher had got somewhere: a checkpoint, a ticket held, a redelivery asked for.
      const events = await source.readAll();
      const created = events.find((event) => event.type === 'WebhookCreated')!;
      const webhookId = (created.data as { webhookId: string }).webhookId;
      const submitted = events.filter((event) => event.type === 'TicketSubmitted');
      const deliveries = new DeliveryLog(source.database);
      deliveries.saveProgress(webhookId, { position: submitted[1]!.position, attempts: 0, nextAttemptAt: 0, failingSince: null });
      deliveries.hold(webhookId, { ticketId: ticketIds[0]!, after: created.position, attempts: 2, nextAttemptAt: 5, heldAt: 1 });
      deliveries.requestRedelivery(webhookId, submitted[0]!.position);

      const { io, out } = collect();
      expect(await copyToEventStoreDb(source, target, dir, io)).toBe(0);
      const verified = JSON.parse((await cli(dir, 'verify')).out[0]!);
      expect(JSON.parse(out[0]!)).toEqual({
        copied: events.length,
        events: verified.events,
        digest: verified.digest,
        embeddedDigest: verified.digest,
        position: (await target.headPosition()).toString(),
        webhookCheckpoints: 1,
      });
      const readModels = new Database(join(dir, 'read-models.sqlite'));
      try {
        const carried = new DeliveryLog(readModels);
        expect(carried.progress(webhookId, 0n).position).toBe(await inCopy(target, submitted[1]!));
        expect(carried.heldTickets(webhookId)).toEqual([{ ticketId: ticketIds[0], after: await inCopy(target, created), attempts: 2, nextAttemptAt: 5, heldAt: 1 }]);
        expect(carried.pendingRedelivery(webhookId)).toBe(await inCopy(target, submitted[0]!));
      } finally {
        readModels.close();
      }

      // The embedded store gained an event since (a server still ran): run again, and it is copied too.
      await source.appendToStream(`ticket-${ticketIds[2]}`, [{ id: randomUUID(), type: 'NoteAdded', data: { body: 'late' }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }]);
      const again = collect();
      expect(await copyToEventStoreDb(source, target, dir, again.io)).toBe(0);
      expect(JSON.parse(again.out[0]!)).toMatchObject({ copied: 1, resumedAfter: events[events.length - 1]!.position.toString(), events: verified.events + 1 });
      expect(JSON.parse(again.out[0]!).digest).toBe(JSON.parse((await cli(dir, 'verify')).out[0]!).digest);
    } finally {
      await source.close();
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['an event was altered: it is copied as it reads, and the digests differ', "UPDATE events SET data = json_set(data, '$.body', 'rewritten') WHERE type = 'NoteAdded' AND stream_name = ?"],
    ["a stream's last event was removed: the stream's head says so", "DELETE FROM events WHERE position = (SELECT MAX(position) FROM events WHERE stream_name = ?)"],
  ])('exits 1 when the embedded log is not sound: %s', async (_, tampering) => {
    const { dir, ticketIds } = await dataDirWithTickets(2);
    const db = new Database(sqliteFile(dir));
    db.prepare(tampering).run(`ticket-${ticketIds[1]}`);
    db.close();
    const source = new SqliteEventStore(sqliteFile(dir));
    const target = new EventStoreDbEventStore('esdb://unused', standInEventStoreDb().client);
    try {
      const { io, out, err } = collect();
      expect(await copyToEventStoreDb(source, target, dir, io)).toBe(1);
      expect(JSON.parse(out[0]!)).toMatchObject({ webhookCheckpoints: 0 });
      expect(err.join('\n')).toMatch(/the copy is not the embedded store's log: .* against .* \(broken\)/);
    } finally {
      await source.close();
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs the cluster named, and copies from the embedded store only', async () => {
    const { dir } = await dataDirWithTickets(0);
    try {
      const unnamed = await cli(dir, 'copy-to-eventstoredb');
      expect([unnamed.status, unnamed.out]).toEqual([2, []]);
      expect(unnamed.err).toContain('copy-to-eventstoredb needs EVENTSTORE_CONNECTION_STRING');
      const fromCluster = await cliWith({ RECLAIM_DATA_DIR: dir, RECLAIM_EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:1' }, 'copy-to-eventstoredb');
      expect([fromCluster.status, fromCluster.err]).toEqual([2, expect.stringContaining('copies the embedded store in RECLAIM_DATA_DIR')]);
      expect((await cliWith({ RECLAIM_DATA_DIR: dir, EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:1' }, 'copy-to-eventstoredb', 'extra')).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the operator CLI as a process', () => {
  it('stops quietly, exit 0, when the reader of its output leaves early (`export --all | head`)', async () => {
    const { SqliteEventStore } = await import('@reclaim/event-store');
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-export-pipe-'));
    try {
      // More output than a pipe holds (64 KiB), so the export is still writing when the reader goes.
      const store = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
      const meta = { occurredAt: new Date().toISOString(), schemaVersion: 1 };
      await store.appendToStream('ticket-p', Array.from({ length: 2000 }, (_, n) => ({ id: `n-${n}`, type: 'NoteAdded', metadata: meta, data: { body: 'x'.repeat(100), author: 'a' } })));
      await store.close();
      const { child, exited } = cliProcess(dir, ['export', '--all'], 'pipe');
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // As `head -1` does: read the first lines, then close the pipe.
      child.stdout!.once('data', () => child.stdout!.destroy());
      expect(await exited).toBe(0);
      expect(stderr).not.toMatch(/EPIPE|Error/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});

describe('projection after SIGKILL', () => {
  it('resumes from its checkpoint without applying an event twice', async () => {
    const { SqliteEventStore } = await import('@reclaim/event-store');
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-projection-kill-'));
    const store = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
    // A large log written directly: 400 tickets with 60 notes each (24,400 events).
    const meta = { occurredAt: new Date().toISOString(), schemaVersion: 1 };
    for (let t = 0; t < 400; t++) {
      const submitted = {
        id: `s-${t}`, type: 'TicketSubmitted', metadata: meta,
        data: { ticketId: `k${t}`, ticketNumber: t + 1, username: `u${t}`, contactEmail: 'x@example.org', previousEmails: [], reason: 'lost-email', explanation: '', packages: [], accountKnown: false, critical: false, frozen: false, requesterTokenHash: 'h' },
      };
      const notes = Array.from({ length: 60 }, (_, n) => ({ id: `n-${t}-${n}`, type: 'NoteAdded', metadata: meta, data: { body: `${n}`, author: 'a' } }));
      await store.appendToStream(`ticket-k${t}`, [submitted, ...notes]);
    }
    await store.close();

    const checkpoint = () => {
      const db = new Database(join(dir, 'reclaim.sqlite'), { readonly: true });
      const row = db.prepare("SELECT position FROM projection_checkpoints WHERE name = 'tickets'").get() as { position: number } | undefined;
      db.close();
      return row?.position ?? 0;
    };
    const run = async (kill: boolean) => {
      const { child, exited } = cliProcess(dir, ['catch-up'], 'ignore');
      // Kill at a random moment while it projects: after one to three pages (a progress line
      // each) and then up to a page's time more, so the kill lands between pages or inside one.
      // Counting pages rather than waiting a random time keeps the kill before the end however
      // fast or slow the machine is (a timed kill could come after a quick run had finished).
      if (kill) {
        let pagesLeft = 1 + Math.floor(Math.random() * 3);
        const watch = (chunk: Buffer) => {
          pagesLeft -= chunk.toString().split('\n').length - 1;
          if (pagesLeft > 0) return;
          child.stderr!.off('data', watch);
          setTimeout(() => child.kill('SIGKILL'), Math.random() * 25);
        };
        child.stderr!.on('data', watch);
      }
      return exited;
    };
    const killedMidway: number[] = [];
    for (let round = 0; round < 6; round++) {
      const code = await run(true);
      const reached = checkpoint();
      if (code === null && reached > 0 && reached < 24_400) killedMidway.push(reached);
    }
    expect(killedMidway.length).toBeGreaterThan(0);
    expect(await run(false)).toBe(0);
    expect(checkpoint()).toBe(24_400);
    const db = new Database(join(dir, 'reclaim.sqlite'), { readonly: true });
    const views = db.prepare('SELECT view FROM ticket_views').all() as Array<{ view: string }>;
    db.close();
    expect(views).toHaveLength(400);
    for (const { view } of views) expect(JSON.parse(view).notes).toHaveLength(60);
    rmSync(dir, { recursive: true, force: true });
  }, 180000);
});
