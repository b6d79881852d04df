import { SqliteEventStore } from '@reclaim/event-store';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box';
import { secretKeyFile } from './secret-key';
import { checkSecretKey, openSecretBox, replaceLostKey, SECRET_KEY_STREAM } from './secret-key-check';

describe('checkSecretKey', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-key-check-'));
    store = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const key = () => new SecretBox(randomBytes(32));
  const refused = /The secret key \(the key file\) is not the one this store's secrets are sealed with/;
  const metadata = { occurredAt: new Date().toISOString(), schemaVersion: 1 };
  const naming = { name: true };

  it('names the first key in the log by its fingerprint, and refuses any other', async () => {
    const first = key();
    await checkSecretKey(store, first, 'the key file', naming);
    const named = await store.readStream(SECRET_KEY_STREAM);
    expect(named.map((event) => event.data)).toEqual([{ fingerprint: first.fingerprint() }]);
    expect(first.fingerprint()).not.toEqual(key().fingerprint());
    await expect(checkSecretKey(store, key(), 'the key file', naming)).rejects.toThrow(refused);
    await checkSecretKey(store, first, 'the key file', naming);
    expect(await store.readStream(SECRET_KEY_STREAM)).toHaveLength(1);
  });

  it('checks a log from before keys were named against its first sealed secret', async () => {
    const used = key();
    await store.appendToStream('account-old', [{ id: randomUUID(), type: 'TotpEnrolled', data: { sealedSecret: used.seal('JBSWY3DPEHPK3PXP') }, metadata }]);
    await expect(checkSecretKey(store, key(), 'the key file', naming)).rejects.toThrow(refused);
    expect(await store.readStream(SECRET_KEY_STREAM)).toEqual([]);
    await checkSecretKey(store, used, 'the key file', naming);
    expect((await store.readStream(SECRET_KEY_STREAM)).map((event) => event.data)).toEqual([{ fingerprint: used.fingerprint() }]);
  });

  it('gives processes starting together on one log one key: the first named wins, the others are compared with it', async () => {
    const same = key();
    await Promise.all([checkSecretKey(store, same, 'the key file', naming), checkSecretKey(store, same, 'the key file', naming), checkSecretKey(store, same, 'the key file', naming)]);
    expect(await store.readStream(SECRET_KEY_STREAM)).toHaveLength(1);
    const other = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
    try {
      const results = await Promise.allSettled([checkSecretKey(other, key(), 'the key file', naming), checkSecretKey(store, same, 'the key file', naming)]);
      expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
    } finally {
      await other.close();
    }
  });

  it('refuses to make a new key file for a log whose secrets are sealed, and makes none', async () => {
    const first = await openSecretBox(store, dir, undefined, naming);
    const kept = readFileSync(secretKeyFile(dir), 'utf8');
    rmSync(secretKeyFile(dir));
    await expect(openSecretBox(store, dir, undefined, naming)).rejects.toThrow(/secret\.key is missing\. Restore secret\.key from the backup/);
    expect(existsSync(secretKeyFile(dir))).toBe(false);
    // Given as RECLAIM_SECRET_KEY instead, the key is compared as a key file's is.
    await expect(openSecretBox(store, dir, 'ab'.repeat(32), naming)).rejects.toThrow(/The secret key \(RECLAIM_SECRET_KEY\) is not the one/);
    expect((await openSecretBox(store, dir, kept, naming)).fingerprint()).toEqual(first.fingerprint());
  });

  it('compares without naming for an operator command, which leaves the log as it is', async () => {
    const used = key();
    await store.appendToStream('account-old', [{ id: randomUUID(), type: 'TotpEnrolled', data: { sealedSecret: used.seal('JBSWY3DPEHPK3PXP') }, metadata }]);
    await expect(checkSecretKey(store, key(), 'the key file', { name: false })).rejects.toThrow(refused);
    await checkSecretKey(store, used, 'the key file', { name: false });
    expect(await store.readStream(SECRET_KEY_STREAM)).toEqual([]);
  });

  it('replaces a lost key only when told the key given is not the log\'s: the new one is then the only key a start takes', async () => {
    await expect(replaceLostKey(store, dir, undefined)).rejects.toThrow(/seals no secret yet/);
    expect(existsSync(secretKeyFile(dir))).toBe(false);
    const lost = await openSecretBox(store, dir, undefined, naming);
    await expect(replaceLostKey(store, dir, undefined)).rejects.toThrow(/is this store's own: nothing is lost/);
    rmSync(secretKeyFile(dir));
    const { keySource } = await replaceLostKey(store, dir, undefined);
    expect(keySource).toBe(secretKeyFile(dir));
    const now = await openSecretBox(store, dir, undefined, naming);
    expect(now.fingerprint()).not.toEqual(lost.fingerprint());
    expect((await store.readStream(SECRET_KEY_STREAM)).map((event) => event.data)).toEqual([
      { fingerprint: lost.fingerprint() },
      { fingerprint: now.fingerprint(), replaces: lost.fingerprint() },
    ]);
    await expect(checkSecretKey(store, lost, 'the key file', naming)).rejects.toThrow(refused);
    // Replaced again, by a key given as RECLAIM_SECRET_KEY.
    await replaceLostKey(store, dir, 'ab'.repeat(32));
    await expect(openSecretBox(store, dir, undefined, naming)).rejects.toThrow(/is not the one/);
    await openSecretBox(store, dir, 'ab'.repeat(32), naming);
  });
});
