import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, conversations } from '../../db/schema.js';
import { queryRows, rowFromJson, type Queryable } from '../../runtime/db.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';

/**
 * rowFromJson: a row read as `row_to_json(t)` (several tables in one round trip) comes back exactly as the query
 * builder would have returned it: property names, dates as Date, json as objects, nulls as null.
 */

const NOW = new Date('2026-03-02T02:00:00.000Z');

describe.each(DRIVERS)('rowFromJson on %s', (driver) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());

  /** Both readings inside one transaction, under a session time zone other than UTC. */
  async function readBothWays<T>(read: (tx: Queryable) => Promise<{ built: T[]; fromJson: T[] }>): Promise<{ built: T[]; fromJson: T[] }> {
    return database.db.transaction(async (tx) => {
      await tx.execute(sql`set local time zone 'Asia/Ho_Chi_Minh'`);
      return read(tx);
    });
  }

  it('gives back contacts as the query builder reads them', async () => {
    const [full] = await database.db
      .insert(contacts)
      .values({
        kind: 'business',
        zaloUserId: 'zalo-row-json-1',
        displayName: 'Lan 🌸',
        fullName: 'Nguyễn Thị "Lan"',
        phone: '0912345678',
        email: 'lan@example.vn',
        address: 'Số 1, ngõ 12\nHoàn Kiếm',
        companyName: 'Công ty TNHH Hoa Sen',
        taxCode: '0101234567',
        createdAt: NOW,
        updatedAt: new Date(NOW.getTime() + 1_234),
      })
      .returning({ id: contacts.id });
    // Defaults and nulls everywhere else; timestamps with microseconds, which a Date cuts to milliseconds.
    const [sparse] = await database.db.insert(contacts).values({}).returning({ id: contacts.id });
    await database.db.execute(sql`update ${contacts} set created_at = '2026-03-02 09:00:00.123456+07', updated_at = '2026-03-02 09:00:00.999999+07' where id = ${sparse!.id}`);

    const { built, fromJson } = await readBothWays(async (tx) => {
      const built = await tx.select().from(contacts).orderBy(asc(contacts.id));
      const json = await queryRows<{ row: Record<string, unknown> }>(tx, sql`select row_to_json(c) as row from ${contacts} c order by c.id`);
      return { built, fromJson: json.map((r) => rowFromJson(contacts, r.row)) };
    });
    expect(built.map((c) => c.id)).toEqual([full!.id, sparse!.id]);
    expect(fromJson).toEqual(built);
    expect(fromJson[0]).toMatchObject({ kind: 'business', zaloUserId: 'zalo-row-json-1', createdAt: NOW, updatedAt: new Date(NOW.getTime() + 1_234) });
    expect(fromJson[1]).toMatchObject({ kind: 'citizen', zaloUserId: null, phone: null, createdAt: new Date('2026-03-02T02:00:00.123Z') });
    for (const row of fromJson) {
      expect(row.createdAt).toBeInstanceOf(Date);
      expect(row.updatedAt).toBeInstanceOf(Date);
    }
  });

  it('gives back conversations as the query builder reads them, json state included', async () => {
    const state = {
      step: 2,
      draft: { text: 'Đèn đường hỏng', photos: ['https://photo.zdn.vn/pakn/1.jpg'], location: null },
      // Strings that look like other types stay strings.
      at: '2026-03-02T09:00:00+07:00',
      flags: [true, false, 0, '', 'null'],
      nested: { deeper: { list: [{ a: 1 }, { b: [] }] } },
    };
    await database.db.insert(conversations).values([
      { zaloUserId: 'zalo-row-json-1', dialog: 'intake', step: 'describe', state, updatedAt: NOW, expiresAt: new Date(NOW.getTime() + 30 * 60_000) },
      { zaloUserId: 'zalo-row-json-2', updatedAt: NOW },
    ]);

    const { built, fromJson } = await readBothWays(async (tx) => {
      const built = await tx.select().from(conversations).orderBy(asc(conversations.zaloUserId));
      const json = await queryRows<{ row: Record<string, unknown> }>(tx, sql`select row_to_json(v) as row from ${conversations} v order by v.zalo_user_id`);
      return { built, fromJson: json.map((r) => rowFromJson(conversations, r.row)) };
    });
    expect(built).toHaveLength(2);
    expect(fromJson).toEqual(built);
    expect(fromJson[0]).toEqual({
      zaloUserId: 'zalo-row-json-1',
      dialog: 'intake',
      step: 'describe',
      state,
      updatedAt: NOW,
      expiresAt: new Date(NOW.getTime() + 30 * 60_000),
    });
    expect(fromJson[1]).toEqual({ zaloUserId: 'zalo-row-json-2', dialog: null, step: null, state: {}, updatedAt: NOW, expiresAt: null });
  });
});
