import { describe, expect, it } from 'vitest';
import { createRateLimiter, DEFAULT_ZALO_REQUESTS_PER_MINUTE } from '../../../bot/zalo/rate-limiter.js';
import { createFakeClock } from '../../../runtime/clock.js';

function setup(perMinute: number, burst?: number) {
  const clock = createFakeClock('2026-03-02T00:00:00Z');
  const slept: number[] = [];
  const limiter = createRateLimiter({
    perMinute,
    ...(burst ? { burst } : {}),
    clock,
    // Sleeping moves the fake clock: the test runs instantly and measures simulated time.
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  });
  const start = clock.now().getTime();
  return { limiter, elapsed: () => clock.now().getTime() - start, slept };
}

describe('rate limiter (token bucket)', () => {
  it('defaults well under Zalo’s 4,000 requests/minute', () => {
    expect(DEFAULT_ZALO_REQUESTS_PER_MINUTE).toBeLessThanOrEqual(2000);
  });

  it('lets a burst through, then paces at perMinute', async () => {
    const { limiter, elapsed } = setup(600, 10); // 10 per second
    for (let i = 0; i < 10; i++) await limiter.acquire();
    expect(elapsed()).toBe(0);
    for (let i = 0; i < 20; i++) await limiter.acquire();
    expect(elapsed()).toBeGreaterThanOrEqual(2000);
    expect(elapsed()).toBeLessThan(2100);
  });

  it('serves concurrent callers in order without exceeding the rate', async () => {
    const { limiter, elapsed } = setup(60, 1); // 1 per second
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(elapsed()).toBeGreaterThanOrEqual(3000);
  });

  it('pause holds everyone back', async () => {
    const { limiter, elapsed } = setup(6000, 100);
    limiter.pause(15_000);
    await limiter.acquire();
    expect(elapsed()).toBeGreaterThanOrEqual(15_000);
  });

  it('rejects a non-positive rate', () => {
    expect(() => createRateLimiter({ perMinute: 0 })).toThrow(RangeError);
  });
});
