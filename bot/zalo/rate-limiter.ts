import { systemClock, type Clock } from '../../runtime/clock.js';

/**
 * In-process token bucket in front of the Zalo API. Zalo allows 4,000 requests/minute per app
 * (ZALO.md §5) and answers `-32` beyond it; the cross-process limit is the job queue's job, this one
 * only smooths the bursts of one process.
 */
export interface RateLimiter {
  /** Resolves when one request may go out; callers are served in arrival order. */
  acquire(): Promise<void>;
  /** Holds every caller back for `ms`: used when Zalo says the quota is exhausted. */
  pause(ms: number): void;
}

/** Well under Zalo's 4,000/min, leaving room for other processes and retries (config default too). */
export const DEFAULT_ZALO_REQUESTS_PER_MINUTE = 1200;

export interface RateLimiterOptions {
  perMinute: number;
  /** Largest burst; defaults to 5 seconds' worth of requests. */
  burst?: number;
  clock?: Clock;
  /** Injected so tests with a fake clock can advance time instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
}

export function createRateLimiter({ perMinute, burst, clock = systemClock, sleep = defaultSleep }: RateLimiterOptions): RateLimiter {
  if (!(perMinute > 0)) throw new RangeError('perMinute must be positive');
  const capacity = Math.max(1, burst ?? Math.ceil(perMinute / 12));
  const perMs = perMinute / 60_000;
  let tokens = capacity;
  let lastRefill = clock.now().getTime();
  let pausedUntil = 0;
  // A promise chain makes waiters line up: no caller can overtake one that is already waiting.
  let tail: Promise<void> = Promise.resolve();

  const refill = (now: number) => {
    tokens = Math.min(capacity, tokens + (now - lastRefill) * perMs);
    lastRefill = now;
  };

  const takeOne = async (): Promise<void> => {
    for (;;) {
      const now = clock.now().getTime();
      if (now < pausedUntil) {
        await sleep(pausedUntil - now);
        continue;
      }
      refill(now);
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.max(1, Math.ceil((1 - tokens) / perMs)));
    }
  };

  return {
    acquire() {
      const turn = tail.then(takeOne);
      tail = turn.catch(() => undefined);
      return turn;
    },
    pause(ms) {
      const now = clock.now().getTime();
      pausedUntil = Math.max(pausedUntil, now + ms);
      refill(now);
      tokens = 0;
    },
  };
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
