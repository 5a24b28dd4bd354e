import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../../db/seeds/reference-data.js';
import { categories, classifierModels } from '../../../db/schema.js';
import { loadLatestModel, retrainFromDatabase } from '../../../workflows/classifier/retrain-classifier.js';
import { SEED_EXAMPLES } from '../../../workflows/classifier/seed-examples.js';
import { suggestCategory } from '../../../workflows/classifier/suggest-category.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../../helpers/db.js';

const NOW = new Date('2026-03-10T19:00:00Z');

/** A category the seed set does not know: only the city's own cases can teach it. */
const LIFT_CASES = [
  'Thang máy tòa nhà chung cư bị kẹt giữa tầng 12, người mắc kẹt bên trong nửa tiếng',
  'Thang máy chung cư hỏng cả tuần, người già ở tầng cao không xuống được',
  'thang may toa B chung cu dung hoat dong, ban quan ly khong sua',
  'Thang máy rung lắc mạnh và kêu to, cư dân sợ không dám đi',
  'Chung cư có 2 thang máy thì hỏng cả 2, phải đi bộ lên tầng 20',
  'Cửa thang máy đóng mở liên tục, có lần kẹp vào tay trẻ em',
];

describe.each(DRIVERS)('retrainFromDatabase on %s', (driver) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    const { db } = database;
    await db.insert(categories).values([
      ...CATEGORIES.map((c, i) => ({ code: c.code, name: c.name, sortOrder: i, active: c.code !== 'kinh-doanh' })),
      { code: 'thang-may', name: 'Thang máy chung cư', sortOrder: 99 },
    ]);
    const ids = new Map((await db.select({ id: categories.id, code: categories.code }).from(categories)).map((c) => [c.code, c.id]));
    let n = 0;
    // Raw SQL: db/schema.ts maps cases.updatedAt onto "created_at" too, so drizzle's insert names it twice.
    const insertCase = (description: string, code: string | null, status: 'closed' | 'answered' | 'received') => {
      n += 1;
      return db.execute(sql`insert into cases (code, channel, description, category_id, status, received_at)
        values (${`PA-2026-${String(n).padStart(5, '0')}`}, 'zalo', ${description}, ${code ? (ids.get(code) ?? null) : null},
                ${status}, ${new Date(NOW.getTime() - n * 3_600_000).toISOString()})`);
    };
    for (const [i, text] of LIFT_CASES.entries()) await insertCase(text, 'thang-may', i % 2 === 0 ? 'closed' : 'answered');
    await insertCase('Đèn đường ngõ 7 hỏng đã lâu', 'chieu-sang', 'closed');
    // Not yet answered: its category may still change, so it must not be learned from.
    await insertCase('Thang máy chung cư hỏng', 'khac', 'received');
    await insertCase('Chưa phân loại nhưng đã đóng', null, 'closed');
  });
  afterAll(async () => database?.destroy());

  it('suggests from the seed model while no model is stored', async () => {
    expect(await loadLatestModel(database.db)).toBeNull();
    const suggestions = await suggestCategory(database.db, 'Đèn đường trước nhà tôi hỏng, tối om');
    expect(suggestions[0]?.categoryCode).toBe('chieu-sang');
  });

  it('trains on the seed set plus answered/closed categorised cases, stores the model and returns metrics', async () => {
    const metrics = await retrainFromDatabase(database.db, NOW);
    const activeSeed = SEED_EXAMPLES.filter((e) => e.label !== 'kinh-doanh').length;
    expect(metrics.n_city).toBe(LIFT_CASES.length + 1);
    expect(metrics.n_seed).toBe(activeSeed);
    expect(metrics.n_train + metrics.n_test).toBe(activeSeed + LIFT_CASES.length + 1);
    expect(metrics.top1).toBeGreaterThanOrEqual(0.8);
    expect(metrics.top3).toBeGreaterThanOrEqual(metrics.top1);
    expect(metrics.temperature).toBeGreaterThan(0);

    const rows = await database.db.select().from(classifierModels);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(metrics.model_id);
    expect(rows[0]?.trainedAt.toISOString()).toBe(NOW.toISOString());
    const { model_id: _modelId, ...storedMetrics } = metrics;
    expect(rows[0]?.metrics).toEqual(storedMetrics);
  });

  it('loads the stored model: it knows the city-only category and not the inactive one', async () => {
    const stored = await loadLatestModel(database.db);
    expect(stored).not.toBeNull();
    expect(stored?.model.labels).toContain('thang-may');
    expect(stored?.model.labels).not.toContain('kinh-doanh');
    expect(stored?.model.temperature).toBe(stored?.metrics.temperature);

    const lift = await suggestCategory(database.db, 'Thang máy chung cư nhà tôi lại hỏng, kẹt người bên trong');
    expect(lift[0]?.categoryCode).toBe('thang-may');
    const light = await suggestCategory(database.db, 'den duong hong may hom nay');
    expect(light[0]?.categoryCode).toBe('chieu-sang');
    expect(light.every((s) => s.confidence >= 0 && s.confidence <= 1)).toBe(true);
  });

  it('uses the newest model and keeps only the most recent rows', async () => {
    await database.db.update(categories).set({ active: true }).where(eq(categories.code, 'kinh-doanh'));
    const later = new Date(NOW.getTime() + 86_400_000);
    await retrainFromDatabase(database.db, later, { keepModels: 2 });
    const latest = await retrainFromDatabase(database.db, new Date(later.getTime() + 86_400_000), { keepModels: 2 });
    const rows = await database.db.select({ id: classifierModels.id }).from(classifierModels);
    expect(rows.map((r) => r.id).sort((a, b) => a - b)).toHaveLength(2);
    const stored = await loadLatestModel(database.db);
    expect(stored?.id).toBe(latest.model_id);
    expect(stored?.model.labels).toContain('kinh-doanh');
    const tax = await suggestCategory(database.db, 'Cơ quan thuế ấn định thuế khoán cho hộ kinh doanh quá cao');
    expect(tax[0]?.categoryCode).toBe('kinh-doanh');
  });

  it('ignores a stored row it cannot read, falling back to the seed model', async () => {
    await database.db.insert(classifierModels).values({ trainedAt: new Date(NOW.getTime() + 10 * 86_400_000), model: { kind: 'old' } });
    expect(await loadLatestModel(database.db)).toBeNull();
    const suggestions = await suggestCategory(database.db, 'Mất nước sinh hoạt ba ngày nay');
    expect(suggestions[0]?.categoryCode).toBe('cap-thoat-nuoc');
  });
});
