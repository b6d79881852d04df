import { createHmac, randomBytes } from 'node:crypto';

/** A new signing secret in the Standard Webhooks form: `whsec_` and 24 random bytes, base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The headers of a Standard Webhooks delivery: the message id, the time in seconds, and
 * `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed with the secret's bytes.
 */
export function signDelivery(secret: string, messageId: string, timestamp: Date, body: string): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const seconds = Math.floor(timestamp.getTime() / 1000);
  const signature = createHmac('sha256', key).update(`${messageId}.${seconds}.${body}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': String(seconds), 'webhook-signature': `v1,${signature}` };
}
