import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTableColumns, type sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { PgDialect, type PgDatabase, type PgQueryResultHKT, type PgTable } from 'drizzle-orm/pg-core';
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
  /**
   * LISTEN on a channel: `onNotify` gets the payload of every NOTIFY committed on it (a NOTIFY inside a
   * transaction is delivered at commit, never on rollback). On a server the listener holds a connection of its
   * own and reconnects after losing it; notifications sent meanwhile are lost, so `onReconnect` tells the caller
   * to resynchronise. Resolves once the LISTEN is in place.
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<NotificationListener>;
  close(): Promise<void>;
}

export interface NotificationHandlers {
  onNotify(payload: string): void;
  /** The server connection was lost and is listening again; anything sent in between was missed. */
  onReconnect?(): void;
  /** The server connection failed; a reconnect follows. */
  onError?(err: unknown): void;
}

export interface NotificationListener {
  close(): Promise<void>;
}

/** Channel names are identifiers we choose; anything else would need quoting rules we do not want. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function assertChannelName(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) throw new Error(`invalid notification channel name: ${channel}`);
}

export const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));

/** Any stable 64-bit number: the lock that serialises migrations across processes starting together. */
const MIGRATION_LOCK_KEY = 7_210_460_001;

export async function openDatabase(target: DbTarget): Promise<Database> {
  if (target.kind === 'pglite') {
    // Loaded only here: a process on a PostgreSQL server never needs the embedded engine, and loading it (through
    // tsx) cost a web process ~40 MB of RSS.
    const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([import('@electric-sql/pglite'), import('drizzle-orm/pglite')]);
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
      // One embedded connection: LISTEN and NOTIFY share it, and PGlite delivers a transaction's
      // notifications when its COMMIT runs.
      listen: async (channel, handlers) => {
        assertChannelName(channel);
        const unsubscribe = await client.listen(channel, (payload) => handlers.onNotify(payload));
        return { close: () => unsubscribe() };
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
  // The pool listens only to idle clients. A checked-out one (a transaction between two statements, e.g. the
  // outbox relay handing rows to the queue) that loses its server would emit an unhandled 'error' and kill the
  // process; its next statement fails instead, and the pool drops the broken client when it comes back.
  pool.on('connect', (client) => client.on('error', () => undefined));
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
    listen: (channel, handlers) => listenOnServer(target.url, channel, handlers),
    close: () => pool.end(),
  };
}

const LISTEN_RETRY_MIN_MS = 500;
const LISTEN_RETRY_MAX_MS = 30_000;

/**
 * A dedicated connection (not from the pool: a pooled client would be handed to queries and lose its LISTEN),
 * reconnected with a growing delay after an error or a server restart. The first connection must succeed, so a
 * caller learns at once that the database is unreachable.
 */
async function listenOnServer(url: string, channel: string, handlers: NotificationHandlers): Promise<NotificationListener> {
  assertChannelName(channel);
  let client: pg.Client | null = null;
  let closed = false;
  let retryMs = LISTEN_RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<pg.Client> => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    next.on('notification', (msg) => {
      if (msg.channel === channel) handlers.onNotify(msg.payload ?? '');
    });
    // 'error' is followed by 'end'; both lead to one reconnect.
    next.on('error', (err) => handlers.onError?.(err));
    next.on('end', () => {
      if (client === next) {
        client = null;
        scheduleReconnect();
      }
    });
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
    } catch (err) {
      await next.end().catch(() => undefined);
      throw err;
    }
    return next;
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (closed) return;
      connect().then(
        (next) => {
          if (closed) {
            void next.end().catch(() => undefined);
            return;
          }
          client = next;
          retryMs = LISTEN_RETRY_MIN_MS;
          handlers.onReconnect?.();
        },
        (err: unknown) => {
          handlers.onError?.(err);
          retryMs = Math.min(retryMs * 2, LISTEN_RETRY_MAX_MS);
          scheduleReconnect();
        },
      );
    }, retryMs);
    retryTimer.unref();
  };

  client = await connect();
  return {
    close: async () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
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
    const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
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

/** Compiles statements for queryRowsPrepared; raw SQL needs no casing or schema configuration. */
const statementDialect = new PgDialect();

/**
 * queryRows for a statement run many times a second whose text never changes (only its parameters do): on a
 * PostgreSQL server it is prepared under `name` once per connection, so later runs skip the server's parse and
 * plan (the webhook's batched INSERT: ~13% of PostgreSQL's CPU under load). PGlite runs it as queryRows does.
 * One name, one text: node-postgres refuses a name reused for another text on the same connection.
 */
export async function queryRowsPrepared<T>(q: Queryable, name: string, statement: ReturnType<typeof sql>): Promise<T[]> {
  const prepared = q._.session.prepareQuery(statementDialect.sqlToQuery(statement), undefined, name, false);
  const result = (await prepared.execute()) as { rows: T[] };
  return result.rows;
}

/**
 * A table's row from its `row_to_json` (column names as keys, values as JSON): how a statement that reads several
 * tables in one round trip hands back whole rows, typed and decoded as the query builder would have (dates, json).
 */
export function rowFromJson<T extends PgTable>(table: T, json: Record<string, unknown>): T['$inferSelect'] {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T['$inferSelect'];
}
