import { makeDirectory, syncToDisk } from '@reclaim/event-store';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const KEY = /^[0-9a-fA-F]{64}$/;

/** The key file in a data folder, when the key is not given as RECLAIM_SECRET_KEY. */
export function secretKeyFile(dataDir: string): string {
  return join(dataDir, 'secret.key');
}

/**
 * The key that seals secrets the engine must read back (TOTP secrets, stored idempotent
 * responses). From RECLAIM_SECRET_KEY (64 hex characters) when set: every instance of a cluster
 * needs the same one. Otherwise a key file made on first start in the data folder.
 */
export function loadSecretKey(dataDir: string, fromEnv?: string): Buffer {
  if (fromEnv) {
    if (!KEY.test(fromEnv)) throw new Error('RECLAIM_SECRET_KEY must be 64 hex characters (32 bytes)');
    return Buffer.from(fromEnv, 'hex');
  }
  const file = secretKeyFile(dataDir);
  if (!existsSync(file)) createKeyFile(dataDir, file);
  const key = readFileSync(file, 'utf8').trim();
  // A wrong key would seal new secrets that no later start could open.
  if (!KEY.test(key)) throw new Error(`${file} must hold 64 hex characters (32 bytes); restore it from a backup (if no copy is left, move it away and run npm run cli -- replace-key --secrets-lost)`);
  return Buffer.from(key, 'hex');
}

/**
 * Processes starting together on a new data folder each try to make the key, and all must end
 * up with the same one, never reading a half-written file. So each writes a whole key to a file
 * of its own, syncs it, and hard-links it into place: the link fails if another was first, and
 * that one's key is used.
 */
function createKeyFile(dataDir: string, file: string): void {
  makeDirectory(dataDir);
  const own = `${file}.${process.pid}.new`;
  const fd = openSync(own, 'w', 0o600);
  try {
    writeSync(fd, randomBytes(32).toString('hex'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(own, file);
    syncToDisk(dataDir); // the key's name, too, must survive a power cut
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(own, { force: true });
  }
}
