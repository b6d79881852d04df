import fc from 'fast-check';
import { ClientRateLimiter } from './client-rate-limiter';

/** A limiter on a clock the test moves. */
function limiter(rates: Array<{ limit: number; windowMs: number }>) {
  let now = 1_000_000;
  const limits = new ClientRateLimiter(rates, () => now);
  return { take: (client = 'a') => limits.take(client), wait: (ms: number) => (now += ms) };
}

describe('client rate limiter', () => {
  it('allows the limit in a sliding window, then says how long until the oldest hit leaves it', () => {
    const { take, wait } = limiter([{ limit: 3, windowMs: 10_000 }]);
    expect([take(), take()]).toEqual([{ allowed: true }, { allowed: true }]);
    wait(4_000);
    expect(take()).toEqual({ allowed: true });
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 6 });
    wait(5_500);
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 1 }); // 0.5 s, rounded up
    // The window is the last 10 s: at 10 s the first two hits have left it, the third not yet.
    wait(500);
    expect([take(), take(), take()]).toEqual([{ allowed: true }, { allowed: true }, { allowed: false, retryAfterSeconds: 4 }]);
  });

  it('does not count a refused hit, so a client that keeps trying is not kept out for longer', () => {
    const { take, wait } = limiter([{ limit: 2, windowMs: 10_000 }]);
    take();
    take();
    for (let second = 1; second < 10; second++) {
      wait(1_000);
      expect(take()).toEqual({ allowed: false, retryAfterSeconds: 10 - second });
    }
    wait(1_000);
    expect(take()).toEqual({ allowed: true });
  });

  it('counts each client on its own, and holds every rate it was given', () => {
    const { take, wait } = limiter([
      { limit: 2, windowMs: 1_000 },
      { limit: 3, windowMs: 60_000 },
    ]);
    expect([take('a'), take('a'), take('a')].map((answer) => answer.allowed)).toEqual([true, true, false]);
    expect(take('b')).toEqual({ allowed: true });
    wait(1_000);
    expect(take('a')).toEqual({ allowed: true });
    wait(1_000);
    // Three in the minute: the longer window holds until the first hit is a minute old.
    expect(take('a')).toEqual({ allowed: false, retryAfterSeconds: 58 });
    expect(take('b')).toEqual({ allowed: true });
  });

  it('answers as counting every hit of the window would, over random hits, waits and rates', () => {
    // The plain definition: the hits of each window counted one by one (what the limiter did before it searched).
    const counting = (rates: Array<{ limit: number; windowMs: number }>) => {
      const hits = new Map<string, number[]>();
      return (client: string, now: number) => {
        const recent = hits.get(client) ?? [];
        let waitMs = 0;
        for (const { limit, windowMs } of rates) {
          const inWindow = recent.filter((at) => now - at < windowMs);
          if (inWindow.length >= limit) waitMs = Math.max(waitMs, inWindow[inWindow.length - limit]! + windowMs - now);
        }
        if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
        hits.set(client, [...recent, now]);
        return { allowed: true };
      };
    };
    // Whole seconds as well, so that a hit often falls exactly on a window's edge.
    const rate = fc.record({ limit: fc.integer({ min: 1, max: 6 }), windowMs: fc.oneof(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom(1_000, 2_000, 5_000)) });
    const step = fc.record({ client: fc.constantFrom('a', 'b'), waitMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8_000 }), fc.constantFrom(1_000, 2_000)) });
    fc.assert(
      fc.property(fc.array(rate, { minLength: 1, maxLength: 3 }), fc.array(step, { maxLength: 200 }), (rates, steps) => {
        let now = 1_000_000;
        const limits = new ClientRateLimiter(rates, () => now);
        const expected = counting(rates);
        for (const { client, waitMs } of steps) {
          now += waitMs;
          expect(limits.take(client)).toEqual(expected(client, now));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps counting a client with a hit in the window when it forgets idle ones (past 100,000 clients)', () => {
    const { take } = limiter([{ limit: 1, windowMs: 60_000 }]);
    take('limited');
    for (let i = 0; i <= 100_000; i++) take(`client-${i}`);
    expect(take('limited')).toEqual({ allowed: false, retryAfterSeconds: 60 });
  });
});
