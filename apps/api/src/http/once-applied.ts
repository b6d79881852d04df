import type { ProjectionRunner } from '@reclaim/projections';

/** How long a change may wait for this server's read models, so that it holds once answered. */
export const APPLIED_WITHIN_MS = 5000;

/**
 * Answers a change once this server's read models hold it, where what it stops is looked up
 * there: the guard's tokens (a token replaced or deactivated stops working before the admin hears
 * it has), and the dispatcher's webhooks (a secret replaced, a webhook disabled or deleted, sends
 * nothing more once the integrator hears it has, but the delivery already under way). After
 * `APPLIED_WITHIN_MS` it answers anyway: the change is in the log, and holds a moment later.
 */
export async function onceApplied<T extends { position: string }>(projections: ProjectionRunner, result: T): Promise<T> {
  await projections.waitFor(BigInt(result.position), APPLIED_WITHIN_MS);
  return result;
}
