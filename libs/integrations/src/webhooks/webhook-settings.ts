/** How webhook deliveries behave; from RECLAIM_WEBHOOK_* variables. */
export interface WebhookSettings {
  /** Deliver in this process (turn off on all but one instance of a cluster). */
  enabled: boolean;
  /** Allow targets on this machine (tests, local development). */
  allowLocal: boolean;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A subscription failing without a break for this long is disabled. */
  disableAfterMs: number;
  pollMs: number;
  /**
   * Deliveries one subscription has under way at once, each of another ticket: a receiver that
   * takes 100 ms an answer then takes 80 events a second, not 10, and a burst of requests does
   * not leave the platform hearing of recoveries minutes late. 1 sends one event at a time. A
   * subscription may choose its own (a receiver that takes one at a time, or more).
   */
  concurrency: number;
}

/** The most deliveries one subscription may have under way at once (a receiver's choice, or the server's). */
export const MOST_WEBHOOK_CONCURRENCY = 32;

/** Deliveries a subscription has under way at once: its own choice, or the server's. */
export function deliveriesAtOnce(chosen: number | null, settings: Pick<WebhookSettings, 'concurrency'>): number {
  return chosen ?? settings.concurrency;
}

export const defaultWebhookSettings: WebhookSettings = {
  enabled: true,
  allowLocal: false,
  timeoutMs: 10_000,
  retryBaseMs: 1_000,
  retryMaxMs: 10 * 60_000,
  disableAfterMs: 24 * 3_600_000,
  pollMs: 250,
  concurrency: 8,
};

export const WEBHOOK_SETTINGS = Symbol('WEBHOOK_SETTINGS');

/** Exponential backoff with full jitter: a random wait up to base·2^(attempt-1), capped. */
export function retryDelay(attempt: number, settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryMaxMs'>, random = Math.random): number {
  const ceiling = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(settings.retryBaseMs / 2, Math.round(ceiling * random()));
}
