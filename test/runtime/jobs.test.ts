import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BULLMQ_QUEUE_NAMES, createBullmqRunner } from '../../runtime/jobs/bullmq-runner.js';
import { createJobRunner } from '../../runtime/jobs/create-runner.js';
import { createInlineRunner } from '../../runtime/jobs/inline-runner.js';
import { defineJob, type JobDefinition, type JobRunner, type RunnerOptions } from '../../runtime/jobs/job.js';
import { createLogger } from '../../runtime/logger.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Nothing listens here: the BullMQ runner's readiness ping must fail fast, not hang. */
const CLOSED_REDIS_URL = 'redis://127.0.0.1:6390';

type Engine = 'bullmq' | 'inline';
const ENGINES: Engine[] = ['bullmq', 'inline'];

const logger = createLogger({ level: 'silent' });
const prefixes: string[] = [];
let openRunners: JobRunner[] = [];

function makeRunner(engine: Engine, options: Omit<RunnerOptions, 'logger'> = {}): JobRunner {
  const prefix = `t-${randomUUID()}`;
  prefixes.push(prefix);
  const runner =
    engine === 'bullmq'
      ? createBullmqRunner({ logger, redisUrl: REDIS_URL, prefix, ...options })
      : createInlineRunner({ logger, ...options });
  openRunners.push(runner);
  return runner;
}

/** A promise with its resolver, for waiting on "the handler got here" without sleeping. */
function createSignal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Bounded wait: a broken engine fails the test with a clear message instead of hitting the suite timeout. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function uniqueName(base: string): string {
  return `${base}.${randomUUID().slice(0, 8)}`;
}

afterEach(async () => {
  const runners = openRunners;
  openRunners = [];
  await Promise.all(runners.map((runner) => runner.close()));
});

afterAll(async () => {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of prefixes) {
      for (const name of Object.values(BULLMQ_QUEUE_NAMES)) {
        const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
        await queue.obliterate({ force: true });
        await queue.close();
      }
      // Whatever obliterate leaves (meta, limiter, scheduler and dedupe keys) goes too.
      const leftovers = await redis.keys(`${prefix}:*`);
      if (leftovers.length > 0) await redis.del(...leftovers);
    }
  } finally {
    redis.disconnect();
  }
});

describe.each(ENGINES)('job runner on %s', (engine) => {
  it('runs the handler with the payload parsed by the schema', async () => {
    const runner = makeRunner(engine);
    expect(runner.engine).toBe(engine);
    const def = defineJob({
      name: uniqueName('greet'),
      schema: z.object({ name: z.string(), polite: z.boolean().default(true) }),
    });
    const seen = createSignal<{ payload: { name: string; polite: boolean }; attempt: number; jobId: string }>();
    runner.register(def, async (payload, ctx) => seen.resolve({ payload, attempt: ctx.attempt, jobId: ctx.jobId }));
    await runner.start();
    await runner.enqueue(def, { name: 'Lan' } as { name: string; polite: boolean });
    const run = await within(seen.promise, 5_000, 'the handler');
    // The default comes from the schema, applied where the job runs: the payload crossed a JSON boundary.
    expect(run.payload).toEqual({ name: 'Lan', polite: true });
    expect(run.attempt).toBe(1);
    expect(run.jobId).not.toBe('');
  });

  it('rejects an invalid payload at enqueue and never runs it', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('strict'), schema: z.object({ caseId: z.number().int() }) });
    let runs = 0;
    runner.register(def, async () => {
      runs++;
    });
    await runner.start();
    await expect(runner.enqueue(def, { caseId: 'PA-1' } as unknown as { caseId: number })).rejects.toThrow(/caseId/);
    await expect(runner.schedule('bad', 1_000, def, {} as { caseId: number })).rejects.toThrow();
    await runner.drain();
    expect(runs).toBe(0);
  });

  it('retries with exponential backoff until the handler succeeds', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('flaky'), schema: z.object({}), attempts: 5, backoffMs: 50 });
    const tries: Array<{ attempt: number; at: number }> = [];
    const succeeded = createSignal();
    runner.register(def, async (_payload, ctx) => {
      tries.push({ attempt: ctx.attempt, at: performance.now() });
      if (ctx.attempt < 3) throw new Error(`transient failure ${ctx.attempt}`);
      succeeded.resolve();
    });
    await runner.start();
    await runner.enqueue(def, {});
    await within(succeeded.promise, 5_000, 'the third attempt');
    expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);
    const [first, second, third] = tries as [(typeof tries)[0], (typeof tries)[0], (typeof tries)[0]];
    // backoff · 2^(failures − 1): 50 ms, then 100 ms (a few ms of slack for timer granularity).
    expect(second.at - first.at).toBeGreaterThanOrEqual(45);
    expect(third.at - second.at).toBeGreaterThanOrEqual(95);
  });

  it('gives up after the configured attempts', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('doomed'), schema: z.object({}), attempts: 3, backoffMs: 20 });
    let runs = 0;
    const third = createSignal();
    runner.register(def, async () => {
      runs++;
      if (runs === 3) third.resolve();
      throw new Error('always fails');
    });
    await runner.start();
    await runner.enqueue(def, {});
    await within(third.promise, 5_000, 'the third attempt');
    await runner.drain();
    // A fourth try would come 80 ms after the third; wait well past it.
    await sleep(250);
    expect(runs).toBe(3);
  });

  it('runs a delayed job only after its delay', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('later'), schema: z.object({}) });
    const ran = createSignal<number>();
    let runs = 0;
    runner.register(def, async () => {
      runs++;
      ran.resolve(performance.now());
    });
    await runner.start();
    const enqueuedAt = performance.now();
    await runner.enqueue(def, {}, { delayMs: 300 });
    // Not due yet: drain does not wait for it.
    await runner.drain();
    expect(runs).toBe(0);
    const ranAt = await within(ran.promise, 5_000, 'the delayed job');
    expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(290);
  });

  it('adds a keyed job once while it is queued, and again after it finished', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('keyed'), schema: z.object({ n: z.number() }) });
    const seen: number[] = [];
    runner.register(def, async ({ n }) => {
      seen.push(n);
    });
    // Keys look like ours in production, colons included.
    await runner.enqueue(def, { n: 1 }, { key: 'outbox:42' });
    await runner.enqueue(def, { n: 2 }, { key: 'outbox:42' });
    await runner.enqueue(def, { n: 3 }, { key: 'nudge:7:answer:2' });
    await runner.start();
    await runner.drain();
    expect(seen.sort()).toEqual([1, 3]);
    // The key is free once its job completed: the same message may legitimately be re-enqueued.
    await runner.enqueue(def, { n: 4 }, { key: 'outbox:42' });
    await runner.drain();
    expect(seen.sort()).toEqual([1, 3, 4]);
  });

  it('adds many jobs at once with the same keys and delays as one by one, refusing them all on one bad payload', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('bulk'), schema: z.object({ n: z.number() }) });
    const seen: number[] = [];
    runner.register(def, async ({ n }) => {
      seen.push(n);
    });
    await expect(runner.enqueueMany(def, [{ payload: { n: 0 } }, { payload: { n: 'x' } as unknown as { n: number } }])).rejects.toThrow();
    await runner.enqueue(def, { n: 1 }, { key: 'outbox:7' });
    await runner.enqueueMany(def, [
      { payload: { n: 2 }, options: { key: 'outbox:7' } },
      { payload: { n: 3 }, options: { key: 'outbox:8' } },
      { payload: { n: 4 }, options: { key: 'outbox:8' } },
      { payload: { n: 5 } },
      { payload: { n: 6 }, options: { delayMs: 60_000 } },
    ]);
    await runner.enqueueMany(def, []);
    await runner.start();
    await runner.drain();
    expect(seen.sort()).toEqual([1, 3, 5]);
  });

  it('fires a schedule repeatedly', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('tick'), schema: z.object({ source: z.string() }), attempts: 1 });
    const twice = createSignal();
    const payloads: string[] = [];
    runner.register(def, async ({ source }) => {
      payloads.push(source);
      if (payloads.length === 2) twice.resolve();
    });
    await runner.start();
    await runner.schedule('test-tick', 200, def, { source: 'scheduler' });
    await within(twice.promise, 3_000, 'two scheduled runs');
    expect(payloads.slice(0, 2)).toEqual(['scheduler', 'scheduler']);
  });

  it('holds rate-limited jobs to the global limit, and only them', async () => {
    const limit = { max: 5, durationMs: 1_000 };
    const runner = makeRunner(engine, { rateLimit: limit, concurrency: 10 });
    const limited = defineJob({ name: uniqueName('send'), schema: z.object({ i: z.number() }), rateLimited: true });
    const free = defineJob({ name: uniqueName('internal'), schema: z.object({}) });
    const starts: number[] = [];
    const allDone = createSignal();
    const freeRan = createSignal<number>();
    runner.register(limited, async () => {
      starts.push(performance.now());
      if (starts.length === 10) allDone.resolve();
    });
    runner.register(free, async () => freeRan.resolve(performance.now()));
    for (let i = 0; i < 10; i++) await runner.enqueue(limited, { i });
    const began = performance.now();
    await runner.start();
    await within(allDone.promise, 8_000, 'ten rate-limited jobs');
    starts.sort((a, b) => a - b);
    const first = starts[0] as number;
    // At most `max` jobs start within any one window: the 6th start is a full window after the 1st, and so on.
    // 100 ms of slack: BullMQ opens its window in Redis a moment before our handler records the start.
    for (let i = 0; i + limit.max < starts.length; i++) {
      expect((starts[i + limit.max] as number) - (starts[i] as number)).toBeGreaterThanOrEqual(limit.durationMs - 100);
    }
    expect(starts.filter((at) => at - first < limit.durationMs - 100)).toHaveLength(limit.max);
    // A job outside the limit is not stuck behind the throttled ones.
    await runner.enqueue(free, {});
    const freeAt = await within(freeRan.promise, 2_000, 'the unlimited job');
    expect(freeAt - began).toBeLessThan(limit.durationMs * 3);
  });

  it('waits for a running job when closing', async () => {
    const runner = makeRunner(engine);
    const def = defineJob({ name: uniqueName('slow'), schema: z.object({}) });
    const started = createSignal();
    const release = createSignal();
    let finished = false;
    runner.register(def, async () => {
      started.resolve();
      await release.promise;
      finished = true;
    });
    await runner.start();
    await runner.enqueue(def, {});
    await within(started.promise, 5_000, 'the job to start');
    let closed = false;
    const closing = runner.close().then(() => {
      closed = true;
    });
    await sleep(150);
    expect(closed).toBe(false);
    release.resolve();
    await within(closing, 5_000, 'close()');
    expect(finished).toBe(true);
    await expect(runner.enqueue(def, {})).rejects.toThrow(/closed/);
  });

  it('answers the readiness ping', async () => {
    const runner = makeRunner(engine);
    await expect(runner.ping()).resolves.toBeUndefined();
    if (engine === 'bullmq') {
      const unreachable = createBullmqRunner({ logger, redisUrl: CLOSED_REDIS_URL, prefix: `t-${randomUUID()}` });
      openRunners.push(unreachable);
      const began = performance.now();
      await expect(unreachable.ping()).rejects.toThrow();
      expect(performance.now() - began).toBeLessThan(3_000);
    }
  });
});

describe('job runner on bullmq, worker side', () => {
  it('fails a job whose stored payload does not match the schema, without retrying it', async () => {
    const runner = makeRunner('bullmq');
    const def = defineJob({ name: uniqueName('checked'), schema: z.object({ caseId: z.number() }), attempts: 3, backoffMs: 10 });
    let runs = 0;
    runner.register(def, async () => {
      runs++;
    });
    await runner.start();
    // Another process (an older deploy, a hand-made job) put a payload on the queue that enqueue would refuse.
    const prefix = prefixes[prefixes.length - 1] as string;
    const queue = new Queue(BULLMQ_QUEUE_NAMES.normal, { connection: { url: REDIS_URL }, prefix });
    try {
      const job = await queue.add(def.name, { caseId: 'PA-1' }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      const orphan = await queue.add(uniqueName('nobody-handles'), {}, { attempts: 3 });
      await runner.drain();
      expect(runs).toBe(0);
      for (const id of [job.id, orphan.id]) {
        const stored = await queue.getJob(id as string);
        expect(await stored?.getState()).toBe('failed');
        expect(stored?.attemptsMade).toBe(1);
      }
    } finally {
      await queue.close();
    }
  });
});

describe('createJobRunner', () => {
  it('picks BullMQ when a Redis URL is set, else the in-process engine', async () => {
    const prefix = `t-${randomUUID()}`;
    prefixes.push(prefix);
    const withRedis = createJobRunner({ logger, redisUrl: REDIS_URL, prefix });
    const withoutRedis = createJobRunner({ logger, redisUrl: '' });
    openRunners.push(withRedis, withoutRedis);
    expect(withRedis.engine).toBe('bullmq');
    expect(withoutRedis.engine).toBe('inline');
  });

  it('refuses two handlers for one job name', () => {
    const runner = createInlineRunner({ logger });
    openRunners.push(runner);
    const def: JobDefinition<Record<string, never>> = defineJob({ name: 'twice', schema: z.object({}).strict() });
    runner.register(def, async () => undefined);
    expect(() => runner.register(def, async () => undefined)).toThrow(/already registered/);
  });
});

/**
 * takeRateLimitSlot: work done outside a job (a reply delivered by the job that wrote it) takes its start from the
 * same global limit as the `rateLimited` jobs. On BullMQ that is the limiter window BullMQ itself keeps in Redis.
 */
describe.each(ENGINES)('rate-limit slots on %s', (engine) => {
  const WINDOW = { max: 3, durationMs: 60_000 };
  let redis: Redis | undefined;

  afterAll(() => redis?.disconnect());

  /** BullMQ's limiter key of the rate-limited queue, for the runner created last. */
  function limiterKey(): string {
    return `${prefixes[prefixes.length - 1] as string}:${BULLMQ_QUEUE_NAMES.limited}:limiter`;
  }

  function redisClient(): Redis {
    redis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    return redis;
  }

  /** BullMQ's own reading of the limited queue: how long it stays rate-limited at `max` starts (0: not limited). */
  async function bullmqRateLimitTtl(max: number): Promise<number> {
    const queue = new Queue(BULLMQ_QUEUE_NAMES.limited, { connection: { url: REDIS_URL }, prefix: prefixes[prefixes.length - 1] as string });
    try {
      return await queue.getRateLimitTtl(max);
    } finally {
      await queue.close();
    }
  }

  async function takeSlots(runner: JobRunner, n: number): Promise<boolean[]> {
    const answers: boolean[] = [];
    for (let i = 0; i < n; i++) answers.push(await runner.takeRateLimitSlot());
    return answers;
  }

  it('hands out `max` slots in a window, then refuses', async () => {
    const runner = makeRunner(engine, { rateLimit: WINDOW });
    expect(await takeSlots(runner, 5)).toEqual([true, true, true, false, false]);
    if (engine === 'bullmq') {
      // The slots are starts in BullMQ's own window: its counter, expiring one window after the first start …
      const client = redisClient();
      expect(await client.get(limiterKey())).toBe('3');
      const ttl = await client.pttl(limiterKey());
      expect(ttl).toBeGreaterThan(WINDOW.durationMs - 10_000);
      expect(ttl).toBeLessThanOrEqual(WINDOW.durationMs);
      // … so BullMQ holds its rate-limited jobs back for the rest of that window.
      expect(await bullmqRateLimitTtl(WINDOW.max)).toBeGreaterThan(WINDOW.durationMs - 10_000);
    }
  });

  it('always answers true without a configured limit', async () => {
    const runner = makeRunner(engine);
    expect(await takeSlots(runner, 10)).toEqual(Array.from({ length: 10 }, () => true));
    if (engine === 'bullmq') expect(await redisClient().exists(limiterKey())).toBe(0);
  });

  it('counts the starts of rate-limited jobs and direct starts in one window', async () => {
    const runner = makeRunner(engine, { rateLimit: WINDOW });
    const limited = defineJob({ name: uniqueName('send'), schema: z.object({}), rateLimited: true });
    const ran = createSignal();
    runner.register(limited, async () => ran.resolve());
    await runner.start();
    await runner.enqueue(limited, {});
    await within(ran.promise, 5_000, 'the rate-limited job');
    // The job took one start: two are left.
    expect(await takeSlots(runner, 3)).toEqual([true, true, false]);
    if (engine === 'bullmq') expect(await redisClient().get(limiterKey())).toBe('3');
  });

  it('holds a rate-limited job back until the window that direct starts filled has passed', async () => {
    // A short window, so the held job does start within the test; the bound below is exact, not a guess.
    const window = { max: 3, durationMs: 1_000 };
    const runner = makeRunner(engine, { rateLimit: window, concurrency: 4 });
    const limited = defineJob({ name: uniqueName('send'), schema: z.object({}), rateLimited: true });
    const free = defineJob({ name: uniqueName('internal'), schema: z.object({}) });
    const limitedRan = createSignal<number>();
    const freeRan = createSignal();
    let limitedRuns = 0;
    runner.register(limited, async () => {
      limitedRuns++;
      limitedRan.resolve(performance.now());
    });
    runner.register(free, async () => freeRan.resolve());

    let windowEndsAt: number;
    if (engine === 'bullmq') {
      expect(await takeSlots(runner, 4)).toEqual([true, true, true, false]);
      // The window ends when Redis expires the counter: no earlier than `before + pttl`.
      const before = performance.now();
      const ttl = await redisClient().pttl(limiterKey());
      expect(ttl).toBeGreaterThan(0);
      windowEndsAt = before + ttl;
    } else {
      // The inline limiter records the starts on this very clock, no earlier than `before`.
      const before = performance.now();
      expect(await takeSlots(runner, 4)).toEqual([true, true, true, false]);
      windowEndsAt = before + window.durationMs;
    }
    await runner.enqueue(limited, {});
    await runner.enqueue(free, {});
    await runner.start();
    // Work outside the limit goes on meanwhile …
    await within(freeRan.promise, 5_000, 'the unlimited job');
    if (engine === 'inline') {
      // … and the inline runner decided, on that job's finish at the latest, that the limited one must wait.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(limitedRuns).toBe(0);
    }
    const startedAt = await within(limitedRan.promise, 10_000, 'the rate-limited job');
    // 5 ms of slack: Redis expires keys to the millisecond, timers fire to the millisecond.
    expect(startedAt).toBeGreaterThanOrEqual(windowEndsAt - 5);
    expect(limitedRuns).toBe(1);
  });
});
