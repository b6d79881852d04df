import type { Rate } from '@reclaim/recovery';

/**
 * Counts requests per client address in a sliding window, in memory. Enough for one instance;
 * behind several instances each keeps its own count, so the effective limit multiplies.
 */
export class ClientRateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly rates: Rate[], private readonly now: () => number = Date.now) {}

  /** Records a hit; answers the seconds to wait when over a limit (the hit is then not counted). */
  take(client: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.now();
    const longest = Math.max(...this.rates.map((r) => r.windowMs));
    const recent = (this.hits.get(client) ?? []).filter((at) => now - at < longest);
    let waitMs = 0;
    for (const { limit, windowMs } of this.rates) {
      const inWindow = recent.filter((at) => now - at < windowMs);
      if (inWindow.length >= limit) waitMs = Math.max(waitMs, inWindow[inWindow.length - limit]! + windowMs - now);
    }
    if (waitMs > 0) {
      this.hits.set(client, recent);
      return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    recent.push(now);
    this.hits.set(client, recent);
    if (this.hits.size > 100_000) this.forgetIdle(now, longest);
    return { allowed: true };
  }

  private forgetIdle(now: number, longest: number): void {
    for (const [client, times] of this.hits) if (!times.some((at) => now - at < longest)) this.hits.delete(client);
  }
}
