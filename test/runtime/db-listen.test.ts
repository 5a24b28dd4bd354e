import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationListener } from '../../runtime/db.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Database.listen, the cross-process signal under the console's live updates: PostgreSQL and PGlite both
 * deliver a NOTIFY when its transaction commits (savepoints included) and drop it on rollback.
 */

const CHANNEL = 'pakn_test_channel';

describe.each(DRIVERS)('database LISTEN/NOTIFY on %s', (driver) => {
  let database: TestDatabase;
  let listener: NotificationListener;
  const received: string[] = [];

  const notify = (q: Pick<TestDatabase['db'], 'execute'>, payload: string) => q.execute(sql`select pg_notify(${CHANNEL}, ${payload})`);

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    listener = await database.listen(CHANNEL, { onNotify: (payload) => received.push(payload) });
  });
  afterAll(async () => {
    await listener?.close();
    await database?.destroy();
  });

  it('delivers a notification of a committed transaction after the commit, and none of a rolled-back one', async () => {
    const from = received.length;
    await expect(
      database.db.transaction(async (tx) => {
        await notify(tx, 'rolled-back');
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    let seenInside: string[] = [];
    await database.db.transaction(async (tx) => {
      await notify(tx, 'committed');
      // Nested transaction = savepoint, as the bot runs the workflows inside its own transaction.
      await tx.transaction(async (inner) => notify(inner, 'from-savepoint'));
      seenInside = received.slice(from);
    });
    expect(seenInside).toEqual([]);
    await notify(database.db, 'marker');
    await waitFor('the marker notification', () => received.includes('marker'));
    expect(received.slice(from)).toEqual(['committed', 'from-savepoint', 'marker']);
  });

  it('rejects channel names that would need quoting', async () => {
    await expect(database.listen('Robert"); drop table cases; --', { onNotify: () => undefined })).rejects.toThrow('invalid notification channel name');
  });

  it('stops delivering once closed', async () => {
    const other: string[] = [];
    const second = await database.listen(CHANNEL, { onNotify: (p) => other.push(p) });
    await second.close();
    await notify(database.db, 'after-close');
    await waitFor('the first listener to get it', () => received.includes('after-close'));
    expect(other).toEqual([]);
  });
});

describe('database LISTEN on a PostgreSQL server', () => {
  let database: TestDatabase;
  let listener: NotificationListener;
  const received: string[] = [];
  let reconnects = 0;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    listener = await database.listen(CHANNEL, {
      onNotify: (payload) => received.push(payload),
      onReconnect: () => {
        reconnects += 1;
      },
    });
  });
  afterAll(async () => {
    await listener?.close();
    await database?.destroy();
  });

  it('reconnects after losing its server connection and says so, then delivers again', async () => {
    if (database.target.kind !== 'pg') throw new Error('a server database was expected');
    const admin = new pg.Client({ connectionString: database.target.url });
    await admin.connect();
    try {
      const killed = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen ${CHANNEL}%'`,
      );
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await waitFor('the listener to reconnect', () => reconnects === 1);
    await database.db.execute(sql`select pg_notify(${CHANNEL}, 'after-reconnect')`);
    await waitFor('a notification after the reconnect', () => received.includes('after-reconnect'));
  });
});
