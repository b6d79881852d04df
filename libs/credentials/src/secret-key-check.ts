import { WrongExpectedRevision, type EventStore } from '@reclaim/event-store';
import { randomUUID } from 'node:crypto';
import type { SecretBox } from './secret-box';

/** The stream that names the key the log's secrets are sealed with. */
export const SECRET_KEY_STREAM = 'secret-key';

/** Events whose data holds a secret sealed with the key, for a log from before the key was named. */
const SEALING_EVENTS = ['TotpEnrolled', 'WebhookCreated', 'WebhookSecretRotated'];

/**
 * Refuses to go on with a key other than the one the log's secrets are sealed with: a key file
 * lost in a restore and made anew, or a RECLAIM_SECRET_KEY other than the key file used before or
 * than another instance's. A server with such a key could open none of the TOTP secrets, webhook
 * secrets or kept answers (every TOTP check would fail), and would seal new ones that no start
 * with the right key could open. The first start names its key in the log, by fingerprint; a log
 * from before that is checked against its first sealed secret, if it has one.
 */
export async function checkSecretKey(store: EventStore, box: SecretBox, keySource: string): Promise<void> {
  for (;;) {
    const [named] = await store.readStream(SECRET_KEY_STREAM, { maxCount: 1 });
    if (named) {
      if ((named.data as { fingerprint: string }).fingerprint !== box.fingerprint()) throw wrongKey(keySource);
      return;
    }
    const [sealing] = await store.readAll({ maxCount: 1, filter: { eventTypes: SEALING_EVENTS } });
    if (sealing && !box.opens((sealing.data as { sealedSecret: string }).sealedSecret)) throw wrongKey(keySource);
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

function wrongKey(keySource: string): Error {
  return new Error(
    `The secret key (${keySource}) is not the one this store's secrets are sealed with. ` +
      'Restore secret.key from the backup kept with the store, or set RECLAIM_SECRET_KEY to the key used before: ' +
      'with another key, no TOTP secret, webhook secret or kept answer could be opened.',
  );
}
