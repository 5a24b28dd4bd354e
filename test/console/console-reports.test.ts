import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportingRegimes, reportObligations, units } from '../../db/schema.js';
import { ensureObligations, recordReportPush } from '../../workflows/reports/report-obligations.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type UnitKey, type World } from './console-world.js';
import type { Role } from '../../workflows/cases/actor.js';

/**
 * Báo cáo for officials through HTTP. Two departments report to each other: unit B owes the monthly report
 * received by unit A (units may mark it themselves), unit A owes the quarterly one received by unit B (recorded
 * by the reporting system only). The clock stands at Monday 02/03/2026 09:00: March is due 17/03.
 */

describe.each(DRIVERS)('reports page on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let monthly = 0;
  let quarterly = 0;
  const clients = new Map<string, ConsoleClient>();

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    const [m] = await database.db
      .insert(reportingRegimes)
      .values({
        code: 'bc-thang',
        name: 'Báo cáo tình hình tháng',
        legalBasis: 'Thử nghiệm',
        frequency: 'monthly',
        cutoffRule: { type: 'nd09_2019' },
        deadlineRule: { type: 'working_days_after_cutoff', days: 2 },
        obligedUnitIds: [world.units.b],
        receivingUnitId: world.units.a,
        selfSubmit: true,
      })
      .returning({ id: reportingRegimes.id });
    const [q] = await database.db
      .insert(reportingRegimes)
      .values({
        code: 'bc-quy',
        name: 'Báo cáo công tác quý',
        legalBasis: 'Thử nghiệm',
        frequency: 'quarterly',
        cutoffRule: { type: 'nd09_2019' },
        deadlineRule: { type: 'working_days_after_cutoff', days: 3 },
        obligedUnitIds: [world.units.a],
        receivingUnitId: world.units.b,
        selfSubmit: false,
      })
      .returning({ id: reportingRegimes.id });
    monthly = m!.id;
    quarterly = q!.id;
    await ensureObligations(database.db, world.t.clock.now());
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  async function as(role: Role, unit: UnitKey): Promise<ConsoleClient> {
    const key = `${role}/${unit}`;
    const existing = clients.get(key);
    if (existing) return existing;
    const client = new ConsoleClient(world.t.app);
    const login = await client.login(world.official(role, unit).login, WORLD_PASSWORD);
    expect(login.statusCode).toBe(303);
    clients.set(key, client);
    return client;
  }

  const obligation = async (regimeId: number, unit: UnitKey, periodKey: string) => {
    const [row] = await database.db
      .select()
      .from(reportObligations)
      .where(and(eq(reportObligations.regimeId, regimeId), eq(reportObligations.unitId, world.units[unit]), eq(reportObligations.periodKey, periodKey)));
    return row;
  };

  it("lists the unit's obligations with period, window, deadline and status, and the button only for those who may press it", async () => {
    const handler = await as('handler', 'b');
    const page = await handler.get('/console/reports');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('aria-current="page">Báo cáo</a>');
    expect(page.body).toContain('Báo cáo tình hình tháng');
    expect(page.body).toContain('Tháng 3/2026 — số liệu 15/02/2026 – 14/03/2026');
    expect(page.body).toContain('17:30 17/03/2026');
    expect(page.body).toContain('còn 11 ngày làm việc');
    expect(page.body).toContain('status--report-chua_nop">Chưa nộp</span>');
    expect(page.body).toContain('action="/console/reports/submit"');

    const viewer = await as('viewer', 'b');
    const seen = await viewer.get('/console/reports');
    expect(seen.body).toContain('Báo cáo tình hình tháng');
    expect(seen.body).not.toContain('action="/console/reports/submit"');

    // Unit A's quarterly report is recorded by the reporting system: no button, a sentence instead.
    const leaderA = await as('unit_leader', 'a');
    const own = await leaderA.get('/console/reports');
    expect(own.body).toContain('Báo cáo công tác quý');
    expect(own.body).toContain('Ghi nhận qua Hệ thống thông tin báo cáo của thành phố.');
    expect(own.body).not.toContain('action="/console/reports/submit"');
  });

  it('lets a handler mark the own unit report as sent, once, and refuses the roles and regimes that may not', async () => {
    const handler = await as('handler', 'b');
    const done = await handler.submit('/console/reports', '/console/reports/submit', { regimeId: monthly, periodKey: '2026-03' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/console/reports');
    expect(await obligation(monthly, 'b', '2026-03')).toMatchObject({ status: 'da_nop', submittedBy: 'handler-b' });
    const page = await handler.get('/console/reports');
    expect(page.body).toContain('Đã ghi nhận Báo cáo tình hình tháng – Tháng 3/2026: đã nộp.');
    expect(page.body).toContain('status--report-da_nop">Đã nộp</span>');
    expect(page.body).toContain('Cán bộ handler-b');

    const again = await handler.submit('/console/reports', '/console/reports/submit', { regimeId: monthly, periodKey: '2026-03' });
    expect(again.statusCode).toBe(303);
    expect((await handler.get('/console/reports')).body).toContain('đã được ghi nhận đã nộp từ trước; không có gì thay đổi.');

    for (const role of ['viewer', 'dispatcher', 'admin'] as const) {
      const refused = await (await as(role, 'b')).submit('/console/reports', '/console/reports/submit', { regimeId: monthly, periodKey: '2026-04' });
      expect(refused.statusCode, role).toBe(403);
      expect(refused.body).toContain('Chỉ lãnh đạo đơn vị hoặc chuyên viên xử lý mới đánh dấu báo cáo của đơn vị là đã nộp.');
    }
    expect(await obligation(monthly, 'b', '2026-04')).toMatchObject({ status: 'chua_nop', submittedBy: null });

    // The quarterly regime is recorded by the reporting system only.
    const leaderA = await as('unit_leader', 'a');
    const notSelf = await leaderA.submit('/console/reports', '/console/reports/submit', { regimeId: quarterly, periodKey: '2026-Q1' });
    expect(notSelf.statusCode).toBe(409);
    expect(notSelf.body).toContain('đơn vị không tự đánh dấu đã nộp');
    // Unit B receives it: it has nothing to submit under it.
    const notObliged = await handler.submit('/console/reports', '/console/reports/submit', { regimeId: quarterly, periodKey: '2026-Q1' });
    expect(notObliged.statusCode).toBe(404);
    expect(notObliged.body).toContain('Đơn vị không thuộc diện phải nộp báo cáo này.');

    const badPeriod = await handler.submit('/console/reports', '/console/reports/submit', { regimeId: monthly, periodKey: '2026-13' });
    expect(badPeriod.statusCode).toBe(404);
    expect(badPeriod.body).toContain('Kỳ báo cáo không có trong chế độ báo cáo này.');
    const noPeriod = await handler.submit('/console/reports', '/console/reports/submit', { regimeId: monthly, periodKey: '' });
    expect(noPeriod.statusCode).toBe(400);
    expect(noPeriod.body).toContain('Kỳ báo cáo không hợp lệ.');
    const noRegime = await handler.submit('/console/reports', '/console/reports/submit', { regimeId: 999_999, periodKey: '2026-03' });
    expect(noRegime.statusCode).toBe(404);

    // A forged unit field changes nothing: the unit is always the official's own.
    const forged = await (await as('handler', 'a')).submit('/console/reports', '/console/reports/submit', { regimeId: monthly, periodKey: '2026-04', unitId: world.units.b });
    expect(forged.statusCode).toBe(404);
    expect(await obligation(monthly, 'b', '2026-04')).toMatchObject({ status: 'chua_nop' });

    const noCsrf = await handler.post('/console/reports/submit', { regimeId: monthly, periodKey: '2026-04' });
    expect(noCsrf.statusCode).toBe(403);
    expect(await obligation(monthly, 'b', '2026-04')).toMatchObject({ status: 'chua_nop' });
  });

  it("shows the receiving unit's leader who has and has not submitted, and lets them return a report with a reason", async () => {
    const leaderA = await as('unit_leader', 'a');
    const overview = await leaderA.get('/console/reports');
    expect(overview.body).toContain('Tình hình nộp báo cáo của các đơn vị');
    expect(overview.body).toContain(`href="/console/reports/regimes/${monthly}"`);
    expect(overview.body).not.toContain(`href="/console/reports/regimes/${quarterly}"`);

    const standing = await leaderA.get(`/console/reports/regimes/${monthly}`);
    expect(standing.statusCode).toBe(200);
    expect(standing.body).toContain('Tháng 3/2026 — số liệu 15/02/2026 – 14/03/2026, hạn gửi 17:30 17/03/2026');
    expect(standing.body).toContain('Sở Y tế');
    expect(standing.body).toContain('>1/1</span>');
    expect(standing.body).toContain('<option value="2026-04">Tháng 4/2026</option>');

    const noReason = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/returned`, { unitId: world.units.b, periodKey: '2026-03', reason: '  ' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Vui lòng ghi lý do trả lại báo cáo.');
    expect(await obligation(monthly, 'b', '2026-03')).toMatchObject({ status: 'da_nop' });

    const returned = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/returned`, {
      unitId: world.units.b,
      periodKey: '2026-03',
      reason: 'Thiếu biểu số liệu <kèm theo>',
    });
    expect(returned.statusCode).toBe(303);
    expect(returned.headers.location).toBe(`/console/reports/regimes/${monthly}?period=2026-03`);
    expect(await obligation(monthly, 'b', '2026-03')).toMatchObject({ status: 'tra_lai', note: 'Thiếu biểu số liệu <kèm theo>' });
    const after = await leaderA.get(returned.headers.location as string);
    expect(after.body).toContain('Đã trả lại báo cáo của Sở Y tế (Tháng 3/2026); đơn vị phải nộp lại.');
    expect(after.body).toContain('Lý do trả lại: Thiếu biểu số liệu &lt;kèm theo&gt;');

    // The unit sees why, and may send it again.
    const handler = await as('handler', 'b');
    const mine = await handler.get('/console/reports');
    expect(mine.body).toContain('status--report-tra_lai">Trả lại</span>');
    expect(mine.body).toContain('Lý do trả lại: Thiếu biểu số liệu &lt;kèm theo&gt;');
    expect(mine.body).toContain('action="/console/reports/submit"');

    // Returning what was never submitted is a conflict with what is stored.
    const notSent = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/returned`, { unitId: world.units.b, periodKey: '2026-04', reason: 'Sai' });
    expect(notSent.statusCode).toBe(409);
    expect(notSent.body).toContain('Báo cáo kỳ này chưa được nộp nên không thể trả lại.');
  });

  it('lets the receiving side record a submission received another way, with its document and time', async () => {
    const leaderA = await as('unit_leader', 'a');
    const future = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/submitted`, {
      unitId: world.units.b,
      periodKey: '2026-03',
      submittedAt: '2026-03-05T09:00',
    });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('Thời điểm nhận báo cáo không được sau thời điểm hiện tại.');
    const garbled = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/submitted`, { unitId: world.units.b, periodKey: '2026-03', submittedAt: 'hôm qua' });
    expect(garbled.statusCode).toBe(400);
    expect(garbled.body).toContain('Thời điểm nhận báo cáo không hợp lệ');

    const recorded = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/submitted`, {
      unitId: world.units.b,
      periodKey: '2026-03',
      externalRef: '15/BC-SYT',
      submittedAt: '2026-03-01T16:00',
    });
    expect(recorded.statusCode).toBe(303);
    const row = await obligation(monthly, 'b', '2026-03');
    expect(row).toMatchObject({ status: 'da_nop', externalRef: '15/BC-SYT', submittedBy: 'unit-leader-a' });
    expect(row?.submittedAt?.toISOString()).toBe('2026-03-01T09:00:00.000Z');

    // The receiving unit does not report to itself.
    const self = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/submitted`, { unitId: world.units.a, periodKey: '2026-03' });
    expect(self.statusCode).toBe(404);
    expect(self.body).toContain('Đơn vị không thuộc diện phải nộp báo cáo này.');

    // One concept, one place: the reporting system's push meets the same row and the same rules.
    const [unitB] = await database.db.select({ code: units.code }).from(units).where(eq(units.id, world.units.b));
    const push = await recordReportPush(
      database.db,
      { regimeCode: 'bc-thang', unitCode: unitB!.code, periodKey: '03/2026', status: 'da_nop', at: world.t.clock.now(), by: 'api:he-thong', externalRef: '15/BC-SYT' },
      world.t.clock.now(),
    );
    expect(push).toMatchObject({ ok: true, changed: false, obligation: { status: 'da_nop', submittedBy: 'unit-leader-a' } });
    const conflict = await leaderA.submit(`/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/submitted`, { unitId: world.units.b, periodKey: '2026-03', externalRef: 'KHAC-01' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.body).toContain('Báo cáo kỳ này đã được ghi nhận với một mã văn bản khác.');
  });

  it('keeps the standing pages to the receiving unit leaders and the admins', async () => {
    const expectations: Array<[Role, UnitKey, number]> = [
      ['unit_leader', 'a', 200],
      ['admin', 'a', 200],
      ['admin', 'b', 200],
      ['unit_leader', 'b', 403],
      ['handler', 'a', 403],
      ['dispatcher', 'a', 403],
      ['viewer', 'a', 403],
    ];
    for (const [role, unit, status] of expectations) {
      const client = await as(role, unit);
      const page = await client.get(`/console/reports/regimes/${monthly}`);
      expect(page.statusCode, `${role}/${unit}`).toBe(status);
      if (status === 403) expect(page.body).toContain('Chỉ lãnh đạo đơn vị nhận báo cáo hoặc quản trị hệ thống');
      const post = await client.submit('/console/reports', `/console/reports/regimes/${monthly}/returned`, { unitId: world.units.b, periodKey: '2026-04', reason: 'Thử quyền' });
      // 409 for those allowed: April was never submitted, so it cannot be returned.
      expect(post.statusCode, `${role}/${unit} POST`).toBe(status === 200 ? 409 : 403);
    }
    expect((await (await as('unit_leader', 'a')).get('/console/reports/regimes/999999')).statusCode).toBe(404);
    expect((await (await as('unit_leader', 'a')).get('/console/reports/regimes/abc')).statusCode).toBe(404);
    // The quarterly one is received by unit B: its leader sees it, unit A's does not.
    expect((await (await as('unit_leader', 'b')).get(`/console/reports/regimes/${quarterly}`)).statusCode).toBe(200);
    expect((await (await as('unit_leader', 'a')).get(`/console/reports/regimes/${quarterly}`)).statusCode).toBe(403);
  });
});
