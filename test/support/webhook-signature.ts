import { Webhook } from 'standardwebhooks';

/** Whether a delivery verifies with this secret, as a receiver checks it with the `standardwebhooks` package. */
export function signedBy(secret: string, { headers, body }: { headers: Record<string, string>; body: string }): boolean {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}
