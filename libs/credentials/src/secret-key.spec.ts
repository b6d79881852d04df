import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecretKey } from './secret-key';

const register = join(__dirname, '..', '..', '..', 'scripts', 'ts-register.js');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reclaim-secret-key-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A process that waits for the shared start time, loads the key from `dataDir`, and prints it. */
function loadInAnotherProcess(dataDir: string, startAt: number): Promise<{ code: number | null; out: string }> {
  // The module is loaded before the wait, so that all reach the key file at the same moment.
  const script = `
    const { loadSecretKey } = require(${JSON.stringify(join(__dirname, 'secret-key.ts'))});
    while (Date.now() < ${startAt}) {}
    process.stdout.write(loadSecretKey(${JSON.stringify(dataDir)}).toString('hex'));`;
  const child = spawn(process.execPath, ['-r', register, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // 'close': after the process and all of its output.
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out })));
}

describe('loadSecretKey', () => {
  it('makes one key when several processes start together on a new data folder', async () => {
    for (let round = 0; round < 2; round++) {
      const dataDir = join(dir, `new-${round}`);
      const startAt = Date.now() + 3000;
      const runs = await Promise.all(Array.from({ length: 6 }, () => loadInAnotherProcess(dataDir, startAt)));
      expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0, 0, 0]);
      const key = loadSecretKey(dataDir).toString('hex');
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      expect(runs.map((run) => run.out)).toEqual(Array(6).fill(key));
      expect(readdirSync(dataDir)).toEqual(['secret.key']);
      expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    }
  }, 60000);

  it('takes a key file written by hand with a line break after the key', () => {
    const dataDir = join(dir, 'restored');
    const key = loadSecretKey(dataDir);
    writeFileSync(join(dataDir, 'secret.key'), `${key.toString('hex')}\n`);
    expect(loadSecretKey(dataDir)).toEqual(key);
  });

  it('refuses a key file that does not hold a key, instead of sealing with a wrong one', () => {
    const dataDir = join(dir, 'damaged');
    loadSecretKey(dataDir);
    writeFileSync(join(dataDir, 'secret.key'), '');
    expect(() => loadSecretKey(dataDir)).toThrow(`${join(dataDir, 'secret.key')} must hold 64 hex characters`);
    expect(() => loadSecretKey(dataDir)).toThrow('if no copy is left, move it away and run npm run cli -- replace-key --secrets-lost');
  });

  it('takes the key from RECLAIM_SECRET_KEY when set, and checks it', () => {
    expect(loadSecretKey(join(dir, 'unused'), 'ab'.repeat(32))).toEqual(Buffer.alloc(32, 0xab));
    expect(() => loadSecretKey(join(dir, 'unused'), 'xyz')).toThrow('RECLAIM_SECRET_KEY must be 64 hex characters (32 bytes)');
  });
});
