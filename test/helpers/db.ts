import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrateDatabase, openDatabase, type Database, type DbTarget } from '../../runtime/db.js';

/** The real server tests run against: DATABASE_URL, else this machine's local PostgreSQL. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Driver = 'pg' | 'pglite';
export const DRIVERS: Driver[] = ['pg', 'pglite'];

export interface TestDatabase extends Database {
  target: DbTarget;
  /** Drops the test's own database (pg) or closes the in-memory one (PGlite). */
  destroy(): Promise<void>;
}

function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh, migrated database owned by one test file: a new database on the real server, or an
 * in-memory PGlite. Nothing is shared between test files, so they may run in parallel.
 */
export async function createTestDatabase(driver: Driver): Promise<TestDatabase> {
  if (driver === 'pglite') {
    const target: DbTarget = { kind: 'pglite' };
    const database = await openDatabase(target);
    await migrateDatabase(database, target);
    return { ...database, target, destroy: () => database.close() };
  }
  const name = `pakn_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const target: DbTarget = { kind: 'pg', url: withDatabaseName(TEST_SERVER_URL, name), poolSize: 10 };
  const database = await openDatabase(target);
  await migrateDatabase(database, target);
  return {
    ...database,
    target,
    destroy: async () => {
      await database.close();
      const dropper = new pg.Client({ connectionString: TEST_SERVER_URL });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
