import type { ZodType } from 'zod';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/**
 * The queue port: a job is a named, schema-checked payload plus a handler registered elsewhere.
 * Two engines implement it (BullMQ on Redis, in-process) and run the very same handlers.
 */
export interface JobDefinition<T> {
  name: string;
  schema: ZodType<T>;
  /** Total tries, the first included. Default 5. */
  attempts?: number;
  /** Base of the exponential backoff between tries: base · 2^(failures − 1). Default 1000. */
  backoffMs?: number;
  /** Counts against the global outbound limit (Zalo's per-minute quota). */
  rateLimited?: boolean;
}

export const DEFAULT_JOB_ATTEMPTS = 5;
export const DEFAULT_JOB_BACKOFF_MS = 1_000;
/**
 * Jobs run at once per queue and process. Handlers mostly wait (PostgreSQL, Zalo's API), so a low number only
 * makes jobs wait in the queue: with 5, a burst of 50 citizens' messages took ten waves of ~90 ms each before the
 * last one even started (bench/bot-reply.bench.ts, p95 1.2 s). The pg pool (runtime/db.ts) still bounds how many
 * transactions run at once; jobs above that wait for a connection, in order, inside the process.
 */
export const DEFAULT_JOB_CONCURRENCY = 32;
/** How long close() waits for running jobs before giving up on them. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** Identity function that pins the payload type, so `defineJob({ schema: ZFoo })` infers `T`. */
export function defineJob<T>(def: JobDefinition<T>): JobDefinition<T> {
  return def;
}

export interface JobContext {
  /** 1-based: 1 on the first try, 2 on the first retry… */
  attempt: number;
  jobId: string;
}

export type JobHandler<T> = (payload: T, ctx: JobContext) => Promise<void>;

export interface EnqueueOptions {
  delayMs?: number;
  /** Idempotency: a job with the same key already queued/running is not added twice. */
  key?: string;
}

/** One job of an `enqueueMany` call. */
export interface EnqueueItem<T> {
  payload: T;
  options?: EnqueueOptions;
}

export interface JobRunner {
  readonly engine: 'bullmq' | 'inline';
  register<T>(def: JobDefinition<T>, handler: JobHandler<T>): void;
  /** The payload is validated with def.schema; an invalid payload throws here, at the caller. */
  enqueue<T>(def: JobDefinition<T>, payload: T, options?: EnqueueOptions): Promise<void>;
  /**
   * Several jobs of one kind in one round trip (BullMQ: one pipelined addBulk), each with its own key and delay;
   * the same as calling enqueue for each, in order. Every payload is validated before any job is added.
   */
  enqueueMany<T>(def: JobDefinition<T>, items: ReadonlyArray<EnqueueItem<T>>): Promise<void>;
  /**
   * Takes one start from the global limit that `rateLimited` jobs run under, for work of that kind done outside
   * a job (a reply delivered by the job that wrote it): true when taken, false when the limit is reached for now
   * (the work then goes through the queue, which waits for the limit). Without a configured limit: always true.
   */
  takeRateLimitSlot(): Promise<boolean>;
  /** A repeating job (e.g. the one-minute tick). Calling it again with the same id replaces the schedule. */
  schedule<T>(scheduleId: string, everyMs: number, def: JobDefinition<T>, payload: T): Promise<void>;
  /** Begin consuming (worker role). enqueue works before start. */
  start(): Promise<void>;
  /** Readiness: throws when Redis does not answer (inline: resolves). */
  ping(): Promise<void>;
  /** Tests and in-process mode: resolves once nothing is queued, delayed-and-due, or running. */
  drain(): Promise<void>;
  /** Graceful: stop taking jobs, wait for running ones (with a timeout), close connections. */
  close(): Promise<void>;
}

export interface RunnerOptions {
  logger: Logger;
  clock?: Clock;
  /** Global limit on jobs with rateLimited: true. */
  rateLimit?: { max: number; durationMs: number };
  /** Jobs run at once per queue (default DEFAULT_JOB_CONCURRENCY). */
  concurrency?: number;
  /** How long close() waits for running jobs (default 10 s). */
  closeTimeoutMs?: number;
}

export function resolveAttempts(def: JobDefinition<unknown>): number {
  return Math.max(1, def.attempts ?? DEFAULT_JOB_ATTEMPTS);
}

export function resolveBackoffMs(def: JobDefinition<unknown>): number {
  return Math.max(0, def.backoffMs ?? DEFAULT_JOB_BACKOFF_MS);
}

/**
 * Delay before the next try after `failures` failed tries; the same formula BullMQ's 'exponential'
 * backoff uses, so both engines space retries alike.
 */
export function computeBackoffMs(baseMs: number, failures: number, capMs = Number.POSITIVE_INFINITY): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));
}
