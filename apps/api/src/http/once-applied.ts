import type { EventStore } from '@reclaim/event-store';
import type { ProjectionRunner } from '@reclaim/projections';
import { problem, ProblemError } from './problem';

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

/**
 * Waits until this server's read models hold every event in the log so far (this server's and
 * other servers' alike), for a change that decides on what they list; 503 when they do not within
 * `APPLIED_WITHIN_MS`. Answers the position they hold.
 */
export async function caughtUpWithLog(projections: ProjectionRunner, store: EventStore): Promise<bigint> {
  const head = await store.headPosition();
  if (!(await projections.waitFor(head, APPLIED_WITHIN_MS))) {
    throw new ProblemError(problem(503, 'The read models are behind the log; try again shortly.'), { 'retry-after': '2' });
  }
  return head;
}
