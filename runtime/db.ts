import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from '../db/schema.js';

export type Schema = typeof schema;
/** One type for both drivers: the code above this line never knows which one it runs on. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything queries can run on: the database or an open transaction. */
export type Queryable = Db | Tx;

export type DbTarget = { kind: 'pglite'; dataDir?: string } | { kind: 'pg'; url: string; poolSize?: number };

export interface Database {
  db: Db;
  kind: DbTarget['kind'];
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));

/** Any stable 64-bit number: the lock that serialises migrations across processes starting together. */
const MIGRATION_LOCK_KEY = 7_210_460_001;

export async function openDatabase(target: DbTarget): Promise<Database> {
  if (target.kind === 'pglite') {
    const releaseLock = target.dataDir ? lockDataDir(target.dataDir) : () => undefined;
    const client = new PGlite(target.dataDir);
    await client.waitReady;
    const db = drizzlePglite({ client, schema }) as unknown as Db;
    return {
      db,
      kind: 'pglite',
      ping: async () => {
        await client.query('select 1');
      },
      close: async () => {
        await client.close();
        releaseLock();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A dropped server connection must not crash the process; the pool reconnects on next use.
  pool.on('error', () => undefined);
  const db = drizzleNodePg({ client: pool, schema }) as unknown as Db;
  return {
    db,
    kind: 'pg',
    ping: async () => {
      const client = await pool.connect();
      try {
        await client.query('select 1');
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Embedded PostgreSQL has one connection and no cross-process locking: a second process opening the
 * same folder would corrupt it. A pid file turns that into a clear error.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dirname(dataDir), `${basename(dataDir)}.lock`);
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (pid && pid !== process.pid && isProcessAlive(pid)) {
      throw new Error(`the embedded database in ${dataDir} is in use by process ${pid}; stop it first or set DATABASE_URL`);
    }
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

/**
 * Applies pending migrations. On a server, an advisory lock makes concurrent starts safe: the first
 * process migrates, the others wait and then find nothing to do.
 */
export async function migrateDatabase(
  database: Database,
  target: DbTarget,
  /** Runs under the same lock right after migrating: seeding, so two starting processes never seed at once. */
  afterMigrate?: () => Promise<void>,
): Promise<void> {
  if (target.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder });
    await afterMigrate?.();
    return;
  }
  const lockClient = new pg.Client({ connectionString: target.url });
  await lockClient.connect();
  try {
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migrateNodePg(database.db as never, { migrationsFolder });
    await afterMigrate?.();
  } finally {
    await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end();
  }
}

export function databaseTargetFor(config: { databaseUrl?: string; dataDir: string }): DbTarget {
  return config.databaseUrl ? { kind: 'pg', url: config.databaseUrl } : { kind: 'pglite', dataDir: join(config.dataDir, 'pglite') };
}

export function describeTarget(target: DbTarget): string {
  if (target.kind === 'pglite') return target.dataDir ? `PGlite (${target.dataDir})` : 'PGlite (in memory)';
  const url = new URL(target.url);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** Rows of a raw SQL statement, on either driver. */
export async function queryRows<T>(q: Queryable, statement: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await q.execute(statement)) as unknown as { rows: T[] };
  return result.rows;
}
