import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import { countByPeriod, describePeriod, findMedian, groupCaseKpis, summarizeCases, type CaseFact } from '../../workflows/dashboard/case-kpis.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World } from './console-world.js';

const HOUR = 3_600_000;

function decodeAttribute(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x60;/g, '`').replace(/&amp;/g, '&');
}

function readCharts(html: string): Array<{ labels: string[]; datasets: Array<{ label: string; data: number[] }> }> {
  return [...html.matchAll(/data-chart="([^"]*)"/g)].map((m) => JSON.parse(decodeAttribute(m[1] ?? '')));
}

describe('dashboard indicators (pure)', () => {
  const calendar = createWorkingCalendar([]);
  const base: CaseFact = {
    status: 'received',
    categoryId: 1,
    areaUnitId: 10,
    responsibleUnitId: 100,
    receivedAt: new Date('2026-03-02T02:00:00Z'),
    answerDueAt: new Date('2026-03-16T10:30:00Z'),
    answeredAt: null,
    answeredOnTime: null,
    rating: null,
  };

  it('counts late open cases against the on-time rate and takes the median in working days', () => {
    const facts: CaseFact[] = [
      { ...base, status: 'closed', answeredAt: new Date('2026-03-02T04:00:00Z'), answeredOnTime: true, rating: 'hai_long' },
      { ...base, status: 'answered', answeredAt: new Date('2026-03-03T02:00:00Z'), answeredOnTime: false, rating: 'chua_hai_long' },
      { ...base, status: 'in_progress', answerDueAt: new Date('2026-03-05T10:30:00Z') },
      { ...base, status: 'awaiting_info', answerDueAt: new Date('2026-03-05T10:30:00Z') },
    ];
    const k = summarizeCases(facts, calendar, new Date('2026-03-10T02:00:00Z'));
    expect(k).toMatchObject({ total: 4, answered: 2, answeredOnTime: 1, openOverdue: 1, rated: 2, satisfied: 1 });
    expect(k.onTimeRate).toBeCloseTo(1 / 3);
    // 2 working hours and 8 working hours (a whole working day): median 0.625 → 0.6.
    expect(k.medianWorkingDays).toBe(0.6);
    expect(k.byStatus).toMatchObject({ closed: 1, answered: 1, in_progress: 1, awaiting_info: 1, received: 0 });
  });

  it('gives null rates on an empty set and groups by unit, category and ward', () => {
    const empty = summarizeCases([], calendar, new Date());
    expect(empty).toMatchObject({ total: 0, onTimeRate: null, medianWorkingDays: null, satisfactionRate: null });
    const groups = groupCaseKpis([base, { ...base, responsibleUnitId: null }, { ...base, responsibleUnitId: 200 }, base], 'unit', calendar, new Date());
    expect(groups.map((g) => [g.key, g.kpis.total])).toEqual([[100, 2], [200, 1], [null, 1]]);
    expect(findMedian([3, 1, 2, 10])).toBe(2.5);
  });

  it('names ISO weeks and months in Hà Nội time', () => {
    expect(describePeriod(new Date('2026-01-01T01:00:00Z'), 'week')).toBe('2026-W01');
    expect(describePeriod(new Date('2025-12-29T01:00:00Z'), 'week')).toBe('2026-W01');
    expect(describePeriod(new Date('2027-01-01T01:00:00Z'), 'week')).toBe('2026-W53');
    // 23:30 UTC on 31 March is already 1 April in Hà Nội.
    expect(describePeriod(new Date('2026-03-31T17:30:00Z'), 'month')).toBe('2026-04');
    const points = countByPeriod(
      [
        { ...base, answeredAt: new Date('2026-04-02T02:00:00Z'), answeredOnTime: false },
        { ...base, receivedAt: new Date('2026-04-01T02:00:00Z') },
      ],
      'month',
    );
    expect(points).toEqual([
      { period: '2026-03', received: 1, answered: 0, answeredOnTime: 0 },
      { period: '2026-04', received: 1, answered: 1, answeredOnTime: 0 },
    ]);
  });
});

describe.each(DRIVERS)('dashboard page on %s', (driver) => {
  let database: TestDatabase;
  let world: World;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    const admin = world.official('admin', 'a').actor;
    // Monday 2 March 2026, 09:00 in Hà Nội.
    const a1 = await world.createCaseFor('a');
    const a2 = await world.createCaseFor('a');
    const b1 = await world.createCaseFor('b', { areaUnitId: world.units.otherWard });
    await world.createCaseFor('b');
    world.t.clock.advance(2 * HOUR); // 11:00: 2 working hours
    await world.answerCase(a1.id, 'a');
    await world.run(a1.id, admin, { type: 'rate', rating: 'hai_long' });
    world.t.clock.advance(22 * HOUR); // Tuesday 09:00: one working day
    await world.answerCase(b1.id, 'b');
    await world.run(b1.id, admin, { type: 'rate', rating: 'chua_hai_long' });
    world.t.clock.set('2026-03-09T02:00:00Z'); // next Monday 09:00: five working days
    await world.answerCase(a2.id, 'a');
    await world.run(a2.id, admin, { type: 'rate', rating: 'chap_nhan' });
    // Long after every due date: the unanswered case of unit B is overdue.
    world.t.clock.set('2026-05-04T02:00:00Z');
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  async function dashboardAs(role: 'dispatcher' | 'handler', unit: 'a' | 'b', query = '') {
    const client = new ConsoleClient(world.t.app);
    await client.login(world.official(role, unit).login, WORLD_PASSWORD);
    const res = await client.get(`/console/dashboard${query}`);
    expect(res.statusCode).toBe(200);
    return res.body;
  }

  it('shows the city-wide numbers to a dispatcher', async () => {
    const html = await dashboardAs('dispatcher', 'a');
    expect(html).toContain('Toàn thành phố');
    expect(html).toMatch(/Tổng số hồ sơ tiếp nhận<\/span>\s*<span class="kpi-value">4</);
    // 3 answered on time ÷ (3 answered + 1 open overdue)
    expect(html).toMatch(/Tỷ lệ trả lời đúng hạn<\/span>\s*<span class="kpi-value">75 %</);
    expect(html).toContain('3 đúng hạn / (3 đã trả lời + 1 đang quá hạn)');
    // 0.25, 1 and 5 working days
    expect(html).toMatch(/Thời gian xử lý \(trung vị\)<\/span>\s*<span class="kpi-value">1 ngày làm việc</);
    expect(html).toMatch(/Mức độ hài lòng<\/span>\s*<span class="kpi-value">66,7 %</);
    expect(html).toContain('data-status="closed">2<');
    expect(html).toContain('data-status="in_progress">1<');
    expect(html).toContain('data-status="assigned">1<');
    expect(html).toContain(world.unitNames.a);
    expect(html).toContain(world.unitNames.b);
    expect(html).toContain('<th scope="row">Phường Ba Đình</th>');

    const charts = readCharts(html);
    expect(charts.length).toBeGreaterThanOrEqual(5);
    const status = charts[0]!;
    expect(status.labels).toContain('Hoàn thành');
    expect(status.datasets[0]!.data.reduce((a, b) => a + b, 0)).toBe(4);
    const periods = charts[1]!;
    expect(periods.labels).toEqual(['2026-03']);
    expect(periods.datasets.map((d) => d.data)).toEqual([[4], [3], [3]]);
    expect(html).toContain('src="/console/assets/vendor/chart.umd.js"');
    expect(html).toContain('src="/console/assets/dashboard.js"');
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
  });

  it("limits a handler to their unit's cases, whatever unit they ask for", async () => {
    const html = await dashboardAs('handler', 'a', `?unitId=${world.units.b}`);
    expect(html).not.toContain('Toàn thành phố');
    expect(html).toMatch(/Tổng số hồ sơ tiếp nhận<\/span>\s*<span class="kpi-value">2</);
    expect(html).toMatch(/Tỷ lệ trả lời đúng hạn<\/span>\s*<span class="kpi-value">100 %</);
    // median of 0.25 and 5 working days
    expect(html).toMatch(/<span class="kpi-value">2,6 ngày làm việc</);
    expect(html).not.toContain(world.unitNames.b);
    expect(html).not.toContain('<th scope="row">Phường Ba Đình</th>');
  });

  it('narrows by unit for a dispatcher and by weeks on request', async () => {
    const html = await dashboardAs('dispatcher', 'b', `?unitId=${world.units.b}&granularity=week&from=2026-03-01&to=2026-03-31`);
    expect(html).toMatch(/Tổng số hồ sơ tiếp nhận<\/span>\s*<span class="kpi-value">2</);
    expect(html).toMatch(/Tỷ lệ trả lời đúng hạn<\/span>\s*<span class="kpi-value">50 %</);
    const periods = readCharts(html)[1]!;
    expect(periods.labels).toEqual(['2026-W10']);
    const empty = await dashboardAs('dispatcher', 'b', '?from=2025-01-01&to=2025-12-31');
    expect(empty).toMatch(/Tổng số hồ sơ tiếp nhận<\/span>\s*<span class="kpi-value">0</);
    const invalid = new ConsoleClient(world.t.app);
    await invalid.login(world.official('dispatcher', 'a').login, WORLD_PASSWORD);
    const bad = await invalid.get('/console/dashboard?from=hom-qua');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Điều kiện lọc không hợp lệ');
  });

  it('serves chart.js from the app, not a CDN', async () => {
    const res = await world.t.app.inject({ method: 'GET', url: '/console/assets/vendor/chart.umd.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.body).toContain('Chart');
  });
});
