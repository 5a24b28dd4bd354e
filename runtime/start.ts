import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps, type AppPart } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { databaseTargetFor, describeTarget, migrateDatabase, openDatabase, type Db, type DbTarget } from './db.js';
import { createJobRunner } from './jobs/create-runner.js';
import type { JobRunner } from './jobs/job.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { schedulerTickJob } from './scheduler-tick.js';
import { seedAll } from './seed.js';
import { claimOutboxRowsByKey, deliverClaimedOutboxRows, deliverOutboxJob, deliverOutboxRow, relayOutbox, type OutboxSender } from './outbox/outbox.js';

/** What a product part contributes to a running process besides HTTP routes. */
export interface ProductPart {
  name: string;
  http?: AppPart;
  /** Registers job handlers; called in every role so that web processes can enqueue. */
  jobs?: (jobs: JobRunner, deps: AppDeps, outbox?: OutboxDispatch) => void;
  /** Work done on the scheduler's one-minute tick (relay the outbox, sweep nudges…). */
  tick?: (deps: AppDeps, now: Date) => Promise<void>;
  seedDemo?: (db: Db, deps: Omit<AppDeps, 'jobs' | 'metrics'>) => Promise<void>;
  /** Delivers outbox rows of the given kinds ('zalo', 'email', …). */
  senders?: (deps: AppDeps) => Record<string, OutboxSender>;
}

/** Delivery of outbox rows from inside a job, for parts whose jobs write messages that should leave at once. */
export interface OutboxDispatch {
  /**
   * Claims these just-written rows for the caller to deliver in this process, without a delivery job
   * (claimOutboxRowsByKey); resolves to the function that delivers them. Each row takes a start from the global rate
   * limit first; rows the limit does not allow now, or that cannot be claimed, are left to the relay. Claim, then
   * relay, then deliver: a message this one must wait for (delivery-order.ts) is then already on its way. Never
   * throws: whatever fails here is the relay's to deliver (a claimed row once its lease has passed).
   */
  claimForDelivery(keys: readonly string[]): Promise<ClaimedDelivery>;
}

export interface ClaimedDelivery {
  deliver(): Promise<void>;
  /** Other outbox rows are due (or not all of these were claimed): the relay has work to hand over. */
  othersDue: boolean;
}

export interface RunningPakn {
  config: Config;
  deps: AppDeps;
  app?: FastifyInstance;
  url?: string;
  close(): Promise<void>;
}

export const TICK_EVERY_MS = 60_000;

/**
 * PostgreSQL connections of a process running jobs. A job holds a connection for each of its transactions, and a
 * commit waits for the WAL flush (5–15 ms on the bench machine's disk), so with the pool's default of 10 the
 * jobs of a burst (50 citizens at once: their event transactions, the outbox hand-over, the deliveries) queued
 * for connections rather than for the server. The server merges the flushes of concurrent commits, so more
 * connections wait for the disk at once for little CPU. A web process keeps the default: its webhook writes in
 * batches (bot/inbound/inbound-intake.ts).
 */
export const WORKER_POOL_SIZE = 32;

function withPoolSizeFor(role: Config['role'], target: DbTarget): DbTarget {
  if (target.kind !== 'pg' || target.poolSize !== undefined || role === 'web') return target;
  return { ...target, poolSize: WORKER_POOL_SIZE };
}

export async function startPakn(options: {
  config: Config;
  parts: ProductPart[];
  clock?: Clock;
  logger?: Logger;
  /** Tests and benchmarks pass false to skip listening on the configured port. */
  listen?: boolean;
}): Promise<RunningPakn> {
  const { config, parts } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const target = withPoolSizeFor(config.role, databaseTargetFor(config));
  const database = await openDatabase(target);
  const baseDeps = { config, database, clock, logger };

  await migrateDatabase(database, target, () =>
    seedAll(database.db, {
      demo: config.mode === 'demo',
      seedDemoCases: async (db) => {
        for (const part of parts) await part.seedDemo?.(db, baseDeps);
      },
    }),
  );
  logger.info({ database: describeTarget(target), mode: config.mode }, 'database ready');

  const jobs = createJobRunner({ logger, clock, redisUrl: config.redisUrl, rateLimit: { max: config.zalo.rateLimitPerMinute, durationMs: 60_000 } });
  const deps: AppDeps = { ...baseDeps, jobs, metrics: createMetrics() };

  const senders: Record<string, OutboxSender> = Object.assign({}, ...parts.map((p) => p.senders?.(deps) ?? {}));
  const sendByKind: OutboxSender = async (row) => {
    const sender = senders[row.kind];
    if (!sender) return { ok: false, retry: false, error: `no sender for outbox kind '${row.kind}'` };
    return sender(row);
  };
  const outboxDispatch: OutboxDispatch = {
    async claimForDelivery(keys) {
      const failed = (err: unknown) => logger.warn({ err }, 'direct delivery failed; the outbox relay delivers instead');
      try {
        const allowed: string[] = [];
        for (const key of keys) {
          if (!(await jobs.takeRateLimitSlot())) break;
          allowed.push(key);
        }
        const { claimed, othersDue } = await claimOutboxRowsByKey(database.db, allowed, clock.now());
        return {
          deliver: () => deliverClaimedOutboxRows(database.db, claimed, sendByKind).then(() => undefined, failed),
          othersDue: othersDue || allowed.length < keys.length,
        };
      } catch (err) {
        failed(err);
        return { deliver: async () => undefined, othersDue: true };
      }
    },
  };
  for (const part of parts) part.jobs?.(jobs, deps, outboxDispatch);
  jobs.register(deliverOutboxJob, async ({ outboxId }) => {
    await deliverOutboxRow(database.db, outboxId, sendByKind, clock.now());
  });

  jobs.register(schedulerTickJob, async () => {
    const now = clock.now();
    await relayOutbox(database.db, jobs, now);
    for (const part of parts) {
      try {
        await part.tick?.(deps, now);
      } catch (err) {
        logger.error({ err, part: part.name }, 'scheduler tick failed for part');
      }
    }
  });

  const runsWorkers = config.role === 'all' || config.role === 'worker';
  const runsWeb = config.role === 'all' || config.role === 'web';
  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (runsWeb) {
    app = await buildApp(deps, parts.flatMap((p) => (p.http ? [p.http] : [])));
    if (options.listen !== false) {
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = config.publicBaseUrl.replace(/:\d+$/, `:${port}`);
    } else {
      await app.ready();
    }
  }

  // Workers last: the scheduler's first tick runs at once and may be heavy (outbox relay, the nightly
  // classifier retrain); started before the HTTP server it held back readiness by seconds.
  if (runsWorkers) {
    try {
      await jobs.start();
      await jobs.schedule('scheduler-tick', TICK_EVERY_MS, schedulerTickJob, {});
    } catch (err) {
      // Nothing may keep listening for a process that failed to start.
      await app?.close();
      await jobs.close();
      await database.close();
      throw err;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    deps,
    app,
    url,
    close: () =>
      (closing ??= (async () => {
        await app?.close();
        await jobs.close();
        await database.close();
      })()),
  };
}
