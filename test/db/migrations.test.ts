import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarDays } from '../../db/schema.js';
import { migrateDatabase, queryRows } from '../../runtime/db.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';

describe.each(DRIVERS)('migrations on %s', (driver) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());

  it('creates every table of the schema', async () => {
    const rows = await queryRows<{ table_name: string }>(
      database.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const names = rows.map((r) => r.table_name);
    for (const table of ['units', 'officials', 'cases', 'case_events', 'inbound_events', 'outbox', 'zalo_tokens', 'report_obligations']) {
      expect(names).toContain(table);
    }
  });

  it('is idempotent: migrating again changes nothing and keeps data', async () => {
    await database.db.insert(calendarDays).values({ day: '2026-01-01', working: false, reason: 'Tết Dương lịch' });
    await migrateDatabase(database, database.target);
    const rows = await database.db.select().from(calendarDays);
    expect(rows).toEqual([{ day: '2026-01-01', working: false, reason: 'Tết Dương lịch', source: null }]);
  });
});
