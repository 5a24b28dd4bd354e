import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRowsPrepared } from '../../runtime/db.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';

/**
 * queryRowsPrepared: a named statement gives the same rows as the plain one, run after run with new parameters,
 * on the pool and inside a transaction, on both drivers; and on a server it is really prepared (the server lists it).
 */

const ECHO = 'pakn_test_echo';
const echo = (values: number[], label: string) =>
  sql`select v::int as value, ${label}::text as label from unnest(${sql.param(values)}::int[]) with ordinality as t(v, ord) order by ord`;

describe.each(DRIVERS)('queryRowsPrepared on %s', (driver) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());

  it('runs one named statement again and again with other parameters', async () => {
    expect(await queryRowsPrepared(database.db, ECHO, echo([1, 2], 'a'))).toEqual([
      { value: 1, label: 'a' },
      { value: 2, label: 'a' },
    ]);
    for (let run = 0; run < 8; run++) {
      expect(await queryRowsPrepared(database.db, ECHO, echo([run, run + 10, run + 20], `run ${run}`))).toEqual([
        { value: run, label: `run ${run}` },
        { value: run + 10, label: `run ${run}` },
        { value: run + 20, label: `run ${run}` },
      ]);
    }
  });

  it('runs inside a transaction, seeing its uncommitted rows', async () => {
    const rows = await database.db.transaction(async (tx) => {
      await tx.execute(sql`create temporary table prepared_probe (n int) on commit drop`);
      await tx.execute(sql`insert into prepared_probe values (7), (8)`);
      return queryRowsPrepared<{ n: number }>(tx, 'pakn_test_probe', sql`select n from prepared_probe where n >= ${6} order by n`);
    });
    expect(rows).toEqual([{ n: 7 }, { n: 8 }]);
  });

  // PGlite has one session and no statement cache to look at.
  if (driver !== 'pg') return;
  it('is prepared on the server connection that ran it', async () => {
    // One connection, so the statement and the catalogue query meet on the same session.
    const names = await database.db.transaction(async (tx) => {
      await queryRowsPrepared(tx, ECHO, echo([3], 'b'));
      return queryRowsPrepared<{ name: string }>(tx, 'pakn_test_list', sql`select name from pg_prepared_statements where name = ${ECHO}`);
    });
    expect(names).toEqual([{ name: ECHO }]);
  });
});
