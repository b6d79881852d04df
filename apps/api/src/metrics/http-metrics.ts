import { Injectable } from '@nestjs/common';
import type { Sample } from './prometheus-text';

/** Upper bounds of the answer-time histogram, in seconds: a fast read up to a slow submission. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Counts answered requests since the server started: by method, route (the route's pattern, so
 * that ids do not make a label each) and status, and how long they took, in one histogram.
 */
@Injectable()
export class HttpMetrics {
  private readonly requests = new Map<string, { labels: Record<string, string>; count: number }>();
  private readonly inBucket = BUCKETS.map(() => 0);
  private count = 0;
  private sumSeconds = 0;

  observe(method: string, route: string, status: number, ms: number): void {
    const key = `${method} ${route} ${status}`;
    const entry = this.requests.get(key) ?? { labels: { method, route, status: String(status) }, count: 0 };
    entry.count++;
    this.requests.set(key, entry);
    const seconds = ms / 1000;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.inBucket[i]!++;
    });
    this.count++;
    this.sumSeconds += seconds;
  }

  requestCounts(): Sample[] {
    return [...this.requests.values()].map(({ labels, count }) => ({ labels, value: count }));
  }

  durations(): Sample[] {
    return [
      ...BUCKETS.map((bound, i) => ({ suffix: '_bucket', labels: { le: String(bound) }, value: this.inBucket[i]! })),
      { suffix: '_bucket', labels: { le: '+Inf' }, value: this.count },
      { suffix: '_sum', value: this.sumSeconds },
      { suffix: '_count', value: this.count },
    ];
  }
}
