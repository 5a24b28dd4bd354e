import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken, hashApiToken } from '../../console/api/api-token-auth.js';
import { apiTokens, cases, categories, units } from '../../db/schema.js';
import { registerApi } from '../../console/api/api.part.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { seedOrg, type SeededOrg } from '../helpers/seed-org.js';

const local = (s: string) => new Date(`${s}+07:00`);

describe('GET /api/v1/indicators', () => {
  let t: TestApp;
  let org: SeededOrg;
  let reader: string;
  let writer: string;
  let unitACode: string;
  let unitBCode: string;
  let routedCode: string;

  beforeAll(async () => {
    t = await buildTestApp({ parts: [registerApi], now: '2026-03-02T02:00:00.000Z', driver: 'pg' });
    const db = t.database.db;
    org = await seedOrg(db);
    const code = async (id: number) => (await db.select({ code: units.code }).from(units).where(eq(units.id, id)))[0]!.code;
    unitACode = await code(org.units.a);
    unitBCode = await code(org.units.b);
    routedCode = (await db.select({ code: categories.code }).from(categories).where(eq(categories.id, org.categories.routed)))[0]!.code;

    let n = 0;
    const add = (v: Partial<typeof cases.$inferInsert> & { receivedAt: Date }) =>
      db.insert(cases).values({ code: `PA-2026-${String(++n).padStart(6, '0')}`, channel: 'zalo', description: `Phản ánh ${n}`, ...v });
    const A = { responsibleUnitId: org.units.a, categoryId: org.categories.routed };
    const B = { responsibleUnitId: org.units.b, categoryId: org.categories.unrouted };
    await add({ ...A, receivedAt: local('2026-01-05T09:00'), status: 'closed', answeredAt: local('2026-01-12T10:00'), answeredOnTime: true, rating: 'hai_long' });
    await add({ ...A, receivedAt: local('2026-01-20T09:00'), status: 'answered', answeredAt: local('2026-02-27T10:00'), answeredOnTime: false, rating: 'chua_hai_long' });
    // 00:30 local on 1 February is still 31 January in UTC: it must count in February.
    await add({ ...A, receivedAt: local('2026-02-01T00:30'), status: 'in_progress', answerDueAt: local('2026-02-20T17:30') });
    // Paused while waiting for the citizen: past its date but not counted as overdue.
    await add({ ...A, receivedAt: local('2026-02-10T09:00'), status: 'awaiting_info', answerDueAt: local('2026-02-25T17:30') });
    await add({ ...B, receivedAt: local('2026-02-15T09:00'), status: 'closed', answeredAt: local('2026-02-26T10:00'), answeredOnTime: true, rating: 'chap_nhan' });
    await add({ ...B, receivedAt: local('2026-02-20T09:00'), status: 'refused' });
    await add({ receivedAt: local('2026-03-01T09:00'), status: 'received', answerDueAt: local('2026-03-13T17:30') });
    // Outside the window (31 December local).
    await add({ ...A, receivedAt: local('2025-12-31T23:00'), status: 'closed', answeredOnTime: true, rating: 'hai_long' });

    const mint = async (name: string, scopes: string[]) => {
      const token = generateApiToken();
      await db.insert(apiTokens).values({ name, tokenHash: hashApiToken(token), scopes });
      return token;
    };
    reader = await mint('bang-chi-so', ['indicators:read']);
    writer = await mint('he-thong-bao-cao', ['reports:write']);
  });
  afterAll(async () => t?.close());

  const get = (query: string, token: string | null = reader) =>
    t.app.inject({ method: 'GET', url: `/api/v1/indicators${query}`, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('needs a token with indicators:read', async () => {
    expect((await get('', null)).statusCode).toBe(401);
    const forbidden = await get('', writer);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ error: 'insufficient_scope', message: 'Mã truy cập không có quyền "indicators:read".' });
  });

  it('counts received, handled, on-time, overdue and satisfaction per unit', async () => {
    const res = await get('?from=2026-01-01&to=2026-03-02&groupBy=unit');
    expect(res.statusCode).toBe(200);
    const json = res.json();
    expect(json).toMatchObject({ from: '2026-01-01', to: '2026-03-02', groupBy: 'unit', filters: { unitCode: null, categoryCode: null } });
    expect(json.totals).toEqual({
      received: 7,
      handled: 4,
      answered: 3,
      answeredOnTime: 2,
      onTimeRate: 0.6667,
      overdue: 1,
      rated: 3,
      satisfied: 2,
      satisfactionRate: 0.6667,
    });
    const byKey = Object.fromEntries(json.groups.map((g: { key: string | null }) => [g.key ?? 'none', g]));
    expect(byKey[unitACode]).toEqual({
      key: unitACode,
      label: 'Sở Xây dựng',
      received: 4,
      handled: 2,
      answered: 2,
      answeredOnTime: 1,
      onTimeRate: 0.5,
      overdue: 1,
      rated: 2,
      satisfied: 1,
      satisfactionRate: 0.5,
    });
    expect(byKey[unitBCode]).toMatchObject({ label: 'Sở Y tế', received: 2, handled: 2, answered: 1, onTimeRate: 1, overdue: 0, rated: 1, satisfactionRate: 1 });
    expect(byKey.none).toMatchObject({ label: 'Chưa giao đơn vị', received: 1, handled: 0, onTimeRate: null, satisfactionRate: null });
  });

  it('groups by local month and by category, and filters by unit and category', async () => {
    const months = (await get('?from=2026-01-01&to=2026-03-02&groupBy=month')).json();
    expect(months.groups.map((g: { key: string; received: number }) => `${g.key}:${g.received}`)).toEqual(['2026-01:2', '2026-02:4', '2026-03:1']);

    const byCategory = (await get('?from=2026-01-01&to=2026-03-02&groupBy=category')).json();
    expect(byCategory.groups.find((g: { key: string }) => g.key === routedCode)).toMatchObject({ label: 'Giao thông, đường sá', received: 4 });

    const unitOnly = (await get(`?from=2026-01-01&to=2026-03-02&unitCode=${unitACode}&groupBy=month`)).json();
    expect(unitOnly.totals).toMatchObject({ received: 4, overdue: 1 });
    const categoryOnly = (await get(`?from=2026-02-01&to=2026-02-28&categoryCode=${routedCode}`)).json();
    expect(categoryOnly.totals).toMatchObject({ received: 2, handled: 0 });
    // Defaults: from 1 January of this year to today.
    expect((await get('')).json()).toMatchObject({ from: '2026-01-01', to: '2026-03-02', groupBy: 'unit', totals: { received: 7 } });
  });

  it('400 on bad parameters, 404 on unknown codes', async () => {
    const bad = await get('?groupBy=tuan&from=2026-02-30');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid_input', message: 'Tham số không hợp lệ: from (ngày bắt đầu, YYYY-MM-DD); groupBy (unit, category hoặc month).' });
    expect((await get('?from=2026-03-01&to=2026-02-01')).json()).toMatchObject({ error: 'invalid_input', message: 'Khoảng thời gian không hợp lệ: from phải trước hoặc bằng to.' });
    expect((await get('?unitCode=KHONG')).statusCode).toBe(404);
    expect((await get('?categoryCode=khong-co')).json()).toEqual({ error: 'unknown_category', message: 'Không tìm thấy lĩnh vực với mã này.' });
  });
});
