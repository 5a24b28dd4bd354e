import { and, asc, eq, like } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { outbox, reportingRegimes, reportObligations, units } from '../../db/schema.js';
import { ensureObligations, recordReportPush } from '../../workflows/reports/report-obligations.js';
import { sweepReportReminders } from '../../workflows/reports/report-reminders.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient, readCsrfToken } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type UnitKey, type World } from './console-world.js';
import type { Role } from '../../workflows/cases/actor.js';

/**
 * Báo cáo for officials through HTTP. Two departments report to each other: unit B owes the monthly report
 * received by unit A (units may mark it themselves), unit A owes the quarterly one received by unit B (recorded
 * by the reporting system only). The clock stands at Monday 02/03/2026 09:00: March is due 17/03. Unit A also
 * receives an ad hoc regime (mưa lũ) that unit B and the two wards may be asked for.
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

  /** Posts a form with repeated fields (the units of a request), with the page's CSRF token. */
  async function postPairs(client: ConsoleClient, pageUrl: string, url: string, pairs: Array<[string, string]>): Promise<LightMyRequestResponse> {
    const page = await client.get(pageUrl);
    const body = new URLSearchParams([['_csrf', readCsrfToken(page.body)], ...pairs]);
    return world.t.app.inject({
      method: 'POST',
      url,
      headers: { cookie: `${CONSOLE_COOKIE_NAME}=${client.cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: body.toString(),
    });
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

  describe('ad hoc (đột xuất) requests', () => {
    let adHoc = 0;
    const requestUrl = () => `/console/reports/regimes/${adHoc}/requests`;
    const regimePage = () => `/console/reports/regimes/${adHoc}`;
    const rowsOf = (regimeId: number) =>
      database.db
        .select()
        .from(reportObligations)
        .where(eq(reportObligations.regimeId, regimeId))
        .orderBy(asc(reportObligations.periodKey), asc(reportObligations.unitId));
    const request = (fields: Record<string, string>, unitIds: number[] = []): Array<[string, string]> => [
      ...Object.entries({
        periodKey: 'mua-lu-2026-03',
        start: '2026-02-27',
        end: '2026-03-02',
        dueDay: '2026-03-05',
        note: 'Số hộ bị ngập <và> thiệt hại ban đầu',
        recipients: unitIds.length > 0 ? 'chosen' : 'all',
        ...fields,
      }),
      ...unitIds.map((id): [string, string] => ['unitIds', String(id)]),
    ];

    beforeAll(async () => {
      const [row] = await database.db
        .insert(reportingRegimes)
        .values({
          code: 'dot-xuat-mua-lu',
          name: 'Báo cáo đột xuất mưa lũ',
          legalBasis: 'NĐ 09/2019/NĐ-CP Điều 4',
          frequency: 'ad_hoc',
          deadlineRule: { type: 'working_days_after_cutoff', days: 1 },
          obligedUnitIds: [world.units.b, world.units.ward, world.units.otherWard],
          receivingUnitId: world.units.a,
          selfSubmit: true,
        })
        .returning({ id: reportingRegimes.id });
      adHoc = row!.id;
    });

    it('lets the receiving unit leader ask chosen units; they see it, are reminded of it and send it like any report', async () => {
      const leaderA = await as('unit_leader', 'a');
      const overview = await leaderA.get('/console/reports');
      expect(overview.body).toContain(`href="/console/reports/regimes/${adHoc}#yeu-cau"`);
      const form = await leaderA.get(regimePage());
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain('<h2 id="adhoc-heading">Yêu cầu báo cáo đột xuất</h2>');
      expect(form.body).toContain(`action="/console/reports/regimes/${adHoc}/requests"`);
      expect(form.body).toContain('Mọi đơn vị phải nộp theo chế độ báo cáo (3 đơn vị)');
      expect(form.body).toContain(`<input type="checkbox" name="unitIds" value="${world.units.ward}"> Phường Hoàn Kiếm`);
      expect(form.body).not.toContain(`name="unitIds" value="${world.units.a}"`);

      const sent = await postPairs(leaderA, regimePage(), requestUrl(), request({ periodKey: ' Mua-Lu-2026-03 ' }, [world.units.b, world.units.ward]));
      expect(sent.statusCode).toBe(303);
      expect(sent.headers.location).toBe(`/console/reports/regimes/${adHoc}?period=mua-lu-2026-03`);
      const rows = await rowsOf(adHoc);
      expect(rows.map((r) => r.unitId).sort()).toEqual([world.units.b, world.units.ward].sort());
      for (const r of rows) {
        expect(r).toMatchObject({ periodKey: 'mua-lu-2026-03', periodStart: '2026-02-27', periodEnd: '2026-03-02', status: 'chua_nop', note: 'Số hộ bị ngập <và> thiệt hại ban đầu' });
        // By the end of the working day chosen.
        expect(r.dueAt.toISOString()).toBe('2026-03-05T10:30:00.000Z');
      }
      const standing = await leaderA.get(sent.headers.location as string);
      expect(standing.body).toContain('Đã yêu cầu 2 đơn vị gửi Báo cáo đột xuất mưa lũ – đợt mua-lu-2026-03, hạn gửi 17:30 05/03/2026.');
      expect(standing.body).toContain('mua-lu-2026-03 — số liệu 27/02/2026 – 02/03/2026, hạn gửi 17:30 05/03/2026');
      expect(standing.body).toContain('Phường Hoàn Kiếm');
      expect(standing.body).not.toContain('<th scope="row">Phường Ba Đình</th>');

      // A second request of the same regime, to every obliged unit: unit B owes both, and sees both.
      const second = await postPairs(leaderA, regimePage(), requestUrl(), request({ periodKey: 'mua-lu-2026-03-dot-2', dueDay: '2026-03-10', note: 'Bổ sung số liệu' }));
      expect(second.statusCode).toBe(303);
      expect((await rowsOf(adHoc)).filter((r) => r.periodKey === 'mua-lu-2026-03-dot-2')).toHaveLength(3);
      const handlerB = await as('handler', 'b');
      const mine = await handlerB.get('/console/reports');
      expect(mine.body).toContain('mua-lu-2026-03 — số liệu 27/02/2026 – 02/03/2026');
      expect(mine.body).toContain('mua-lu-2026-03-dot-2 — số liệu 27/02/2026 – 02/03/2026');
      expect(mine.body).toContain('17:30 05/03/2026');
      expect(mine.body).toContain('Nội dung yêu cầu: Số hộ bị ngập &lt;và&gt; thiệt hại ban đầu');
      expect(mine.body).toContain('Nội dung yêu cầu: Bổ sung số liệu');
      expect(mine.body).toContain('<input type="hidden" name="periodKey" value="mua-lu-2026-03">');

      // The reminders see an ad hoc obligation like any other: unit B's leaders hear of it 3 working days ahead
      // (Monday 02/03 for Thursday 05/03); the ward has no leader to remind.
      await sweepReportReminders({ db: database.db }, world.t.clock.now());
      const requested = await rowsOf(adHoc);
      const [bRow] = requested.filter((r) => r.periodKey === 'mua-lu-2026-03' && r.unitId === world.units.b);
      const requestIds = new Set(requested.filter((r) => r.periodKey === 'mua-lu-2026-03').map((r) => r.id));
      const reminders = await database.db.select().from(outbox).where(like(outbox.key, 'report-reminder:%'));
      const ours = reminders.filter((r) => requestIds.has(Number(r.key.split(':')[1])));
      expect(ours.map((r) => r.key)).toEqual([`report-reminder:${bRow!.id}:3`]);
      expect(ours[0]).toMatchObject({ recipient: { type: 'unit', unitId: world.units.b, roles: ['unit_leader'] }, template: 'report-reminder' });
      expect(ours[0]!.data).toMatchObject({ regimeCode: 'dot-xuat-mua-lu', periodLabel: 'mua-lu-2026-03', dueDate: '17:30 05/03/2026' });

      // And it is sent the same way: "đánh dấu đã nộp", by the deadline, đã nộp.
      const done = await handlerB.submit('/console/reports', '/console/reports/submit', { regimeId: adHoc, periodKey: 'mua-lu-2026-03' });
      expect(done.statusCode).toBe(303);
      expect(await obligation(adHoc, 'b', 'mua-lu-2026-03')).toMatchObject({ status: 'da_nop', submittedBy: 'handler-b' });
    });

    it('refuses the roles and units that may not ask, and a form that cannot be a request, creating nothing', async () => {
      const before = (await rowsOf(adHoc)).length;
      for (const [role, unit] of [
        ['unit_leader', 'b'],
        ['handler', 'a'],
        ['dispatcher', 'a'],
        ['viewer', 'a'],
      ] as Array<[Role, UnitKey]>) {
        const refused = await postPairs(await as(role, unit), '/console/reports', requestUrl(), request({ periodKey: `thu-quyen-${role.replace('_', '-')}` }));
        expect(refused.statusCode, `${role}/${unit}`).toBe(403);
        expect(refused.body).toContain('Chỉ lãnh đạo đơn vị nhận báo cáo hoặc quản trị hệ thống mới yêu cầu báo cáo đột xuất');
      }
      expect(await rowsOf(adHoc)).toHaveLength(before);
      // Admins may ask under any regime.
      const byAdmin = await postPairs(await as('admin', 'b'), regimePage(), requestUrl(), request({ periodKey: 'quan-tri-yeu-cau' }, [world.units.otherWard]));
      expect(byAdmin.statusCode).toBe(303);
      expect((await rowsOf(adHoc)).filter((r) => r.periodKey === 'quan-tri-yeu-cau').map((r) => r.unitId)).toEqual([world.units.otherWard]);
      const count = (await rowsOf(adHoc)).length;

      const leaderA = await as('unit_leader', 'a');
      const refusals: Array<[Array<[string, string]>, number, string]> = [
        [request({ periodKey: '', start: '', end: '', dueDay: '', note: '' }), 400, 'Vui lòng nhập mã đợt báo cáo. Vui lòng chọn ngày bắt đầu của thời gian số liệu.'],
        [request({ periodKey: 'Đợt 1' }), 400, 'Mã đợt báo cáo gồm 3–40 ký tự'],
        [request({ note: '   ' }), 400, 'Vui lòng ghi nội dung yêu cầu báo cáo.'],
        [request({ start: '2026-02-30' }), 400, 'Ngày bắt đầu của thời gian số liệu không hợp lệ.'],
        [request({ periodKey: 'mua-lu-moi', dueDay: '2026-03-07' }), 400, 'Hạn gửi 07/03/2026 là ngày nghỉ. Vui lòng chọn một ngày làm việc.'],
        [request({ periodKey: 'mua-lu-moi', start: '2026-02-20', end: '2026-02-26', dueDay: '2026-02-27' }), 400, 'Hạn gửi phải sau thời điểm hiện tại.'],
        [request({ periodKey: 'mua-lu-moi', start: '2026-03-02', end: '2026-02-27' }), 400, 'Thời gian số liệu không hợp lệ'],
        [request({ periodKey: 'mua-lu-moi', end: '2026-03-06' }), 400, 'ngày kết thúc không được sau hạn gửi'],
        [request({}), 409, 'Mã đợt báo cáo này đã được dùng cho một yêu cầu trước'],
        [request({ periodKey: 'mua-lu-moi', recipients: 'chosen' }), 400, 'Vui lòng chọn ít nhất một đơn vị phải gửi báo cáo.'],
        [request({ periodKey: 'mua-lu-moi', recipients: 'all' }).concat([['unitIds', String(world.units.b)]]), 400, 'lại chọn gửi cho mọi đơn vị phải nộp'],
        // The receiving unit itself, and a unit that does not exist: pointed out, not dropped.
        [request({ periodKey: 'mua-lu-moi' }, [world.units.b, world.units.a]), 400, 'Có đơn vị được chọn không thuộc diện phải nộp báo cáo này.'],
        [request({ periodKey: 'mua-lu-moi' }, [999_999]), 400, 'Có đơn vị được chọn không thuộc diện phải nộp báo cáo này.'],
      ];
      for (const [pairs, status, message] of refusals) {
        const res = await postPairs(leaderA, regimePage(), requestUrl(), pairs);
        expect(res.statusCode, message).toBe(status);
        expect(res.body).toContain(message);
      }
      expect(await rowsOf(adHoc)).toHaveLength(count);

      // What was typed comes back with the reason, units ticked included.
      const kept = await postPairs(leaderA, regimePage(), requestUrl(), request({ periodKey: 'mua-lu-moi', dueDay: '2026-03-07', note: 'Giữ <nguyên> nội dung' }, [world.units.ward]));
      expect(kept.statusCode).toBe(400);
      expect(kept.body).toContain('value="mua-lu-moi"');
      expect(kept.body).toContain('value="2026-03-07"');
      expect(kept.body).toContain('>Giữ &lt;nguyên&gt; nội dung</textarea>');
      expect(kept.body).toContain('<input type="radio" name="recipients" value="chosen" checked>');
      expect(kept.body).toContain(`<input type="checkbox" name="unitIds" value="${world.units.ward}" checked> Phường Hoàn Kiếm`);

      // A periodic regime has its own calendar; an unknown one does not exist; no token, no request.
      const periodic = await postPairs(leaderA, `/console/reports/regimes/${monthly}`, `/console/reports/regimes/${monthly}/requests`, request({ periodKey: 'thang-dot-xuat' }));
      expect(periodic.statusCode).toBe(409);
      expect(periodic.body).toContain('Chế độ báo cáo này là báo cáo định kỳ');
      expect(await rowsOf(monthly)).not.toContainEqual(expect.objectContaining({ periodKey: 'thang-dot-xuat' }));
      expect((await postPairs(leaderA, '/console/reports', '/console/reports/regimes/999999/requests', request({ periodKey: 'khong-co' }))).statusCode).toBe(404);
      const noCsrf = await leaderA.post(requestUrl(), Object.fromEntries(request({ periodKey: 'khong-ma-bao-ve' })));
      expect(noCsrf.statusCode).toBe(403);
      expect(await rowsOf(adHoc)).toHaveLength(count);
    });
  });
});
