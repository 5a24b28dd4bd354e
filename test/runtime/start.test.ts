import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { cases, officials, units } from '../../db/schema.js';
import { DEMO_LOGINS, DEMO_WARD_CODE } from '../../db/seeds/seed-demo.js';
import { DEPARTMENTS } from '../../db/seeds/reference-data.js';
import { loadConfig } from '../../runtime/config.js';
import { queryRows, type Db } from '../../runtime/db.js';
import { createLogger } from '../../runtime/logger.js';
import { PRODUCT_PARTS } from '../../runtime/parts.js';
import { startPakn, type RunningPakn } from '../../runtime/start.js';
import { loadWorkingCalendar } from '../../workflows/calendar/calendar.repo.js';
import { createCase } from '../../workflows/cases/case-service.js';
import { createEmptyPgDatabase, freePort, startPrivateRedis, type EmptyPgDatabase, type PrivateRedis } from './support/processes.js';

/**
 * Acceptance of the composition root: a fresh start migrates, seeds and is ready; a restart on the same
 * data keeps everything and seeds nothing twice; two processes starting together on one server database
 * both come up (advisory lock) without duplicate seed rows.
 */

const logger = createLogger({ level: 'silent' });
const running: RunningPakn[] = [];
const tmpDirs: string[] = [];
let pgDatabase: EmptyPgDatabase | undefined;
let redis: PrivateRedis | undefined;

afterAll(async () => {
  await Promise.allSettled(running.map((r) => r.close()));
  await redis?.kill();
  await pgDatabase?.drop();
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

function makeTmpDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pakn-start-'));
  tmpDirs.push(dir);
  return dir;
}

async function start(env: Record<string, string>): Promise<RunningPakn> {
  // The sandbox Zalo is served by the app itself, so it listens on a real port for the outbox to reach it.
  const port = await freePort();
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: String(port), ...env });
  const pakn = await startPakn({ config, parts: PRODUCT_PARTS, logger });
  running.push(pakn);
  return pakn;
}

async function stop(pakn: RunningPakn): Promise<void> {
  await pakn.close();
  running.splice(running.indexOf(pakn), 1);
}

async function readyz(pakn: RunningPakn): Promise<{ status: number; body: { status: string; failed: string[]; checks: Record<string, string> } }> {
  const res = await pakn.app!.inject({ method: 'GET', url: '/readyz' });
  return { status: res.statusCode, body: res.json() };
}

const SEEDED_TABLES = ['units', 'legacy_units', 'categories', 'calendar_days', 'sla_rules', 'routing_rules', 'officials', 'settings'] as const;

/** Row counts of every table the seeds fill, plus the units by level. */
async function seedCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of SEEDED_TABLES) {
    const [row] = await queryRows<{ n: number | string }>(db, sql.raw(`select count(*) as n from ${table}`));
    counts[table] = Number(row?.n);
  }
  const byKind = await queryRows<{ kind: string; n: number | string }>(db, sql`select kind, count(*) as n from units group by kind`);
  const ofKinds = (...kinds: string[]) => byKind.filter((r) => kinds.includes(r.kind)).reduce((sum, r) => sum + Number(r.n), 0);
  counts['units:city'] = ofKinds('city');
  counts['units:departments'] = ofKinds('office', 'department', 'agency');
  counts['units:wards'] = ofKinds('ward', 'commune');
  return counts;
}

function expectReferenceData(counts: Record<string, number>): void {
  expect(counts['units:city']).toBe(1);
  expect(counts['units:departments']).toBe(18);
  expect(DEPARTMENTS).toHaveLength(18);
  expect(counts['units:wards']).toBe(126);
  expect(counts.units).toBe(1 + 18 + 126);
  for (const table of ['categories', 'calendar_days', 'sla_rules', 'routing_rules'] as const) expect(counts[table], table).toBeGreaterThan(0);
}

async function demoLoginCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .select({ login: officials.login, n: sql<number>`count(*)::int` })
    .from(officials)
    .where(
      inArray(
        officials.login,
        DEMO_LOGINS.map((d) => d.login),
      ),
    )
    .groupBy(officials.login);
  return Object.fromEntries(rows.map((r) => [r.login, Number(r.n)]));
}

async function caseCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(cases);
  return Number(row?.n);
}

/** A case registered the way the console does it, through the workflows. */
async function createConsoleCase(pakn: RunningPakn, description: string): Promise<string> {
  const db = pakn.deps.database.db;
  const [ward] = await db.select({ id: units.id }).from(units).where(eq(units.code, DEMO_WARD_CODE));
  const created = await createCase(
    { db, clock: pakn.deps.clock, loadCalendar: () => loadWorkingCalendar(db) },
    { channel: 'console', contact: null, contactKind: 'citizen', categoryId: null, description, areaUnitId: ward!.id },
  );
  return created.case.code;
}

describe('startPakn on embedded PostgreSQL (PGlite under DATA_DIR)', () => {
  it('starts ready on a fresh folder, and a restart keeps the data without seeding twice', async () => {
    const dataDir = makeTmpDir();

    const first = await start({ DATA_DIR: dataDir });
    expect(first.deps.database.kind).toBe('pglite');
    expect(first.deps.jobs.engine).toBe('inline');
    const ready = await readyz(first);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', failed: [], checks: { database: 'ok' } });
    expect((await first.app!.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    const db1 = first.deps.database.db;
    expect(await demoLoginCounts(db1)).toEqual(Object.fromEntries(DEMO_LOGINS.map((d) => [d.login, 1])));
    const countsBefore = await seedCounts(db1);
    expectReferenceData(countsBefore);
    const description = 'Đèn chiếu sáng ngõ 12 phố Huế không sáng ba đêm liền, người đi lại rất nguy hiểm.';
    const code = await createConsoleCase(first, description);
    const casesBefore = await caseCount(db1);
    await stop(first);

    const second = await start({ DATA_DIR: dataDir });
    expect((await readyz(second)).status).toBe(200);
    const db2 = second.deps.database.db;
    const [kept] = await db2.select({ code: cases.code, description: cases.description }).from(cases).where(eq(cases.code, code));
    expect(kept).toEqual({ code, description });
    expect(await caseCount(db2)).toBe(casesBefore);
    expect(await seedCounts(db2)).toEqual(countsBefore);
    expect(await demoLoginCounts(db2)).toEqual(Object.fromEntries(DEMO_LOGINS.map((d) => [d.login, 1])));
    await stop(second);
  }, 90_000);
});

describe('startPakn on PostgreSQL with Redis (APP_MODE=demo)', () => {
  it('two processes starting together on one fresh database both come up, and nothing is seeded twice', async () => {
    pgDatabase = await createEmptyPgDatabase();
    redis = await startPrivateRedis();
    const env = { DATABASE_URL: pgDatabase.url, REDIS_URL: redis.url, APP_MODE: 'demo' };

    const [a, b] = await Promise.all([start({ ...env, DATA_DIR: makeTmpDir() }), start({ ...env, DATA_DIR: makeTmpDir() })]);
    for (const pakn of [a, b]) {
      expect(pakn.deps.database.kind).toBe('pg');
      expect(pakn.deps.jobs.engine).toBe('bullmq');
      const ready = await readyz(pakn);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', failed: [], checks: { database: 'ok', redis: 'ok' } });
    }

    const counts = await seedCounts(a.deps.database.db);
    expectReferenceData(counts);
    expect(await demoLoginCounts(a.deps.database.db)).toEqual(Object.fromEntries(DEMO_LOGINS.map((d) => [d.login, 1])));
    const casesAfterConcurrentStart = await caseCount(a.deps.database.db);
    const code = await createConsoleCase(a, 'Nắp cống trước số 5 phố Tràng Thi bị vỡ, xe máy đi qua rất dễ sa xuống.');
    await Promise.all([stop(a), stop(b)]);

    // A third start on the same database: data kept, seeds identical.
    const c = await start({ ...env, DATA_DIR: makeTmpDir() });
    expect((await readyz(c)).status).toBe(200);
    expect(await seedCounts(c.deps.database.db)).toEqual(counts);
    expect(await caseCount(c.deps.database.db)).toBe(casesAfterConcurrentStart + 1);
    const [kept] = await c.deps.database.db.select({ code: cases.code }).from(cases).where(eq(cases.code, code));
    expect(kept?.code).toBe(code);
    await stop(c);
  }, 90_000);
});
