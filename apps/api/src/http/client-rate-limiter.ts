import type { Rate } from '@reclaim/recovery';
import { performance } from 'node:perf_hooks';

/**
 * Counts requests per client address in a sliding window, in memory. Enough for one instance;
 * behind several instances each keeps its own count, so the effective limit multiplies.
 */
export class ClientRateLimiter {
  /** Per client, the times of its hits in the longest window, oldest first. */
  private readonly hits = new Map<string, number[]>();
  private readonly longest: number;

  /** `now`: milliseconds on a clock that never goes back (a window is a length of time, not a time of day). */
  constructor(private readonly rates: Rate[], private readonly now: () => number = () => performance.now()) {
    this.longest = Math.max(...rates.map((rate) => rate.windowMs));
  }

  /**
   * Records a hit; answers the seconds to wait when over a limit (the hit is then not counted).
   * Each window's count is a search in the client's hits, which are in time order: with a large
   * limit (thousands an hour from one address), filtering them all at every hit made each cost
   * more than the last.
   */
  take(client: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.now();
    const hits = this.hits.get(client) ?? [];
    let waitMs = 0;
    for (const { limit, windowMs } of this.rates) {
      const inWindow = hits.length - firstAfter(hits, now - windowMs);
      if (inWindow >= limit) waitMs = Math.max(waitMs, hits[hits.length - limit]! + windowMs - now);
    }
    // Hits past the longest window count no more: dropped once they are half the list, so that a
    // hit costs a search, not a copy of the list.
    const expired = firstAfter(hits, now - this.longest);
    if (expired > 0 && expired * 2 >= hits.length) hits.splice(0, expired);
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    hits.push(now);
    this.hits.set(client, hits);
    if (this.hits.size > 100_000) this.forgetIdle(now);
    return { allowed: true };
  }

  private forgetIdle(now: number): void {
    for (const [client, times] of this.hits) if (times[times.length - 1]! <= now - this.longest) this.hits.delete(client);
  }
}

/** The index of the first time after `time` in times kept oldest first (their length when none is). */
function firstAfter(times: number[], time: number): number {
  let [low, high] = [0, times.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! > time) high = middle;
    else low = middle + 1;
  }
  return low;
}
