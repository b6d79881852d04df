/** Failed code attempts allowed per account: 5 in 5 minutes and 20 in an hour. */
export const ACCOUNT_ATTEMPT_LIMITS = [
  { limit: 5, windowMs: 5 * 60_000 },
  { limit: 20, windowMs: 60 * 60_000 },
] as const;

/**
 * Whether another attempt may be made, given the times of earlier failures. When not, how many
 * seconds until the oldest failure in the exceeded window ages out.
 */
export function attemptAllowed(
  failures: readonly Date[],
  now: Date,
  limits: ReadonlyArray<{ limit: number; windowMs: number }> = ACCOUNT_ATTEMPT_LIMITS,
): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
  let retryAfterMs = 0;
  for (const { limit, windowMs } of limits) {
    const inWindow = failures.filter((at) => now.getTime() - at.getTime() < windowMs).sort((a, b) => a.getTime() - b.getTime());
    if (inWindow.length >= limit) {
      const freesAt = inWindow[inWindow.length - limit]!.getTime() + windowMs;
      retryAfterMs = Math.max(retryAfterMs, freesAt - now.getTime());
    }
  }
  return retryAfterMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : { allowed: true };
}
