import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { createHandlerRegistry, logJobFailure, PermanentJobError } from './handler-registry.js';
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_JOB_CONCURRENCY,
  resolveAttempts,
  resolveBackoffMs,
  type EnqueueOptions,
  type JobDefinition,
  type JobRunner,
  type RunnerOptions,
} from './job.js';

/**
 * Two queues: rate-limited jobs get their own so that BullMQ's limiter (global across processes, kept in
 * Redis) throttles only outbound messages, never webhook processing or the tick.
 */
export const BULLMQ_QUEUE_NAMES = { normal: 'pakn-jobs', limited: 'pakn-jobs-limited' } as const;

export interface BullmqRunnerOptions extends RunnerOptions {
  redisUrl: string;
  /** Redis key prefix; tests use a unique one like `t-${randomUUID()}`. Default 'pakn'. */
  prefix?: string;
  /** Readiness ping budget (default 2 s). */
  pingTimeoutMs?: number;
  /** How long enqueue/schedule wait for a first connection before failing (default 5 s). */
  connectTimeoutMs?: number;
  /** BullMQ workers per queue in this process; the concurrency is shared among them (default 4). */
  workersPerQueue?: number;
}

const DEFAULT_PING_TIMEOUT_MS = 2_000;
/**
 * A BullMQ worker fetches its jobs one after the other, a Redis round trip each, between the callbacks of the
 * jobs it runs: in a busy process, 50 jobs queued at once took ~250 ms to all start. Several workers per queue
 * fetch side by side (4: evJobStart p50 ~160 → ~80 ms, bench/bot-reply.bench.ts). Each holds two connections.
 */
const DEFAULT_WORKERS_PER_QUEUE = 4;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Pause between checks while waiting for Redis before starting the workers. */
const START_RETRY_MS = 1_000;
/** After the handlers finished, how long BullMQ may take to write their outcome before we disconnect. */
const WORKER_CLOSE_GRACE_MS = 1_000;
const DRAIN_POLL_MS = 25;
/**
 * How often a process that owns schedules checks they still exist in Redis. A Redis that comes back empty
 * (restarted without persistence, flushed, a failover to a fresh node) has lost them; without the one-minute
 * tick nothing would re-enqueue the work PostgreSQL still holds (stalled inbound events, the outbox).
 */
const SCHEDULE_CHECK_MS = 60_000;
/** Redis errors repeat on every reconnect attempt while it is down; one line per interval is enough. */
const REDIS_ERROR_LOG_INTERVAL_MS = 10_000;

/** Finished jobs are kept a while for inspection; dedupe does not depend on them (see enqueue). */
const RETENTION: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};

function buildJobOptions(def: JobDefinition<unknown>): JobsOptions {
  return {
    attempts: resolveAttempts(def),
    backoff: { type: 'exponential', delay: resolveBackoffMs(def) },
    ...RETENTION,
  };
}

/** The options of one enqueued job: the definition's, plus its delay and dedupe key. */
function enqueueJobOptions(def: JobDefinition<unknown>, { key, delayMs }: EnqueueOptions): JobsOptions {
  return {
    ...buildJobOptions(def),
    ...(delayMs && delayMs > 0 ? { delay: delayMs } : {}),
    // Deduplication rather than jobId = key: BullMQ rejects custom ids containing ':' (our keys are
    // 'outbox:<id>', 'nudge:<case>:<rule>:<step>'), and a kept finished job with that id would block
    // the key forever. Without a ttl, the key is held exactly while the job is queued, delayed
    // (retries included) or running, and freed when it completes or finally fails.
    ...(key !== undefined ? { deduplication: { id: key } } : {}),
  };
}

function createThrottledErrorLog(logger: Logger): (source: string) => (err: unknown) => void {
  let lastLoggedAt = 0;
  return (source) => (err) => {
    const at = Date.now();
    if (at - lastLoggedAt < REDIS_ERROR_LOG_INTERVAL_MS) return;
    lastLoggedAt = at;
    logger.warn({ err, source }, 'redis connection problem; retrying in the background');
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when Redis answers PING within the budget; rejects at once when it refuses the connection. */
async function pingRedis(client: Redis, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const timedOut = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`redis did not answer within ${timeoutMs} ms`)), { once: true });
  });
  timedOut.catch(() => undefined);
  if (client.status === 'wait') client.connect().catch(() => undefined);
  if (client.status !== 'ready') {
    // `once` rejects on the client's 'error' event, so a refused connection fails fast instead of waiting.
    await Promise.race([once(client, 'ready', { signal }), timedOut]).catch((err: unknown) => {
      if (signal.aborted) throw new Error(`redis did not answer within ${timeoutMs} ms`);
      throw err;
    });
  }
  await Promise.race([client.ping(), timedOut]);
}

/**
 * One start from BullMQ's own limiter window, for work done outside a job: the same counter its workers count
 * their starts in (`<prefix>:<queue>:limiter`, INCR per start, expiring `duration` after the window's first
 * start; moveToActive.lua → getRateLimitTTL / prepareJobForProcessing), so jobs and direct work share one limit.
 * Unlike a job start it never goes over: at the limit it takes nothing and answers 0.
 */
const TAKE_RATE_LIMIT_SLOT = `
local max = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or 0) >= max then return 0 end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[2]))) end
return 1`;

export function createBullmqRunner(options: BullmqRunnerOptions): JobRunner {
  const { logger, redisUrl } = options;
  const prefix = options.prefix ?? 'pakn';
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_JOB_CONCURRENCY);
  const workersPerQueue = Math.max(1, Math.min(concurrency, options.workersPerQueue ?? DEFAULT_WORKERS_PER_QUEUE));
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  const pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const registry = createHandlerRegistry();
  const logRedisError = createThrottledErrorLog(logger);

  let queues: { normal: Queue; limited: Queue } | undefined;
  let workers: Worker[] = [];
  /** Handlers running in this process; close() waits for these, not for BullMQ's own bookkeeping. */
  const runningHandlers = new Set<Promise<void>>();
  let pingClient: Redis | undefined;
  /** Schedules this process created, to put back when Redis lost them. */
  const schedules = new Map<string, { everyMs: number; def: JobDefinition<unknown>; payload: unknown }>();
  const watchedQueues = new Set<Queue>();
  let scheduleCheckTimer: NodeJS.Timeout | undefined;
  let starting: Promise<void> | undefined;
  const stopStarting = new AbortController();
  let closed = false;
  let closing: Promise<void> | undefined;

  function createQueue(name: string): Queue {
    // No offline queue: while Redis is down, add() fails at once (the caller, e.g. the outbox relay,
    // tries again on the next tick) instead of hanging a web request. Reconnection stays automatic.
    const queue = new Queue(name, { connection: { url: redisUrl, enableOfflineQueue: false }, prefix });
    queue.on('error', logRedisError(`queue ${name}`));
    return queue;
  }

  /** Created on first use, so a web process that only pings or a runner that is never used opens nothing. */
  function getQueues(): { normal: Queue; limited: Queue } {
    if (closed) throw new Error('job runner is closed');
    queues ??= { normal: createQueue(BULLMQ_QUEUE_NAMES.normal), limited: createQueue(BULLMQ_QUEUE_NAMES.limited) };
    return queues;
  }

  function queueFor(def: JobDefinition<unknown>): Queue {
    const { normal, limited } = getQueues();
    return def.rateLimited ? limited : normal;
  }

  /**
   * A queue that never connected waits for Redis forever; bound that wait so a caller (a webhook, the
   * relay) gets an error it can handle. Once connected, the queue fails fast by itself (no offline queue).
   */
  async function readyQueueFor(def: JobDefinition<unknown>): Promise<Queue> {
    const queue = queueFor(def);
    await withTimeout(queue.waitUntilReady(), connectTimeoutMs, `redis did not answer within ${connectTimeoutMs} ms`);
    return queue;
  }

  function getPingClient(): Redis {
    pingClient ??= (() => {
      // A connection of its own with no offline queue: a readiness probe must fail fast while Redis is
      // down, not queue behind the workers' retry-forever connections. It still reconnects by itself.
      const client = new Redis(redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: pingTimeoutMs,
        retryStrategy: (times) => Math.min(times * 500, 5_000),
      });
      client.on('error', logRedisError('readiness ping'));
      return client;
    })();
    return pingClient;
  }

  async function processJob(job: Job): Promise<void> {
    const attempts = job.opts.attempts ?? 1;
    const attempt = job.attemptsMade + 1;
    const jobId = job.id ?? '';
    const running = registry.run(job.name, job.data, { attempt, jobId });
    runningHandlers.add(running);
    try {
      await running;
    } catch (err) {
      logJobFailure(logger, { name: job.name, jobId, attempt, attempts }, err);
      // UnrecoverableError makes BullMQ fail the job now, whatever attempts remain.
      if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      runningHandlers.delete(running);
    }
  }

  function createWorker(name: string, limited: boolean): Worker {
    const worker = new Worker(name, processJob, {
      // Workers block on Redis and must retry forever rather than fail commands while it is away.
      connection: { url: redisUrl, maxRetriesPerRequest: null },
      prefix,
      concurrency: Math.ceil(concurrency / workersPerQueue),
      ...(limited && options.rateLimit ? { limiter: { max: options.rateLimit.max, duration: options.rateLimit.durationMs } } : {}),
    });
    worker.on('error', logRedisError(`worker ${name}`));
    return worker;
  }

  /**
   * Stop fetching, wait for this process's running handlers (bounded), then give BullMQ a moment to record
   * their outcome. Worker.close() alone never returns while Redis is down, so after the grace period the
   * connections are cut; a job whose completion was not recorded comes back as stalled and runs again,
   * which idempotent jobs tolerate.
   */
  async function closeWorkers(): Promise<void> {
    if (workers.length === 0) return;
    const workersClosed = Promise.all(workers.map((worker) => worker.close().catch(() => undefined)));
    const handlersDone = Promise.allSettled([...runningHandlers]);
    const finishedInTime = await withTimeout(Promise.race([workersClosed, handlersDone]), closeTimeoutMs, 'close timeout').then(
      () => true,
      () => false,
    );
    if (!finishedInTime) {
      logger.warn({ running: runningHandlers.size, closeTimeoutMs }, 'jobs still running when the close timeout passed');
    }
    const recorded = await withTimeout(workersClosed, WORKER_CLOSE_GRACE_MS, 'worker close grace').then(
      () => true,
      () => false,
    );
    if (!recorded) {
      await Promise.all(
        workers.map((worker) => withTimeout(worker.disconnect(), 1_000, 'worker did not disconnect').catch(() => undefined)),
      );
    }
  }

  async function closeQueue(queue: Queue): Promise<void> {
    try {
      await withTimeout(queue.close(), closeTimeoutMs, 'queue did not close');
    } catch {
      // close() sends QUIT, which fails while Redis is away; drop the connection instead.
      await withTimeout(queue.disconnect(), 1_000, 'queue did not disconnect').catch(() => undefined);
    }
  }

  async function upsertSchedule(queue: Queue, scheduleId: string, everyMs: number, def: JobDefinition<unknown>, payload: unknown): Promise<void> {
    await queue.upsertJobScheduler(scheduleId, { every: everyMs }, { name: def.name, data: payload, opts: buildJobOptions(def) });
  }

  /** Re-creates the schedules Redis no longer has; a present one is left alone (its next run stays as it was). */
  async function restoreSchedules(): Promise<void> {
    if (closed) return;
    for (const [scheduleId, { everyMs, def, payload }] of schedules) {
      try {
        const queue = queueFor(def);
        if (await queue.getJobScheduler(scheduleId)) continue;
        await upsertSchedule(queue, scheduleId, everyMs, def, payload);
        logger.warn({ scheduleId }, 'job schedule was missing from Redis (restarted empty?); re-created');
      } catch (err) {
        // Redis away again: the next reconnect or check tries once more.
        logRedisError(`schedule ${scheduleId}`)(err);
      }
    }
  }

  /** Checks the schedules after every reconnection of the queue's client, and every SCHEDULE_CHECK_MS. */
  async function watchSchedules(queue: Queue): Promise<void> {
    if (!watchedQueues.has(queue)) {
      watchedQueues.add(queue);
      // 'ready' comes again after each reconnection, e.g. once a restarted Redis answers.
      const client = await queue.getBackend().client;
      client.on('ready', () => void restoreSchedules());
    }
    scheduleCheckTimer ??= setInterval(() => void restoreSchedules(), SCHEDULE_CHECK_MS);
    // Like the schedules themselves, the check must not keep a process alive.
    scheduleCheckTimer.unref();
  }

  /** Jobs waiting, running, or delayed but already due (about to be promoted), in one queue. */
  async function countPending(queue: Queue): Promise<number> {
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
    const dueDelayed = await queue.getDelayedCount(Date.now() + 1);
    return Object.values(counts).reduce((sum, n) => sum + n, 0) + dueDelayed;
  }

  return {
    engine: 'bullmq',
    register: (def, handler) => registry.register(def, handler),
    async enqueue(def, payload, enqueueOptions = {}) {
      def.schema.parse(payload);
      const queue = await readyQueueFor(def as JobDefinition<unknown>);
      await queue.add(def.name, payload, enqueueJobOptions(def as JobDefinition<unknown>, enqueueOptions));
    },
    async enqueueMany(def, items) {
      if (items.length === 0) return;
      for (const item of items) def.schema.parse(item.payload);
      const queue = await readyQueueFor(def as JobDefinition<unknown>);
      // One pipeline for all of them: a relay handing over 50 rows pays one round trip, not 50.
      await queue.addBulk(
        items.map((item) => ({ name: def.name, data: item.payload, opts: enqueueJobOptions(def as JobDefinition<unknown>, item.options ?? {}) })),
      );
    },
    async takeRateLimitSlot() {
      if (!options.rateLimit) return true;
      const { limited } = getQueues();
      await withTimeout(limited.waitUntilReady(), connectTimeoutMs, `redis did not answer within ${connectTimeoutMs} ms`);
      // BullMQ's Redis backend hands out its ioredis connection; its own client interface leaves eval out.
      const client = (await limited.getBackend().client) as unknown as Redis;
      const taken = await client.eval(TAKE_RATE_LIMIT_SLOT, 1, `${prefix}:${BULLMQ_QUEUE_NAMES.limited}:limiter`, options.rateLimit.max, options.rateLimit.durationMs);
      return taken === 1;
    },
    async schedule(scheduleId, everyMs, def, payload) {
      def.schema.parse(payload);
      const queue = await readyQueueFor(def as JobDefinition<unknown>);
      await upsertSchedule(queue, scheduleId, everyMs, def as JobDefinition<unknown>, payload);
      schedules.set(scheduleId, { everyMs, def: def as JobDefinition<unknown>, payload });
      await watchSchedules(queue);
    },
    /**
     * Resolves after the first look at Redis. The workers are created once Redis has answered: a BullMQ
     * worker that never connected cannot be closed (its close waits for the first connection), so a
     * process started while Redis is down could otherwise never shut down cleanly.
     */
    async start() {
      if (closed) throw new Error('job runner is closed');
      if (starting) return;
      let reportFirstCheck!: () => void;
      const firstCheck = new Promise<void>((resolve) => {
        reportFirstCheck = resolve;
      });
      starting = (async () => {
        for (let check = 1; !closed; check++) {
          try {
            await pingRedis(getPingClient(), pingTimeoutMs);
            break;
          } catch (err) {
            if (check === 1) logger.warn({ err }, 'redis is not reachable; job workers start when it answers');
            reportFirstCheck();
            await sleep(START_RETRY_MS, undefined, { signal: stopStarting.signal }).catch(() => undefined);
          }
        }
        if (closed) return;
        workers = Array.from({ length: workersPerQueue }, () => [
          createWorker(BULLMQ_QUEUE_NAMES.normal, false),
          createWorker(BULLMQ_QUEUE_NAMES.limited, true),
        ]).flat();
      })().finally(reportFirstCheck);
      await firstCheck;
    },
    async ping() {
      await pingRedis(getPingClient(), pingTimeoutMs);
    },
    async drain() {
      if (!starting) throw new Error('drain() needs start(): nothing consumes jobs in this runner');
      await starting;
      const { normal, limited } = getQueues();
      // Two idle readings in a row: the queues are read one after the other, and a job finishing in one
      // may have just enqueued into the other.
      let idleReadings = 0;
      while (idleReadings < 2) {
        const pending = (await countPending(normal)) + (await countPending(limited));
        idleReadings = pending === 0 ? idleReadings + 1 : 0;
        if (idleReadings < 2) await sleep(DRAIN_POLL_MS);
      }
    },
    close() {
      closing ??= (async () => {
        closed = true;
        stopStarting.abort();
        clearInterval(scheduleCheckTimer);
        await starting;
        await closeWorkers();
        if (queues) await Promise.all([closeQueue(queues.normal), closeQueue(queues.limited)]);
        // disconnect, not quit: quit would wait for an answer from a Redis that may be gone.
        pingClient?.disconnect();
      })();
      return closing;
    },
  };
}
