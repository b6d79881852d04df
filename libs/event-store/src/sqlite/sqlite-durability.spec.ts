import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from './sqlite-event-store';

const child = join(__dirname, '..', 'testing', 'append-forever.child.ts');
const register = join(__dirname, '..', '..', '..', '..', 'scripts', 'ts-register.js');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaim-durability-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  return spawn(process.execPath, ['-r', register, child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('SQLite store under SIGKILL', () => {
  it('keeps every acknowledged append, in order, and opens cleanly after each kill', async () => {
    const file = join(dir, 'kill.sqlite');
    const acknowledged: string[] = [];
    const kills = 12;
    for (let round = 0; round < kills; round++) {
      const writer = run(['append-forever', file]);
      let buffer = '';
      writer.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        acknowledged.push(...lines);
      });
      // Wait for the writer to get going, then kill it at a random moment.
      await new Promise<void>((resolve) => writer.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
      // 'close', not 'exit': the process can be gone while its last acknowledgements still wait
      // in the pipe, and they count.
      const exited = new Promise((r) => writer.once('close', r));
      writer.kill('SIGKILL');
      await exited;

      const check = new Database(file, { readonly: true });
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      check.close();
      const store = new SqliteEventStore(file);
      const stored = (await store.readAll()).map((e) => e.id);
      await store.close();
      // Every acknowledged id is stored, in the order it was acknowledged; at most the one append
      // in flight at the kill may be stored without having been acknowledged.
      expect(stored.slice(0, acknowledged.length)).toEqual(acknowledged);
      expect(stored.length - acknowledged.length).toBeLessThanOrEqual(1);
      acknowledged.splice(0, acknowledged.length, ...stored);
    }
    expect(acknowledged.length).toBeGreaterThan(kills);
  }, 120000);
});

describe('SQLite store with writers in several processes', () => {
  it('creates a new file once when several processes open it at the same moment', async () => {
    const exits = (args: string[]) => new Promise<number | null>((resolve) => run(args).once('exit', resolve));
    for (let round = 0; round < 2; round++) {
      const file = join(dir, `fresh-${round}.sqlite`);
      const at = String(Date.now() + 4000);
      expect(await Promise.all(Array.from({ length: 6 }, () => exits(['open', file, at])))).toEqual([0, 0, 0, 0, 0, 0]);
      const store = new SqliteEventStore(file);
      expect((await store.appendToStream('s', [{ id: 'a', type: 'A', data: {}, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } }])).position).toBe(1n);
      await store.close();
    }
  }, 120000);

  it('lets exactly one writer win each revision: nothing lost, nothing duplicated', async () => {
    const file = join(dir, 'race.sqlite');
    const processes = 4;
    const each = 40;
    const outputs = await Promise.all(
      Array.from({ length: processes }, () => {
        const writer = run(['race', file, 'contested', String(each)]);
        let out = '';
        writer.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
        return new Promise<string>((resolve, reject) =>
          writer.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}`)))),
        );
      }),
    );
    const store = new SqliteEventStore(file);
    const events = await store.readStream('contested');
    await store.close();
    expect(events).toHaveLength(processes * each);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
    const keys = events.map((e) => JSON.stringify(e.data));
    expect(new Set(keys).size).toBe(keys.length);
    expect(outputs.every((o) => /^\d+\n$/.test(o))).toBe(true);
  }, 120000);
});
