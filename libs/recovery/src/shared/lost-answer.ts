/**
 * A command that issues a secret shows it once, in its answer. That answer can be lost: the
 * process dies after the append and before the Idempotency-Key answer is kept (or the answer
 * cannot be kept, on a full disk, and the client does not get it). The retry then finds its
 * command applied, and must not answer a secret it made up anew and never stored. A secret kept
 * sealed (TOTP, webhooks) is shown again. One kept only as a hash (tokens, recovery codes) cannot
 * be: the retry issues a new one in its place, under a command id of its own made from the
 * retried one. A client asks again only when it did not get the answer, so the secret replaced is
 * one that nobody holds.
 */
import type { SecretBox } from '@reclaim/credentials';
import { randomUUID } from 'node:crypto';
import type { CommandMeta } from './decided-event';
import { SecretReplaced } from './errors';

/** Marks the command ids of replacements. */
const REISSUE = '/reissue/';

/** The command a lost secret's replacement is issued under. */
export function reissueOf(meta: CommandMeta): CommandMeta {
  return { ...meta, commandId: `${meta.commandId}${REISSUE}${randomUUID()}` };
}

/**
 * Refuses to show or replace a secret that some other command issued since (`issuer`: the
 * command of the secret now in force), as a later command's secret was shown to its own caller.
 */
export function requireIssuedBy(meta: CommandMeta, issuer: string | undefined, what: string): void {
  if (issuer !== meta.commandId && !issuer?.startsWith(`${meta.commandId}${REISSUE}`)) throw new SecretReplaced(what);
}

/**
 * A secret kept sealed, shown again to the retry of the command that issued it; refused (409)
 * when it was sealed with a secret key since lost and replaced, which cannot open it.
 */
export function showAgain(secrets: SecretBox, sealed: string, what: string): string {
  const secret = secrets.tryOpen(sealed);
  if (secret === undefined) throw new SecretReplaced(what, 'key');
  return secret;
}
