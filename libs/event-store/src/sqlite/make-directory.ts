import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p`. Node's own (`recursive: true`) never returns where a folder's parent exists but
 * refuses it with ENOENT, as anything under /proc does: it makes the parent again, for ever, and
 * the server hangs at start. Here a refusal under an existing parent is thrown, naming the folder.
 */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir || existsSync(parent)) throw error;
    makeDirectory(parent);
    // Once more, now that the parent exists (another process may have made this one meanwhile).
    makeDirectory(dir);
  }
}
