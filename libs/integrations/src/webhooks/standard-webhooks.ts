import { createHmac, randomBytes } from 'node:crypto';

/** A new signing secret in the Standard Webhooks form: `whsec_` and 24 random bytes, base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The headers of a Standard Webhooks delivery: the message id, the time in seconds, and for each
 * secret `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed with the secret's bytes,
 * separated by spaces (while a rotated secret still signs, a receiver may hold either).
 */
export function signDelivery(secrets: string[], messageId: string, timestamp: Date, body: string): Record<string, string> {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    return `v1,${createHmac('sha256', key).update(`${messageId}.${seconds}.${body}`).digest('base64')}`;
  });
  return { 'webhook-id': messageId, 'webhook-timestamp': String(seconds), 'webhook-signature': signatures.join(' ') };
}
