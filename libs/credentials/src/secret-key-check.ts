import { WrongExpectedRevision, type EventStore, type RecordedEvent } from '@reclaim/event-store';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { SecretBox } from './secret-box';
import { loadSecretKey, secretKeyFile } from './secret-key';

/** The stream that names the key the log's secrets are sealed with. */
export const SECRET_KEY_STREAM = 'secret-key';

/** Events whose data holds a secret sealed with the key, for a log from before the key was named. */
const SEALING_EVENTS = ['TotpEnrolled', 'WebhookCreated', 'WebhookSecretRotated'];

/**
 * The secret box of a server or an operator command on this log, with the key it was given
 * (RECLAIM_SECRET_KEY, else the data folder's key file, made on the first start). Refuses a key
 * other than the one the log's secrets are sealed with: a key file lost in a restore, or a
 * RECLAIM_SECRET_KEY other than the key file used before or than another instance's. A server with
 * such a key could open none of the TOTP secrets, webhook secrets or kept answers (every TOTP check
 * would fail), and would seal new ones that no start with the right key could open. A server
 * (`name`) names its key in the log when the log names none, so that later starts are compared
 * with it; an operator command leaves the log as it is.
 */
export async function openSecretBox(store: EventStore, dataDir: string, fromEnv: string | undefined, { name }: { name: boolean }): Promise<SecretBox> {
  const source = keySourceOf(dataDir, fromEnv);
  // A key file made now would be a new key: a log that sealed secrets needs the one it had.
  if (!fromEnv && !existsSync(source) && (await sealingMark(store))) throw keyRefused(`${source} is missing`);
  const box = new SecretBox(loadSecretKey(dataDir, fromEnv));
  await checkSecretKey(store, box, source, { name });
  return box;
}

/** Compares the box's key with the one the log's secrets are sealed with, and names it when asked and the log names none. */
export async function checkSecretKey(store: EventStore, box: SecretBox, keySource: string, { name }: { name: boolean }): Promise<void> {
  for (;;) {
    const mark = await sealingMark(store);
    if (mark && !isMarkedKey(mark, box)) throw keyRefused(`The secret key (${keySource}) is not the one this store's secrets are sealed with`);
    if (!name || (mark && 'fingerprint' in mark)) return;
    try {
      await store.appendToStream(
        SECRET_KEY_STREAM,
        [{ id: randomUUID(), type: 'SecretKeyNamed', data: { fingerprint: box.fingerprint() }, metadata: { actor: { kind: 'system', id: 'start' }, occurredAt: new Date().toISOString(), schemaVersion: 1 } }],
        { expectedRevision: 'no_stream' },
      );
      return;
    } catch (error) {
      // Another process starting on the same log named its key first: this one is compared with it.
      if (!(error instanceof WrongExpectedRevision)) throw error;
    }
  }
}

/**
 * Gives the log a new key in place of a lost one, when no copy of it is left: the log names the
 * new key (RECLAIM_SECRET_KEY, else the key file, made now), so that servers start again. The
 * secrets sealed with the lost key are lost with it: a TOTP secret opens no more (codes for its
 * account are recorded as `not-enrolled` until the platform enrols it again), a webhook signs
 * nothing until it is given a new secret, and a kept answer is gone (its retry runs again, which
 * applies nothing twice). Refused while the key given is the log's: then nothing is lost.
 */
export async function replaceLostKey(store: EventStore, dataDir: string, fromEnv: string | undefined): Promise<{ keySource: string; position: bigint }> {
  const keySource = keySourceOf(dataDir, fromEnv);
  const named = await store.readStream(SECRET_KEY_STREAM);
  const mark = await sealingMark(store, named);
  if (!mark) throw new Error('This store seals no secret yet: there is no key to replace. Start the server, which names its key.');
  const box = new SecretBox(loadSecretKey(dataDir, fromEnv));
  if (isMarkedKey(mark, box)) throw new Error(`The secret key (${keySource}) is this store's own: nothing is lost, and nothing is replaced.`);
  const { position } = await store.appendToStream(
    SECRET_KEY_STREAM,
    [{ id: randomUUID(), type: 'SecretKeyNamed', data: { fingerprint: box.fingerprint(), replaces: 'fingerprint' in mark ? mark.fingerprint : null }, metadata: { actor: { kind: 'system', id: 'replace-key' }, occurredAt: new Date().toISOString(), schemaVersion: 1 } }],
    { expectedRevision: named.length ? BigInt(named.length - 1) : 'no_stream' },
  );
  return { keySource, position };
}

/**
 * What tells the log's key: the fingerprint it names last (a key replaced since is not the log's
 * any more), else (a log from before keys were named) its first sealed secret.
 */
async function sealingMark(store: EventStore, named?: RecordedEvent[]): Promise<{ fingerprint: string } | { sealedSecret: string } | undefined> {
  named ??= await store.readStream(SECRET_KEY_STREAM);
  const last = named[named.length - 1];
  if (last) return { fingerprint: (last.data as { fingerprint: string }).fingerprint };
  const [sealing] = await store.readAll({ maxCount: 1, filter: { eventTypes: SEALING_EVENTS } });
  return sealing ? { sealedSecret: (sealing.data as { sealedSecret: string }).sealedSecret } : undefined;
}

/** Where the key comes from, as messages name it. */
function keySourceOf(dataDir: string, fromEnv: string | undefined): string {
  return fromEnv ? 'RECLAIM_SECRET_KEY' : secretKeyFile(dataDir);
}

function isMarkedKey(mark: { fingerprint: string } | { sealedSecret: string }, box: SecretBox): boolean {
  return 'fingerprint' in mark ? mark.fingerprint === box.fingerprint() : box.tryOpen(mark.sealedSecret) !== undefined;
}

function keyRefused(what: string): Error {
  return new Error(
    `${what}. Restore secret.key from the backup kept with the store, or set RECLAIM_SECRET_KEY to the key used before ` +
      '(every instance sharing a log needs the same one): with another key, no TOTP secret, webhook secret or kept answer could be opened. ' +
      'Only if no copy of the key is left: npm run cli -- replace-key --secrets-lost gives the store a new one, and gives up what the lost one sealed.',
  );
}
