import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Db } from '../../../runtime/db.js';
import { findDuplicateCandidates } from '../../../workflows/duplicates/find-duplicate-candidates.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../../helpers/db.js';

const NOW = new Date('2026-04-15T03:00:00Z');
const DAY_MS = 86_400_000;
const HOAN_KIEM = 70;
const CUA_NAM = 82;
const SOC_SON = 4_000;
const HANG_BONG = { latitude: 21.0302, longitude: 105.8478 };
const REPORT = 'Đèn đường ngõ 20 phố Hàng Bông hỏng hơn một tuần, buổi tối tối om, phụ nữ đi làm về rất sợ.';

interface CaseRow {
  code: string;
  description: string;
  areaUnitId?: number | null;
  latitude?: number | null;
  longitude?: number | null;
  daysAgo?: number;
  status?: string;
  mergedIntoId?: number | null;
}

/** Raw SQL: db/schema.ts maps cases.updatedAt onto "created_at" too, so drizzle's insert names it twice. */
async function insertCase(db: Db, row: CaseRow): Promise<number> {
  const [inserted] = await queryRows<{ id: string | number }>(
    db,
    sql`insert into cases (code, channel, description, area_unit_id, latitude, longitude, received_at, status, merged_into_id)
        values (${row.code}, 'zalo', ${row.description}, ${row.areaUnitId ?? null}, ${row.latitude ?? null}, ${row.longitude ?? null},
                ${new Date(NOW.getTime() - (row.daysAgo ?? 1) * DAY_MS).toISOString()}, ${row.status ?? 'received'}, ${row.mergedIntoId ?? null})
        returning id`,
  );
  return Number(inserted?.id);
}

describe.each(DRIVERS)('findDuplicateCandidates on %s', (driver) => {
  let database: TestDatabase;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    const add = async (row: CaseRow) => {
      ids[row.code] = await insertCase(database.db, row);
    };
    await add({ code: 'SUBJECT', description: REPORT, areaUnitId: HOAN_KIEM, ...HANG_BONG, daysAgo: 0 });
    await add({ code: 'SAME-WARD', description: 'Đèn đường ngõ 20 Hàng Bông hỏng cả tuần nay, tối om, đề nghị thay bóng', areaUnitId: HOAN_KIEM, daysAgo: 3 });
    await add({ code: 'ACCENTLESS', description: 'den duong ngo 20 pho Hang Bong hong hon 1 tuan roi, toi om, phu nu di lam ve so lam', areaUnitId: HOAN_KIEM, daysAgo: 2 });
    await add({ code: 'FAR-WARD', description: REPORT, areaUnitId: SOC_SON, latitude: 21.2563, longitude: 105.8487, daysAgo: 1 });
    await add({ code: 'FAR-NO-COORDS', description: REPORT, areaUnitId: SOC_SON, daysAgo: 1 });
    // 300 m north, across the ward boundary.
    await add({ code: 'NEXT-WARD-NEAR', description: REPORT, areaUnitId: CUA_NAM, latitude: HANG_BONG.latitude + 0.0027, longitude: HANG_BONG.longitude, daysAgo: 4 });
    // ~2.2 km south-west: outside the default 1000 m, inside 3000 m.
    await add({ code: 'NEXT-WARD-FAR', description: REPORT, areaUnitId: CUA_NAM, latitude: HANG_BONG.latitude - 0.014, longitude: HANG_BONG.longitude - 0.015, daysAgo: 4 });
    await add({ code: 'OLD', description: REPORT, areaUnitId: HOAN_KIEM, daysAgo: 45 });
    await add({ code: 'CLOSED', description: REPORT, areaUnitId: HOAN_KIEM, status: 'closed' });
    await add({ code: 'REFUSED', description: REPORT, areaUnitId: HOAN_KIEM, status: 'refused' });
    await add({ code: 'MERGED', description: REPORT, areaUnitId: HOAN_KIEM, status: 'merged', mergedIntoId: 1 });
    await add({ code: 'ANSWERED', description: REPORT, areaUnitId: HOAN_KIEM, status: 'answered', daysAgo: 10 });
    await add({ code: 'OTHER-ISSUE', description: 'Rác thải ở đầu ngõ 20 phố Hàng Bông tồn đọng ba ngày không ai thu gom, bốc mùi hôi.', areaUnitId: HOAN_KIEM });
    await add({ code: 'NO-PLACE', description: REPORT, daysAgo: 1 });
  });
  afterAll(async () => database?.destroy());

  const codesOf = (candidates: Array<{ code: string }>) => candidates.map((c) => c.code).sort();

  it('finds near-identical and accent-less copies in the same ward, and a copy just across the ward boundary', async () => {
    const found = await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW });
    expect(codesOf(found)).toEqual(['ACCENTLESS', 'ANSWERED', 'NEXT-WARD-NEAR', 'SAME-WARD']);
    const near = found.find((c) => c.code === 'NEXT-WARD-NEAR');
    expect(near?.sameArea).toBe(false);
    expect(near?.distanceMetres).toBeGreaterThan(250);
    expect(near?.distanceMetres).toBeLessThan(350);
    const sameWard = found.find((c) => c.code === 'SAME-WARD');
    expect(sameWard).toMatchObject({ caseId: ids['SAME-WARD'], sameArea: true });
    expect(sameWard?.distanceMetres).toBeUndefined();
  });

  it('sorts best first and honours the limit', async () => {
    const found = await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW });
    const scores = found.map((c) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // Two copies score 1; between equal scores, a measured short distance ranks before an unknown one.
    expect(found.slice(0, 2).map((c) => [c.code, c.score])).toEqual([
      ['NEXT-WARD-NEAR', 1],
      ['ANSWERED', 1],
    ]);
    expect(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW, limit: 2 })).toHaveLength(2);
  });

  it('does not find the same text in a far ward, unless the radius covers it', async () => {
    const found = codesOf(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW }));
    expect(found).not.toContain('FAR-WARD');
    expect(found).not.toContain('FAR-NO-COORDS');
    expect(found).not.toContain('NEXT-WARD-FAR');
    const wide = codesOf(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW, radiusMetres: 3_000 }));
    expect(wide).toContain('NEXT-WARD-FAR');
    expect(wide).not.toContain('FAR-WARD');
  });

  it('excludes cases older than the window, unless the window is widened', async () => {
    expect(codesOf(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW }))).not.toContain('OLD');
    expect(codesOf(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW, days: 60 }))).toContain('OLD');
    expect(codesOf(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW, days: 5 }))).not.toContain('ANSWERED');
  });

  it('excludes closed, refused and merged cases, the case itself, and other issues at the same address', async () => {
    const found = codesOf(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW, minScore: 0 }));
    for (const code of ['CLOSED', 'REFUSED', 'MERGED', 'SUBJECT', 'NO-PLACE']) expect(found).not.toContain(code);
    expect(found).toContain('OTHER-ISSUE');
    expect(codesOf(await findDuplicateCandidates(database.db, ids.SUBJECT ?? 0, { now: NOW }))).not.toContain('OTHER-ISSUE');
  });

  it('returns nothing for a case without a place or an unknown case', async () => {
    expect(await findDuplicateCandidates(database.db, ids['NO-PLACE'] ?? 0, { now: NOW })).toEqual([]);
    expect(await findDuplicateCandidates(database.db, 987_654, { now: NOW })).toEqual([]);
  });
});
