import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { createRateLimiter } from '../bot/zalo/rate-limiter.js';
import { createBullmqRunner } from '../runtime/jobs/bullmq-runner.js';
import { defineJob } from '../runtime/jobs/job.js';
import { createLogger } from '../runtime/logger.js';
import { waitFor } from './lib/processes.js';
import type { BenchModule } from './lib/results.js';
import { startPrivateRedis } from './lib/services.js';
import { fmt } from './lib/stats.js';

/**
 * Outbound rate accuracy as the product composes it: outbound sends are rate-limited jobs on BullMQ's
 * limited queue (limiter max = ZALO_RATE_LIMIT_PER_MIN per 60 s, global across processes), and each send
 * first takes a token from the process's Zalo limiter (bot/zalo/rate-limiter.ts: a token bucket at the
 * same rate with a 5-second burst). More work is queued than the rate allows; after the burst allowance is
 * spent, the sends of the next 20 s are counted and compared with the configured rate.
 */

const CONFIGURED_PER_MIN = 600;
const WINDOW_MS = 20_000;

export const limiterBench: BenchModule = {
  name: 'limiter',
  produces: ['limiter_error_pct'],
  async run() {
    const redis = await startPrivateRedis();
    const runner = createBullmqRunner({
      logger: createLogger({ level: 'silent' }),
      redisUrl: redis.url,
      prefix: `bench-${randomBytes(4).toString('hex')}`,
      rateLimit: { max: CONFIGURED_PER_MIN, durationMs: 60_000 },
    });
    const limiter = createRateLimiter({ perMinute: CONFIGURED_PER_MIN });
    const burst = Math.ceil(CONFIGURED_PER_MIN / 12);
    const expectedInWindow = (CONFIGURED_PER_MIN * WINDOW_MS) / 60_000;
    const stamps: number[] = [];
    const send = defineJob({ name: 'bench.outbound-send', schema: z.object({ n: z.number() }), rateLimited: true, attempts: 1 });
    runner.register(send, async () => {
      await limiter.acquire();
      stamps.push(performance.now());
    });
    try {
      await runner.start();
      // Enough work to keep the limiter busy past the window: the burst, the window's share and a margin.
      const total = burst + expectedInWindow + 40;
      for (let n = 0; n < total; n++) await runner.enqueue(send, { n });

      // The window starts with the first send after the burst allowance.
      const windowStart = await waitFor(() => stamps[burst], { timeoutMs: 30_000, intervalMs: 10, what: 'the end of the burst' });
      await waitFor(() => (performance.now() >= windowStart + WINDOW_MS ? true : undefined), { timeoutMs: WINDOW_MS + 5_000, intervalMs: 50, what: 'the window' });
      const inWindow = stamps.filter((t) => t > windowStart && t <= windowStart + WINDOW_MS).length;
      const achievedPerMin = (inWindow * 60_000) / WINDOW_MS;
      const errorPct = (Math.abs(achievedPerMin - CONFIGURED_PER_MIN) / CONFIGURED_PER_MIN) * 100;
      const burstMs = windowStart - stamps[0]!;
      const firstTwentyFromIdle = stamps.filter((t) => t <= stamps[0]! + WINDOW_MS).length;
      return {
        figures: { limiter_error_pct: errorPct },
        notes: [
          `Configured ${CONFIGURED_PER_MIN}/min; ${total} rate-limited jobs queued at once on a private redis-server (BullMQ runner, limited queue, max ${CONFIGURED_PER_MIN} per 60 s, concurrency as shipped), each taking a token from bot/zalo/rate-limiter.ts before it counts as sent.`,
          `Steady state: ${inWindow} sends in the ${WINDOW_MS / 1000} s after the burst (expected ${expectedInWindow}) = ${fmt(achievedPerMin, 1)}/min → error ${fmt(errorPct, 2)} %.`,
          `Burst allowance from idle: the first ${burst} sends went out within ${fmt(burstMs)} ms; counting from the very first send, the first ${WINDOW_MS / 1000} s carried ${firstTwentyFromIdle} sends (${fmt((firstTwentyFromIdle * 60_000) / WINDOW_MS)}/min). BullMQ's own limiter is a fixed window of ${CONFIGURED_PER_MIN} per 60 s: alone it would let a whole minute's quota out at once; the per-process token bucket is what spreads it.`,
        ],
      };
    } finally {
      await runner.close();
      await redis.stop();
    }
  },
};
