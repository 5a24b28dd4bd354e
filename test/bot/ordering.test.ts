import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botPart } from '../../bot/bot.part.js';
import { inboundEvents, messages, outbox } from '../../db/schema.js';
import { buildApp, type AppDeps } from '../../runtime/app.js';
import type { Clock } from '../../runtime/clock.js';
import { loadConfig } from '../../runtime/config.js';
import { BULLMQ_QUEUE_NAMES, createBullmqRunner } from '../../runtime/jobs/bullmq-runner.js';
import type { JobRunner } from '../../runtime/jobs/job.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import { deliverOutboxJob } from '../../runtime/outbox/outbox.js';
import { APP_ID, OA_ID, OA_SECRET_KEY } from '../fixtures/zalo-payloads.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait-for.js';
import { ZaloUser } from '../helpers/zalo-user.js';

/**
 * One user's messages are handled in the order they arrived even when BullMQ hands their jobs to
 * several workers at once (per-user advisory lock + "all pending events of the sender, oldest first").
 */

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = 20;

/** Every reading is a millisecond later than the one before: processed_at shows the processing order. */
function steppingClock(start: string): Clock {
  let at = new Date(start).getTime();
  return { now: () => new Date((at += 1)) };
}

describe('ordering of one user’s events under concurrent BullMQ workers (pg)', () => {
  const prefix = `t-${randomUUID()}`;
  let database: TestDatabase;
  let jobs: JobRunner;
  let app: FastifyInstance;
  let clock: Clock;
  /** Handler runs of `zalo.event` in flight right now, and the most seen at once. */
  const inFlight = { now: 0, max: 0 };

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    clock = steppingClock('2026-03-02T09:00:00+07:00');
    const logger = createLogger({ level: 'silent' });
    const config = loadConfig({ LOG_LEVEL: 'silent', ZALO_APP_ID: APP_ID, ZALO_OA_SECRET_KEY: OA_SECRET_KEY, ZALO_OA_ID: OA_ID, REDIS_URL });
    jobs = createBullmqRunner({ logger, clock, redisUrl: REDIS_URL, prefix, concurrency: 8 });
    const deps: AppDeps = { config, database, clock, logger, jobs, metrics: createMetrics() };
    // Count how many event jobs run at the same time, to show the workers really overlap.
    const counting: JobRunner = {
      ...jobs,
      register: (def, handler) =>
        jobs.register(def, async (payload, ctx) => {
          inFlight.now += 1;
          inFlight.max = Math.max(inFlight.max, inFlight.now);
          try {
            await handler(payload, ctx);
          } finally {
            inFlight.now -= 1;
          }
        }),
    };
    botPart.jobs!(counting, deps);
    jobs.register(deliverOutboxJob, async () => undefined);
    app = await buildApp(deps, [botPart.http!]);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await jobs?.close();
    await database?.destroy();
    const redis = new Redis(REDIS_URL);
    try {
      for (const name of Object.values(BULLMQ_QUEUE_NAMES)) {
        const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix });
        await queue.obliterate({ force: true });
        await queue.close();
      }
      const leftovers = await redis.keys(`${prefix}:*`);
      if (leftovers.length > 0) await redis.del(...leftovers);
    } finally {
      redis.disconnect();
    }
  });

  function newUser(userId: string): ZaloUser {
    return new ZaloUser({
      appId: APP_ID,
      oaSecretKey: OA_SECRET_KEY,
      oaId: OA_ID,
      userId,
      clock,
      stepMs: 0,
      post: async ({ rawBody, signature }) => {
        const res = await app.inject({ method: 'POST', url: '/zalo/webhook', headers: { 'content-type': 'application/json', 'x-zevent-signature': signature }, payload: rawBody });
        return { status: res.statusCode, body: res.body };
      },
    });
  }

  const texts = (round: string) => Array.from({ length: EVENTS }, (_, i) => `${round} tin ${String(i + 1).padStart(2, '0')}`);

  async function waitUntilHandled(userId: string) {
    return waitFor(
      `${EVENTS} events of ${userId} handled`,
      async () => {
        const rows = await database.db.select().from(inboundEvents).where(eq(inboundEvents.senderId, userId)).orderBy(asc(inboundEvents.id));
        return rows.length === EVENTS && rows.every((r) => r.status === 'done') ? rows : undefined;
      },
      { timeoutMs: 20_000 },
    );
  }

  async function expectHandledInOrder(userId: string, sent: string[]) {
    const events = await waitUntilHandled(userId);
    // Processed oldest first: ordering by processing time gives the arrival (id) order.
    const byProcessing = [...events].sort((a, b) => a.processedAt!.getTime() - b.processedAt!.getTime());
    expect(byProcessing.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(new Set(events.map((e) => e.processedAt!.getTime())).size).toBe(EVENTS);
    expect(events.every((e) => e.attempts === 1)).toBe(true);
    // The messages the conversation recorded are in the order the user sent them.
    const incoming = await database.db
      .select({ text: messages.text })
      .from(messages)
      .where(and(eq(messages.zaloUserId, userId), eq(messages.direction, 'in')))
      .orderBy(asc(messages.id));
    expect(incoming.map((m) => m.text)).toEqual(sent);
    // One answer per message, none twice.
    const replies = await database.db.select({ key: outbox.key }).from(outbox).where(sql`${outbox.recipient}->>'userId' = ${userId}`);
    expect(replies.map((r) => r.key).sort()).toEqual(events.map((e) => `reply:${e.id}`).sort());
  }

  it('handles 20 events enqueued at once, in order, while 8 workers pick their jobs', async () => {
    const user = newUser('246845883529100001');
    const sent = texts('A');
    // Stored and enqueued while no worker runs, so all 20 jobs are there to be taken at once.
    for (const text of sent) expect((await user.text(text)).status).toBe(200);
    expect(await database.db.select().from(inboundEvents).where(and(eq(inboundEvents.senderId, user.userId), eq(inboundEvents.status, 'pending')))).toHaveLength(EVENTS);
    await jobs.start();
    await expectHandledInOrder(user.userId, sent);
    expect(inFlight.max).toBeGreaterThan(1);
  });

  it('keeps the order when events keep arriving while the workers are busy with earlier ones', async () => {
    const a = newUser('246845883529100002');
    const b = newUser('246845883529100003');
    const sentA = texts('B');
    const sentB = texts('C');
    // Two users typing at the same time: each user's events arrive in order, interleaved with the other's.
    await Promise.all([
      (async () => {
        for (const text of sentA) expect((await a.text(text)).status).toBe(200);
      })(),
      (async () => {
        for (const text of sentB) expect((await b.text(text)).status).toBe(200);
      })(),
    ]);
    await expectHandledInOrder(a.userId, sentA);
    await expectHandledInOrder(b.userId, sentB);
    const failed = await database.db.select().from(inboundEvents).where(inArray(inboundEvents.status, ['failed', 'pending']));
    expect(failed).toEqual([]);
  });
});
