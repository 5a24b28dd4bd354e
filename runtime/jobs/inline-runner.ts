import { performance } from 'node:perf_hooks';
import { copyAsJson, createHandlerRegistry, logJobFailure, PermanentJobError } from './handler-registry.js';
import {
  computeBackoffMs,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_JOB_CONCURRENCY,
  resolveAttempts,
  resolveBackoffMs,
  type EnqueueOptions,
  type JobDefinition,
  type JobRunner,
  type RunnerOptions,
} from './job.js';

interface QueuedJob {
  /** Tie-breaker: among jobs due at once, the earlier enqueued runs first. */
  seq: number;
  id: string;
  def: JobDefinition<unknown>;
  data: unknown;
  attempt: number;
  /** performance.now() time at which the job may start. */
  dueAt: number;
  key?: string;
}

interface StartLimiter {
  canStart(at: number): boolean;
  record(at: number): void;
  /** When the next start becomes possible. */
  nextFreeAt(at: number): number;
}

/**
 * At most `max` starts in any window of `durationMs`: a token bucket of `max` tokens where each token
 * comes back exactly `durationMs` after it was spent. Never lets more through than BullMQ's limiter.
 */
function createStartLimiter({ max, durationMs }: { max: number; durationMs: number }): StartLimiter {
  const starts: number[] = [];
  const prune = (at: number) => {
    while (starts.length > 0 && (starts[0] as number) <= at - durationMs) starts.shift();
  };
  return {
    canStart(at) {
      prune(at);
      return starts.length < max;
    },
    record(at) {
      starts.push(at);
    },
    nextFreeAt(at) {
      prune(at);
      return starts.length < max ? at : (starts[0] as number) + durationMs;
    },
  };
}

/**
 * The in-process engine: development, PGlite mode and tests. Same contract as the BullMQ engine, held in
 * memory, so a crash loses queued jobs. That is acceptable because PostgreSQL holds the work itself (outbox,
 * inbound events) and the scheduler tick re-enqueues what is still due.
 *
 * Timers use the monotonic performance clock, not options.clock: a fake clock in a test never advances on
 * its own and would freeze delayed jobs. Tests keep backoffs small instead of faking time.
 */
export function createInlineRunner(options: RunnerOptions): JobRunner {
  const { logger } = options;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_JOB_CONCURRENCY);
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  const limiter = options.rateLimit ? createStartLimiter(options.rateLimit) : undefined;
  const registry = createHandlerRegistry();

  const waiting: QueuedJob[] = [];
  const running = new Set<Promise<void>>();
  /** Keys of jobs queued or running: the dedupe set. A key is freed when its job finishes for good. */
  const activeKeys = new Set<string>();
  const schedules = new Map<string, NodeJS.Timeout>();
  let drainWaiters: Array<() => void> = [];
  let wakeTimer: NodeJS.Timeout | undefined;
  let seq = 0;
  let started = false;
  let closed = false;
  let closing: Promise<void> | undefined;

  const now = () => performance.now();

  function releaseKey(job: QueuedJob): void {
    if (job.key !== undefined) activeKeys.delete(job.key);
  }

  function isBlockedByLimiter(job: QueuedJob, at: number): boolean {
    return Boolean(job.def.rateLimited && limiter && !limiter.canStart(at));
  }

  function takeNextRunnable(at: number): QueuedJob | undefined {
    let best = -1;
    for (let i = 0; i < waiting.length; i++) {
      const job = waiting[i] as QueuedJob;
      if (job.dueAt > at || isBlockedByLimiter(job, at)) continue;
      const current = best >= 0 ? (waiting[best] as QueuedJob) : undefined;
      if (!current || job.dueAt < current.dueAt || (job.dueAt === current.dueAt && job.seq < current.seq)) best = i;
    }
    return best >= 0 ? waiting.splice(best, 1)[0] : undefined;
  }

  /** The earliest moment something waiting could start: a delay ends or the limiter frees a slot. */
  function computeNextWake(at: number): number {
    let wake = Number.POSITIVE_INFINITY;
    for (const job of waiting) {
      const ready = job.dueAt > at ? job.dueAt : job.def.rateLimited && limiter ? limiter.nextFreeAt(at) : at;
      wake = Math.min(wake, ready);
    }
    return wake;
  }

  function isIdle(): boolean {
    const at = now();
    return running.size === 0 && !waiting.some((job) => job.dueAt <= at);
  }

  function settleDrainWaiters(): void {
    if (drainWaiters.length === 0 || !isIdle()) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function pump(): void {
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = undefined;
    if (!started || closed) return;
    while (running.size < concurrency) {
      const at = now();
      const job = takeNextRunnable(at);
      if (!job) break;
      if (job.def.rateLimited && limiter) limiter.record(at);
      runJob(job);
    }
    // With every slot busy, a finishing job pumps again; otherwise sleep until something can start.
    if (running.size < concurrency && waiting.length > 0) {
      const at = now();
      const wake = computeNextWake(at);
      if (Number.isFinite(wake)) {
        // +1 ms: timers may fire a hair early against performance.now().
        wakeTimer = setTimeout(pump, Math.max(0, Math.ceil(wake - at)) + 1);
      }
    }
    settleDrainWaiters();
  }

  function handleFailure(job: QueuedJob, err: unknown): void {
    const attempts = resolveAttempts(job.def);
    logJobFailure(logger, { name: job.def.name, jobId: job.id, attempt: job.attempt, attempts }, err);
    if (err instanceof PermanentJobError || job.attempt >= attempts || closed) {
      releaseKey(job);
      return;
    }
    const delay = computeBackoffMs(resolveBackoffMs(job.def), job.attempt);
    // The key stays held: a job waiting for its retry is still "queued" for dedupe purposes.
    waiting.push({ ...job, seq: ++seq, attempt: job.attempt + 1, dueAt: now() + delay });
  }

  function runJob(job: QueuedJob): void {
    const execution = (async () => {
      // Start on a later tick: a handler that enqueues must not re-enter pump() mid-loop, and a caller
      // holding a PGlite transaction must get control back before the handler touches the database.
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        await registry.run(job.def.name, job.data, { attempt: job.attempt, jobId: job.id });
        releaseKey(job);
      } catch (err) {
        handleFailure(job, err);
      }
    })();
    running.add(execution);
    void execution.finally(() => {
      running.delete(execution);
      pump();
    });
  }

  async function enqueue<T>(def: JobDefinition<T>, payload: T, enqueueOptions: EnqueueOptions = {}): Promise<void> {
    if (closed) throw new Error('job runner is closed');
    def.schema.parse(payload);
    const { key, delayMs = 0 } = enqueueOptions;
    if (key !== undefined) {
      if (activeKeys.has(key)) return;
      activeKeys.add(key);
    }
    const id = `inline-${++seq}`;
    waiting.push({
      seq,
      id,
      def: def as JobDefinition<unknown>,
      data: copyAsJson(payload),
      attempt: 1,
      dueAt: now() + Math.max(0, delayMs),
      key,
    });
    pump();
  }

  return {
    engine: 'inline',
    register: (def, handler) => registry.register(def, handler),
    enqueue,
    async enqueueMany(def, items) {
      if (closed) throw new Error('job runner is closed');
      // All or nothing on a bad payload, like the BullMQ engine that validates before its one round trip.
      for (const item of items) def.schema.parse(item.payload);
      // enqueue() queues synchronously, so every job is queued, in order, before this returns control.
      await Promise.all(items.map((item) => enqueue(def, item.payload, item.options)));
    },
    async takeRateLimitSlot() {
      if (!limiter) return true;
      const at = now();
      if (!limiter.canStart(at)) return false;
      limiter.record(at);
      return true;
    },
    async schedule(scheduleId, everyMs, def, payload) {
      if (closed) throw new Error('job runner is closed');
      def.schema.parse(payload);
      const existing = schedules.get(scheduleId);
      if (existing) clearInterval(existing);
      // Keyed by schedule: a run still queued or running absorbs the next tick instead of piling up.
      const fire = () => {
        enqueue(def, payload, { key: `schedule:${scheduleId}` }).catch((err: unknown) => {
          logger.error({ err, scheduleId, job: def.name }, 'could not enqueue scheduled job');
        });
      };
      const timer = setInterval(fire, everyMs);
      // A schedule alone must not keep the process alive (the HTTP server or the worker loop does that).
      timer.unref();
      schedules.set(scheduleId, timer);
      // Like BullMQ's `every` scheduler, the first run happens at once.
      fire();
    },
    async start() {
      if (closed) throw new Error('job runner is closed');
      started = true;
      pump();
    },
    async ping() {},
    drain() {
      if (closed) return Promise.resolve();
      if (!started) return Promise.reject(new Error('drain() needs start(): nothing consumes jobs in this runner'));
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settleDrainWaiters();
      });
    },
    close() {
      closing ??= (async () => {
        closed = true;
        for (const timer of schedules.values()) clearInterval(timer);
        schedules.clear();
        if (wakeTimer) clearTimeout(wakeTimer);
        wakeTimer = undefined;
        if (waiting.length > 0) {
          // Nothing durable is lost: the database still holds the work, and the next tick re-enqueues it.
          logger.warn({ dropped: waiting.length }, 'inline job runner closed with jobs still queued');
          waiting.length = 0;
        }
        if (running.size > 0) {
          let timer: NodeJS.Timeout | undefined;
          const timedOut = await Promise.race([
            Promise.allSettled([...running]).then(() => false),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(true), closeTimeoutMs);
            }),
          ]);
          clearTimeout(timer);
          if (timedOut) logger.warn({ running: running.size, closeTimeoutMs }, 'jobs still running when the close timeout passed');
        }
        const waiters = drainWaiters;
        drainWaiters = [];
        for (const resolve of waiters) resolve();
      })();
      return closing;
    },
  };
}
