import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from './make-directory';

describe('makeDirectory', () => {
  const root = mkdtempSync(join(tmpdir(), 'reclaim-make-directory-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('makes a folder and the folders above it, and takes one that exists', () => {
    const dir = join(root, 'a', 'b', 'c');
    makeDirectory(dir);
    makeDirectory(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('refuses a path that a file holds', () => {
    writeFileSync(join(root, 'file'), 'x');
    expect(() => makeDirectory(join(root, 'file'))).toThrow(/EEXIST|ENOTDIR/);
    expect(() => makeDirectory(join(root, 'file', 'below'))).toThrow(/ENOTDIR/);
  });

  // Node's recursive mkdir never returns here, so the attempt runs in a child process that a
  // time limit can stop.
  it('refuses a folder whose parent exists and refuses it (as /proc does), naming it, instead of hanging', () => {
    const child = spawnSync(
      process.execPath,
      ['-r', join(__dirname, '../../../../scripts/ts-register.js'), '-e', `require(${JSON.stringify(join(__dirname, 'make-directory.ts'))}).makeDirectory('/proc/reclaim-data/store')`],
      { timeout: 20_000, encoding: 'utf8' },
    );
    expect(child.signal).toBeNull();
    expect(child.status).toBe(1);
    expect(child.stderr).toContain("ENOENT: no such file or directory, mkdir '/proc/reclaim-data'");
  }, 30_000);
});
