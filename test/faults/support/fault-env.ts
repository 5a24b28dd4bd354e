import { eq, sql } from 'drizzle-orm';
import { inboundEvents, outbox } from '../../../db/schema.js';
import { systemClock } from '../../../runtime/clock.js';
import { queryRows, type Db } from '../../../runtime/db.js';
import { httpPoster, ZaloUser } from '../../helpers/zalo-user.js';
import { FAKE_ZALO, fakeZaloEnv } from './fake-zalo.js';

/**
 * The configuration every fault test runs PAKN with: production mode (no demo data, real secrets), a real
 * PostgreSQL server, the fake Zalo as the OA's servers. Redis only when the test gives one.
 */
export function productionEnv(options: {
  databaseUrl: string;
  redisUrl?: string;
  port: number;
  dataDir: string;
  fakeZaloUrl: string;
}): Record<string, string> {
  const base = `http://127.0.0.1:${options.port}`;
  return {
    APP_MODE: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(options.port),
    PUBLIC_BASE_URL: base,
    DATA_DIR: options.dataDir,
    DATABASE_URL: options.databaseUrl,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    SESSION_SECRET: 'faults-session-secret-0123456789abcdef0123456789',
    TOKEN_ENCRYPTION_KEY: 'faults-token-encryption-key',
    ...fakeZaloEnv({ url: options.fakeZaloUrl }),
  };
}

/** A citizen on Zalo whose events are signed as Zalo signs them and posted to PAKN's webhook over HTTP. */
export function citizen(webhookBaseUrl: string, userId: string): ZaloUser {
  return new ZaloUser({
    appId: FAKE_ZALO.appId,
    oaId: FAKE_ZALO.oaId,
    oaSecretKey: FAKE_ZALO.oaSecretKey,
    userId,
    clock: systemClock,
    stepMs: 0,
    post: httpPoster(`${webhookBaseUrl}/zalo/webhook`),
  });
}

/** The texts PAKN meant to send a user: every message of every 'zalo' outbox row to them, rows in id order. */
export async function intendedTexts(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ data: outbox.data })
    .from(outbox)
    .where(sql`${outbox.kind} = 'zalo' and ${outbox.recipient}->>'userId' = ${userId}`)
    .orderBy(outbox.id);
  return rows.flatMap((r) => ((r.data as { messages?: Array<{ text?: string }> }).messages ?? []).map((m) => m.text ?? ''));
}

/** The 'zalo' outbox rows of a user with their timings, for failure messages about what went out when. */
export async function describeDeliveries(db: Db, userId: string): Promise<string> {
  const rows = await db
    .select({ id: outbox.id, status: outbox.status, attempts: outbox.attempts, createdAt: outbox.createdAt, claimedAt: outbox.claimedAt, sentAt: outbox.sentAt, error: outbox.lastError })
    .from(outbox)
    .where(sql`${outbox.kind} = 'zalo' and ${outbox.recipient}->>'userId' = ${userId}`)
    .orderBy(outbox.id);
  return JSON.stringify(rows);
}

/** Count of inbound events by status. */
export async function inboundStatusCounts(db: Db): Promise<Record<string, number>> {
  const rows = await queryRows<{ status: string; n: number | string }>(db, sql`select status, count(*) as n from ${inboundEvents} group by status`);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function inboundEventsOf(db: Db, userId: string) {
  return db.select().from(inboundEvents).where(eq(inboundEvents.senderId, userId)).orderBy(inboundEvents.id);
}

/** Awaits `promise` for at most `ms`; a bounded wait on something the test set up to happen. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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
