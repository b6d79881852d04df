import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsync of a file, or of a folder, whose entries (a new file's name) then survive a power cut. */
export function syncToDisk(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
