import { and, asc, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { reportingRegimes, reportObligations } from '../../db/schema.js';
import { markSubmitted } from '../../workflows/reports/report-obligations.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient, readCsrfToken } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World } from './console-world.js';

/**
 * Admin → Chế độ báo cáo through HTTP: every field of a regime, the checks of the workflows (rule shapes, a
 * deadline before its own cut-off, nobody obliged), and the obligations brought in line on every save. The
 * clock stands at Monday 02/03/2026 09:00: the current monthly period is March (15/02–14/03, due 17/03).
 */

const BASE = '/console/admin/reporting';

/**
 * Posts a form with repeated fields (checkbox groups, multi-selects) and the page's CSRF token, as a browser does;
 * an edit also sends the version its form was loaded at (the hidden field), unless `pairs` names one.
 */
async function postPairs(world: World, client: ConsoleClient, url: string, pairs: Array<[string, string]>, csrf = true): Promise<LightMyRequestResponse> {
  const isEdit = /\/reporting\/\d+$/.test(url);
  const page = await client.get(isEdit ? url : BASE);
  const version = isEdit && !pairs.some(([k]) => k === 'version') ? /name="version" value="(\d+)"/.exec(page.body)?.[1] : undefined;
  const body = new URLSearchParams([
    ...(csrf ? [['_csrf', readCsrfToken(page.body)] as [string, string]] : []),
    ...(version ? [['version', version] as [string, string]] : []),
    ...pairs,
  ]);
  return world.t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: `${CONSOLE_COOKIE_NAME}=${client.cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
}

describe.each(DRIVERS)('admin reporting regimes on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let admin: ConsoleClient;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    admin = new ConsoleClient(world.t.app);
    await admin.login(world.official('admin', 'a').login, WORLD_PASSWORD);
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const monthlyForm = (overrides: Record<string, string | string[]> = {}): Array<[string, string]> => {
    const fields: Record<string, string | string[]> = {
      code: 'ktxh-thang',
      name: 'Báo cáo kinh tế - xã hội tháng',
      legalBasis: 'NĐ 09/2019/NĐ-CP; QĐ 19/2022/QĐ-UBND',
      frequency: 'monthly',
      cutoffType: 'nd09_2019',
      deadlineType: 'working_days_after_cutoff',
      deadlineDays: '2',
      fixedDay: '',
      monthOffset: '0',
      obligedUnitKinds: ['ward'],
      receivingUnitId: String(world.units.a),
      selfSubmit: 'on',
      ...overrides,
    };
    return Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]]));
  };

  const obligationsOf = async (regimeId: number) =>
    (
      await database.db
        .select({ unitId: reportObligations.unitId, periodKey: reportObligations.periodKey, dueAt: reportObligations.dueAt, status: reportObligations.status })
        .from(reportObligations)
        .where(eq(reportObligations.regimeId, regimeId))
        .orderBy(asc(reportObligations.periodKey), asc(reportObligations.unitId))
    ).map((r) => ({ ...r, dueAt: r.dueAt.toISOString() }));

  let regimeId = 0;

  it('creates a regime with every field and generates the current and next period for each obliged unit', async () => {
    const form = await admin.get(`${BASE}/new`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Theo Điều 12 NĐ 09/2019/NĐ-CP');
    expect(form.body).toContain('name="deadlineType" value="calendar_days_after_cutoff"');
    expect(form.body).toContain('<label for="rg-receiving">Đơn vị nhận báo cáo</label>');

    const created = await postPairs(world, admin, BASE, monthlyForm());
    expect(created.statusCode).toBe(303);
    const [row] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.code, 'ktxh-thang'));
    expect(row).toMatchObject({
      name: 'Báo cáo kinh tế - xã hội tháng',
      legalBasis: 'NĐ 09/2019/NĐ-CP; QĐ 19/2022/QĐ-UBND',
      frequency: 'monthly',
      cutoffRule: { type: 'nd09_2019' },
      deadlineRule: { type: 'working_days_after_cutoff', days: 2 },
      obligedUnitKinds: ['ward'],
      obligedUnitIds: [],
      receivingUnitId: world.units.a,
      selfSubmit: true,
      active: true,
    });
    regimeId = row!.id;
    expect(created.headers.location).toBe(`${BASE}/${regimeId}`);

    const { ward, otherWard } = world.units;
    expect(await obligationsOf(regimeId)).toEqual([
      { unitId: ward, periodKey: '2026-03', dueAt: '2026-03-17T10:30:00.000Z', status: 'chua_nop' },
      { unitId: otherWard, periodKey: '2026-03', dueAt: '2026-03-17T10:30:00.000Z', status: 'chua_nop' },
      { unitId: ward, periodKey: '2026-04', dueAt: '2026-04-16T10:30:00.000Z', status: 'chua_nop' },
      { unitId: otherWard, periodKey: '2026-04', dueAt: '2026-04-16T10:30:00.000Z', status: 'chua_nop' },
    ]);

    const page = await admin.get(`${BASE}/${regimeId}`);
    expect(page.body).toContain('Đã thêm chế độ báo cáo &quot;Báo cáo kinh tế - xã hội tháng&quot;. Báo cáo phải nộp của kỳ hiện tại và kỳ tới: tạo mới 4.');
    expect(page.body).toContain('Tháng 3/2026 (số liệu 15/02/2026 – 14/03/2026), hạn gửi 17:30 17/03/2026');
    expect(page.body).toContain('Tháng 4/2026 (số liệu 15/03/2026 – 14/04/2026), hạn gửi 17:30 16/04/2026');
    const list = await admin.get(BASE);
    expect(list.body).toContain('Hằng tháng; 02 ngày làm việc sau ngày chốt số liệu');
    expect(list.body).toContain('Mọi phường → Sở Xây dựng');
  });

  it('re-dates the periods not yet due when the deadline rule changes (calendar days after the cut-off)', async () => {
    const saved = await postPairs(world, admin, `${BASE}/${regimeId}`, monthlyForm({ code: 'bi-bo-qua', deadlineType: 'calendar_days_after_cutoff', deadlineDays: '10' }));
    expect(saved.statusCode).toBe(303);
    const [row] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.id, regimeId));
    // The code is not editable: the API and the Zalo command use it.
    expect(row).toMatchObject({ code: 'ktxh-thang', deadlineRule: { type: 'calendar_days_after_cutoff', days: 10 } });
    // 14/03 + 10 days = Tue 24/03; 14/04 + 10 = Fri 24/04.
    expect((await obligationsOf(regimeId)).map((o) => `${o.periodKey} ${o.dueAt}`)).toEqual([
      '2026-03 2026-03-24T10:30:00.000Z',
      '2026-03 2026-03-24T10:30:00.000Z',
      '2026-04 2026-04-24T10:30:00.000Z',
      '2026-04 2026-04-24T10:30:00.000Z',
    ]);
    expect((await admin.get(`${BASE}/${regimeId}`)).body).toContain('cập nhật hạn 4');
  });

  it('refuses an edit made on a version someone else changed meanwhile, keeping what was typed (409)', async () => {
    const [before] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.id, regimeId));
    // Another admin saves first; this form was loaded at the version before that save.
    const first = await postPairs(world, admin, `${BASE}/${regimeId}`, monthlyForm({ deadlineType: 'calendar_days_after_cutoff', deadlineDays: '11' }));
    expect(first.statusCode).toBe(303);
    const stale = await postPairs(world, admin, `${BASE}/${regimeId}`, [['version', String(before!.version)], ...monthlyForm({ name: 'Tên sửa trên bản cũ', deadlineType: 'calendar_days_after_cutoff', deadlineDays: '12' })]);
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('vừa được người khác sửa');
    expect(stale.body).toContain('Tên sửa trên bản cũ');
    const [after] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.id, regimeId));
    expect(after).toMatchObject({ name: before!.name, version: before!.version + 1, deadlineRule: { type: 'calendar_days_after_cutoff', days: 11 } });
    // The form shown with the refusal carries the current version: saving it again is a deliberate overwrite.
    expect(stale.body).toContain(`name="version" value="${after!.version}"`);
    // Without any version (an old form), the edit is refused the same way.
    const unversioned = await postPairs(world, admin, `${BASE}/${regimeId}`, [['version', ''], ...monthlyForm({ deadlineType: 'calendar_days_after_cutoff', deadlineDays: '10' })]);
    expect(unversioned.statusCode).toBe(409);
    const restored = await postPairs(world, admin, `${BASE}/${regimeId}`, monthlyForm({ deadlineType: 'calendar_days_after_cutoff', deadlineDays: '10' }));
    expect(restored.statusCode).toBe(303);
  });

  it('drops the rows of a unit no longer obliged but keeps what was already submitted', async () => {
    const { ward, otherWard } = world.units;
    const done = await markSubmitted(database.db, { regimeCode: 'ktxh-thang', unitId: otherWard, periodKey: '2026-03', by: 'thu-nghiem', at: world.t.clock.now() });
    expect(done.ok).toBe(true);
    const saved = await postPairs(
      world,
      admin,
      `${BASE}/${regimeId}`,
      monthlyForm({ obligedUnitKinds: [], obligedUnitIds: [String(ward)], deadlineType: 'calendar_days_after_cutoff', deadlineDays: '10' }),
    );
    expect(saved.statusCode).toBe(303);
    expect((await obligationsOf(regimeId)).map((o) => `${o.unitId === ward ? 'ward' : 'other'} ${o.periodKey} ${o.status}`)).toEqual([
      'ward 2026-03 chua_nop',
      'other 2026-03 da_nop',
      'ward 2026-04 chua_nop',
    ]);
    expect((await admin.get(`${BASE}/${regimeId}`)).body).toContain('bỏ 1 không còn phải nộp');
  });

  it('replaces the unsubmitted monthly rows by quarterly ones when the frequency changes', async () => {
    const { ward } = world.units;
    const saved = await postPairs(
      world,
      admin,
      `${BASE}/${regimeId}`,
      monthlyForm({ frequency: 'quarterly', obligedUnitKinds: [], obligedUnitIds: [String(ward)], deadlineType: 'fixed_day_of_month', deadlineDays: 'bỏ qua', fixedDay: '20', monthOffset: '0' }),
    );
    expect(saved.statusCode).toBe(303);
    expect((await obligationsOf(regimeId)).map((o) => `${o.unitId === ward ? 'ward' : 'other'} ${o.periodKey} ${o.status} ${o.dueAt}`)).toEqual([
      'other 2026-03 da_nop 2026-03-24T10:30:00.000Z',
      'ward 2026-Q1 chua_nop 2026-03-20T10:30:00.000Z',
      'ward 2026-Q2 chua_nop 2026-06-22T10:30:00.000Z',
    ]);
    const page = await admin.get(`${BASE}/${regimeId}`);
    expect(page.body).toContain('Quý I/2026 (số liệu 15/12/2025 – 14/03/2026), hạn gửi 17:30 20/03/2026');
  });

  it('refuses bad input with the reason in Vietnamese, keeps what was typed and stores nothing', async () => {
    const countRegimes = async () => (await database.db.select({ id: reportingRegimes.id }).from(reportingRegimes)).length;
    const before = await countRegimes();

    const invalid = await postPairs(world, admin, BASE, monthlyForm({ code: 'Mã có dấu!', name: '', legalBasis: 'Căn cứ <đã gõ>', deadlineDays: '61' }));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('Mã chế độ báo cáo gồm 2–64 ký tự');
    expect(invalid.body).toContain('Vui lòng nhập tên báo cáo.');
    expect(invalid.body).toContain('Số ngày làm việc sau ngày chốt số liệu phải là số nguyên từ 0 đến 60.');
    expect(invalid.body).toContain('>Căn cứ &lt;đã gõ&gt;</textarea>');
    expect(invalid.body).toContain('value="Mã có dấu!"');

    const nobody = await postPairs(world, admin, BASE, monthlyForm({ code: 'khong-ai', obligedUnitKinds: [] }));
    expect(nobody.statusCode).toBe(400);
    expect(nobody.body).toContain('Vui lòng chọn loại đơn vị hoặc đơn vị phải nộp báo cáo.');

    const onlyReceiver = await postPairs(world, admin, BASE, monthlyForm({ code: 'tu-nop', obligedUnitKinds: [], obligedUnitIds: [String(world.units.a)] }));
    expect(onlyReceiver.statusCode).toBe(400);
    expect(onlyReceiver.body).toContain('Không có đơn vị nào phải nộp báo cáo theo lựa chọn này');

    const early = await postPairs(world, admin, BASE, monthlyForm({ code: 'han-som', deadlineType: 'fixed_day_of_month', fixedDay: '5', monthOffset: '0' }));
    expect(early.statusCode).toBe(400);
    expect(early.body).toContain('Hạn gửi báo cáo rơi vào trước ngày chốt số liệu (kỳ Tháng 1/2026)');

    const noUnit = await postPairs(world, admin, BASE, monthlyForm({ code: 'khong-don-vi', receivingUnitId: '999999' }));
    expect(noUnit.statusCode).toBe(400);
    expect(noUnit.body).toContain('Đơn vị nhận báo cáo không tồn tại hoặc đã ngừng hoạt động.');

    const badKind = await postPairs(world, admin, BASE, monthlyForm({ code: 'sai-loai', obligedUnitKinds: ['hang-xom'], frequency: 'weekly' }));
    expect(badKind.statusCode).toBe(400);
    expect(badKind.body).toContain('Loại đơn vị phải nộp không hợp lệ.');
    expect(badKind.body).toContain('Vui lòng chọn tần suất báo cáo.');

    const taken = await postPairs(world, admin, BASE, monthlyForm({ code: 'KTXH-THANG' }));
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('Mã &quot;ktxh-thang&quot; đã được dùng cho một chế độ báo cáo khác.');

    const missing = await postPairs(world, admin, `${BASE}/999999`, monthlyForm());
    expect(missing.statusCode).toBe(404);
    expect((await admin.get(`${BASE}/999999`)).statusCode).toBe(404);

    // An edit refused keeps the stored regime as it was.
    const badEdit = await postPairs(world, admin, `${BASE}/${regimeId}`, monthlyForm({ name: '', frequency: 'quarterly' }));
    expect(badEdit.statusCode).toBe(400);
    const [row] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.id, regimeId));
    expect(row?.name).toBe('Báo cáo kinh tế - xã hội tháng');

    const noCsrf = await postPairs(world, admin, BASE, monthlyForm({ code: 'khong-csrf' }), false);
    expect(noCsrf.statusCode).toBe(403);
    expect(await countRegimes()).toBe(before);
  });

  it('stores a six-month regime with the second half and an ad hoc regime without periods', async () => {
    const six = await postPairs(
      world,
      admin,
      BASE,
      monthlyForm({ code: 'sau-thang', name: 'Báo cáo 6 tháng', frequency: 'six_month', includeSecondHalf: 'on', cutoffType: 'calendar', obligedUnitKinds: ['department'], receivingUnitId: String(world.units.ward) }),
    );
    expect(six.statusCode).toBe(303);
    const [sixRow] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.code, 'sau-thang'));
    expect(sixRow?.cutoffRule).toEqual({ type: 'calendar', includeSecondHalf: true });
    expect(sixRow?.selfSubmit).toBe(true);
    expect((await obligationsOf(sixRow!.id)).map((o) => `${o.periodKey} ${o.unitId}`)).toEqual([
      `2026-H1 ${world.units.a}`,
      `2026-H1 ${world.units.b}`,
      `2026-H2 ${world.units.a}`,
      `2026-H2 ${world.units.b}`,
    ]);

    // The second half-year is a six-month notion: elsewhere the box is ignored rather than stored.
    const adHoc = await postPairs(world, admin, BASE, monthlyForm({ code: 'dot-xuat', name: 'Báo cáo đột xuất mưa lũ', frequency: 'ad_hoc', includeSecondHalf: 'on', selfSubmit: '' }));
    expect(adHoc.statusCode).toBe(303);
    const [adHocRow] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.code, 'dot-xuat'));
    expect(adHocRow).toMatchObject({ cutoffRule: { type: 'nd09_2019' }, selfSubmit: false });
    expect(await obligationsOf(adHocRow!.id)).toEqual([]);
    expect((await admin.get(`${BASE}/${adHocRow!.id}`)).body).toContain('Báo cáo đột xuất: kỳ, thời gian số liệu và hạn gửi do đơn vị nhận báo cáo đặt khi yêu cầu.');
  });

  it('deactivates a regime (hidden from the officials, rows kept) and reactivates it', async () => {
    const off = await postPairs(world, admin, `${BASE}/${regimeId}/deactivate`, []);
    expect(off.statusCode).toBe(303);
    const [row] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.id, regimeId));
    expect(row?.active).toBe(false);
    expect((await obligationsOf(regimeId)).length).toBe(3);
    const list = await admin.get(BASE);
    expect(list.body).toContain('Đã ngừng áp dụng chế độ báo cáo');
    expect(list.body).toContain(`action="/console/admin/reporting/${regimeId}/activate"`);

    const leader = new ConsoleClient(world.t.app);
    await leader.login(world.official('unit_leader', 'a').login, WORLD_PASSWORD);
    expect((await leader.get('/console/reports')).body).not.toContain('Báo cáo kinh tế - xã hội tháng');
    expect((await leader.get(`/console/reports/regimes/${regimeId}`)).statusCode).toBe(404);

    const on = await postPairs(world, admin, `${BASE}/${regimeId}/activate`, []);
    expect(on.statusCode).toBe(303);
    expect((await leader.get('/console/reports')).body).toContain('Báo cáo kinh tế - xã hội tháng');
    expect(
      await database.db
        .select({ id: reportingRegimes.id })
        .from(reportingRegimes)
        .where(and(eq(reportingRegimes.id, regimeId), eq(reportingRegimes.active, true))),
    ).toHaveLength(1);
  });

  it('is for admins only, before the form is read', async () => {
    const leader = new ConsoleClient(world.t.app);
    await leader.login(world.official('unit_leader', 'a').login, WORLD_PASSWORD);
    expect((await leader.get(BASE)).statusCode).toBe(403);
    const refused = await postPairs(world, leader, `${BASE}/${regimeId}/deactivate`, []);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Chỉ quản trị hệ thống mới truy cập được khu vực này.');
    const [row] = await database.db.select().from(reportingRegimes).where(eq(reportingRegimes.id, regimeId));
    expect(row?.active).toBe(true);
  });
});
