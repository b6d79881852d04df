import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets the engine must read back (TOTP secrets) with AES-256-GCM, so that events and
 * read models only ever hold ciphertext. The key comes from RECLAIM_SECRET_KEY or a key file.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    // The whole 16-byte tag, as seal() writes it: without this, Node takes a tag cut to 4 bytes.
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * The secret, or undefined when `sealed` was sealed with another key: one that was lost and
   * replaced (`replace-key`), whose secrets are lost with it.
   */
  tryOpen(sealed: string): string | undefined {
    try {
      return this.open(sealed);
    } catch {
      return undefined;
    }
  }

  /**
   * Names the key without telling anything of it (an HMAC of a fixed text under the key), so that
   * the log can record which key its secrets are sealed with.
   */
  fingerprint(): string {
    return createHmac('sha256', this.key).update('reclaim secret key fingerprint').digest('hex');
  }
}
