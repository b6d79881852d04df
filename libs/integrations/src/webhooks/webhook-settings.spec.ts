import { retryDelay } from './webhook-settings';

describe('retryDelay', () => {
  const settings = { retryBaseMs: 1000, retryMaxMs: 60_000 };

  it('waits a random time up to base · 2^(attempt - 1), never longer than the maximum', () => {
    expect([1, 2, 3, 6, 7, 40].map((attempt) => retryDelay(attempt, settings, () => 1))).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000]);
    expect(retryDelay(3, settings, () => 0.25)).toBe(1000);
  });

  it('waits at least half the base, so that a failing target is not called again at once', () => {
    expect(retryDelay(5, settings, () => 0)).toBe(500);
  });
});
