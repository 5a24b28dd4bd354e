import { and, count, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportingRegimes, reportObligations, units } from '../../../db/schema.js';
import { DEPARTMENTS } from '../../../db/seeds/reference-data.js';
import { seedCalendar, seedOrganisation } from '../../../db/seeds/seed-reference.js';
import { DEFAULT_REPORTING_REGIMES, seedReportingRegimes } from '../../../db/seeds/seed-reports.js';
import { formatLocalIso } from '../../../workflows/calendar/working-calendar.js';
import {
  adHocDueAt,
  ensureObligations,
  listSubmissionStatus,
  listUnitObligations,
  markReturned,
  markSubmitted,
  recordReportPush,
  requestAdHocReport,
} from '../../../workflows/reports/report-obligations.js';
import { findRegimeByCode, findUnitByCode } from '../../../workflows/reports/report.repo.js';
import { loadWorkingCalendar } from '../../../workflows/calendar/calendar.repo.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../../helpers/db.js';

const at = (local: string): Date => new Date(`${local}:00+07:00`);
const WARDS_AND_COMMUNES = 126;
const DEPARTMENT_COUNT = DEPARTMENTS.filter((d) => d.kind === 'department').length;

describe.each(DRIVERS)('report obligations on %s', (driver) => {
  let database: TestDatabase;
  let hoanKiem: number;
  let baDinh: number;
  let vpub: number;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    await seedOrganisation(database.db);
    await seedCalendar(database.db);
    await seedReportingRegimes(database.db);
    hoanKiem = (await findUnitByCode(database.db, '00070'))!.id;
    baDinh = (await findUnitByCode(database.db, '00004'))!.id;
    vpub = (await findUnitByCode(database.db, 'VPUB'))!.id;
  });
  afterAll(async () => database?.destroy());

  async function countFor(code: string): Promise<number> {
    const regime = (await findRegimeByCode(database.db, code))!;
    const [row] = await database.db.select({ n: count() }).from(reportObligations).where(eq(reportObligations.regimeId, regime.id));
    return row!.n;
  }

  it('seeds four regimes marked as product defaults to check, each with its legal basis', async () => {
    const rows = await database.db.select().from(reportingRegimes);
    expect(rows.map((r) => r.code).sort()).toEqual(DEFAULT_REPORTING_REGIMES.map((r) => r.code).sort());
    for (const r of rows) {
      expect(r.legalBasis).toContain('NĐ 09/2019/NĐ-CP');
      expect(r.legalBasis).toContain('QĐ 19/2022/QĐ-UBND');
      expect(r.legalBasis).toContain('Mặc định của sản phẩm');
    }
    await seedReportingRegimes(database.db);
    expect(await database.db.select({ n: count() }).from(reportingRegimes)).toEqual([{ n: 4 }]);
  });

  it('creates the current and next period for every obliged unit, once', async () => {
    const first = await ensureObligations(database.db, at('2026-01-05T09:00'));
    expect(await countFor('ktxh-thang')).toBe(WARDS_AND_COMMUNES * 2);
    expect(await countFor('pakn-quy')).toBe((WARDS_AND_COMMUNES + DEPARTMENT_COUNT) * 2);
    // SKHCN receives the digital transformation report, so it does not owe it to itself.
    expect(await countFor('cds-quy')).toBe((WARDS_AND_COMMUNES + DEPARTMENT_COUNT - 1) * 2);
    expect(await countFor('bao-cao-nam')).toBe((WARDS_AND_COMMUNES + DEPARTMENT_COUNT) * 2);
    expect(first).toEqual({ created: (WARDS_AND_COMMUNES * 4 + DEPARTMENT_COUNT * 3 - 1) * 2, regimes: 4 });

    expect(await ensureObligations(database.db, at('2026-01-05T09:01'))).toMatchObject({ created: 0 });
    // After January's deadline (Fri 16/01) March becomes the "next" monthly period: only those rows are new.
    expect(await ensureObligations(database.db, at('2026-01-17T07:00'))).toMatchObject({ created: WARDS_AND_COMMUNES });

    const periods = await database.db
      .selectDistinct({ periodKey: reportObligations.periodKey, start: reportObligations.periodStart, end: reportObligations.periodEnd, dueAt: reportObligations.dueAt })
      .from(reportObligations)
      .innerJoin(reportingRegimes, eq(reportingRegimes.id, reportObligations.regimeId))
      .where(eq(reportingRegimes.code, 'ktxh-thang'));
    expect(periods.map((p) => `${p.periodKey} ${p.start}→${p.end} ${formatLocalIso(p.dueAt)}`).sort()).toEqual([
      '2026-01 2025-12-15→2026-01-14 2026-01-16T17:30:00+07:00',
      '2026-02 2026-01-15→2026-02-14 2026-02-24T17:30:00+07:00',
      '2026-03 2026-02-15→2026-03-14 2026-03-17T17:30:00+07:00',
    ]);
  });

  it('records submissions: on time, late, repeated, returned and resubmitted', async () => {
    const key = { regimeCode: 'ktxh-thang', periodKey: '2026-01' };
    const onTime = await markSubmitted(database.db, { ...key, unitId: hoanKiem, by: 'lanhdao', at: at('2026-01-16T10:00'), externalRef: 'BC-001' });
    expect(onTime).toMatchObject({ ok: true, changed: true, obligation: { status: 'da_nop', statusLabel: 'Đã nộp', unitName: 'Phường Hoàn Kiếm', periodLabel: 'Tháng 1/2026' } });
    // The same submission again: nothing changes, the same answer.
    const again = await markSubmitted(database.db, { ...key, unitId: hoanKiem, by: 'lanhdao', at: at('2026-01-16T11:00'), externalRef: 'BC-001' });
    expect(again).toMatchObject({ ok: true, changed: false, obligation: { status: 'da_nop', submittedAt: at('2026-01-16T10:00') } });
    expect(await markSubmitted(database.db, { ...key, unitId: hoanKiem, by: 'lanhdao', at: at('2026-01-16T12:00'), externalRef: 'BC-002' })).toEqual({ ok: false, error: 'already_submitted' });

    // One minute after 17:30 on the due day is late.
    const late = await markSubmitted(database.db, { ...key, unitId: baDinh, by: 'api:he-thong-bao-cao', at: at('2026-01-16T17:31'), externalRef: 'BC-100' });
    expect(late).toMatchObject({ ok: true, obligation: { status: 'nop_muon', statusLabel: 'Nộp muộn' } });

    const returned = await markReturned(database.db, { ...key, unitId: hoanKiem, by: 'api:he-thong-bao-cao', at: at('2026-01-19T09:00'), externalRef: 'TL-001' });
    expect(returned).toMatchObject({ ok: true, changed: true, obligation: { status: 'tra_lai' } });
    expect(await markReturned(database.db, { ...key, unitId: hoanKiem, by: 'api:he-thong-bao-cao', at: at('2026-01-19T09:05'), externalRef: 'TL-001' })).toMatchObject({
      ok: true,
      changed: false,
    });
    // Resubmitted after the deadline: late now.
    const resubmitted = await markSubmitted(database.db, { ...key, unitId: hoanKiem, by: 'lanhdao', at: at('2026-01-20T09:00'), externalRef: 'BC-003' });
    expect(resubmitted).toMatchObject({ ok: true, changed: true, obligation: { status: 'nop_muon', externalRef: 'BC-003' } });

    const ward3 = (await findUnitByCode(database.db, '00008'))!.id;
    expect(await markReturned(database.db, { ...key, unitId: ward3, by: 'x', at: at('2026-01-19T09:00') })).toEqual({ ok: false, error: 'not_submitted' });
  });

  it('refuses unknown regimes, units and periods, and units that do not owe the report', async () => {
    const base = { unitId: hoanKiem, by: 'x', at: at('2026-01-16T10:00') };
    expect(await markSubmitted(database.db, { ...base, regimeCode: 'khong-co', periodKey: '2026-01' })).toEqual({ ok: false, error: 'unknown_regime' });
    expect(await markSubmitted(database.db, { ...base, regimeCode: 'ktxh-thang', periodKey: '2026-13' })).toEqual({ ok: false, error: 'unknown_period' });
    expect(await markSubmitted(database.db, { ...base, regimeCode: 'ktxh-thang', periodKey: '2026-Q1' })).toEqual({ ok: false, error: 'unknown_period' });
    expect(await markSubmitted(database.db, { ...base, unitId: vpub, regimeCode: 'ktxh-thang', periodKey: '2026-01' })).toEqual({ ok: false, error: 'not_obliged' });
    expect(await markSubmitted(database.db, { ...base, unitId: 999_999, regimeCode: 'ktxh-thang', periodKey: '2026-01' })).toEqual({ ok: false, error: 'unknown_unit' });
    // The annual report goes through the city's reporting system, not the unit's own word.
    expect(await markSubmitted(database.db, { ...base, regimeCode: 'bao-cao-nam', periodKey: '2026' }, { selfService: true })).toEqual({
      ok: false,
      error: 'self_submit_not_allowed',
    });
  });

  it('a push for a period before installation creates its obligation and records it (late)', async () => {
    const pushed = await recordReportPush(
      database.db,
      { regimeCode: 'KTXH-THANG', unitCode: '00070', periodKey: '12/2025', status: 'da_nop', at: at('2026-01-05T08:00'), by: 'api:x', externalRef: 'BC-2025-12' },
      at('2026-01-05T08:00'),
    );
    expect(pushed).toMatchObject({ ok: true, changed: true, obligation: { periodKey: '2025-12', status: 'nop_muon', periodStart: '2025-11-15', periodEnd: '2025-12-14' } });
    expect(await recordReportPush(database.db, { regimeCode: 'ktxh-thang', unitCode: 'KHONG', periodKey: '2026-01', status: 'da_nop', at: at('2026-01-05T08:00'), by: 'x', externalRef: 'r' }, at('2026-01-05T08:00'))).toEqual({
      ok: false,
      error: 'unknown_unit',
    });
  });

  it('an ad hoc (đột xuất) request names its own period and deadline', async () => {
    await database.db.insert(reportingRegimes).values({
      code: 'dot-xuat-mua-lu',
      name: 'Báo cáo đột xuất tình hình mưa lũ',
      legalBasis: 'NĐ 09/2019/NĐ-CP Điều 4 (báo cáo đột xuất)',
      frequency: 'ad_hoc',
      deadlineRule: { type: 'working_days_after_cutoff', days: 1 },
      obligedUnitIds: [hoanKiem, baDinh],
      receivingUnitId: vpub,
    });
    // Periodic generation ignores it.
    expect(await ensureObligations(database.db, at('2026-01-20T09:00'))).toMatchObject({ regimes: 4 });
    const requested = await requestAdHocReport(
      database.db,
      { regimeCode: 'dot-xuat-mua-lu', periodKey: 'lu-2026-01', start: '2026-01-19', end: '2026-01-20', dueAt: at('2026-01-21T17:30') },
      at('2026-01-20T09:00'),
    );
    expect(requested).toEqual({ ok: true, created: 2 });
    const done = await markSubmitted(database.db, { regimeCode: 'dot-xuat-mua-lu', unitId: baDinh, periodKey: 'lu-2026-01', by: 'x', at: at('2026-01-21T10:00') });
    expect(done).toMatchObject({ ok: true, obligation: { status: 'da_nop', periodLabel: 'lu-2026-01' } });
    expect(await markSubmitted(database.db, { regimeCode: 'dot-xuat-mua-lu', unitId: baDinh, periodKey: 'lu-khac', by: 'x', at: at('2026-01-21T10:00') })).toEqual({
      ok: false,
      error: 'unknown_period',
    });
  });

  it('lists what a unit owes now and who has submitted a period', async () => {
    const owed = await listUnitObligations(database.db, hoanKiem, at('2026-01-15T09:00'));
    expect(owed.map((o) => `${o.regimeCode} ${o.periodKey} ${o.status} ${formatLocalIso(o.dueAt).slice(0, 10)}`)).toEqual([
      'ktxh-thang 2026-01 nop_muon 2026-01-16',
      'dot-xuat-mua-lu lu-2026-01 chua_nop 2026-01-21',
      'pakn-quy 2026-Q1 chua_nop 2026-03-18',
      'cds-quy 2026-Q1 chua_nop 2026-03-20',
      'bao-cao-nam 2026 chua_nop 2026-12-17',
    ]);

    const regime = (await findRegimeByCode(database.db, 'ktxh-thang'))!;
    const standing = await listSubmissionStatus(database.db, regime.id, '2026-01');
    expect(standing).toHaveLength(WARDS_AND_COMMUNES);
    const submitted = standing.filter((s) => s.status !== 'chua_nop');
    expect(submitted.map((s) => `${s.unitName} ${s.status}`).sort()).toEqual(['Phường Ba Đình nop_muon', 'Phường Hoàn Kiếm nop_muon']);
    // Owing units come first.
    expect(standing[0]?.status).toBe('chua_nop');
    const [n] = await database.db
      .select({ n: count() })
      .from(reportObligations)
      .innerJoin(units, eq(units.id, reportObligations.unitId))
      .where(and(eq(reportObligations.regimeId, regime.id), inArray(units.kind, ['department', 'office', 'agency'])));
    expect(n!.n).toBe(0);
  });

  it('refuses an ad hoc request that cannot be one, and lists every open request of a unit with what it asks', async () => {
    const now = at('2026-01-20T09:00');
    const db = database.db;
    const base = { regimeCode: 'dot-xuat-mua-lu', periodKey: 'lu-2026-01-dot-2', start: '2026-01-19', end: '2026-01-20', dueAt: at('2026-01-23T17:30') };
    const refused = async (input: Partial<typeof base> & { unitIds?: number[]; note?: string }) => requestAdHocReport(db, { ...base, ...input }, now);
    expect(await refused({ regimeCode: 'khong-co' })).toEqual({ ok: false, error: 'unknown_regime' });
    expect(await refused({ regimeCode: 'ktxh-thang' })).toEqual({ ok: false, error: 'not_ad_hoc' });
    expect(await refused({ periodKey: 'Lũ 2026' })).toEqual({ ok: false, error: 'invalid_period_key' });
    expect(await refused({ periodKey: 'lu-2026-01' })).toEqual({ ok: false, error: 'period_exists' });
    expect(await refused({ start: '2026-01-21' })).toEqual({ ok: false, error: 'invalid_window' });
    expect(await refused({ end: '2026-01-24' })).toEqual({ ok: false, error: 'invalid_window' });
    expect(await refused({ dueAt: now })).toEqual({ ok: false, error: 'due_passed' });
    expect(await refused({ note: 'x'.repeat(1001) })).toEqual({ ok: false, error: 'note_too_long' });
    expect(await refused({ unitIds: [] })).toEqual({ ok: false, error: 'no_units' });
    // The receiving unit, and a unit that does not exist, are not quietly dropped from the list.
    expect(await refused({ unitIds: [hoanKiem, vpub] })).toEqual({ ok: false, error: 'not_obliged' });
    expect(await refused({ unitIds: [hoanKiem, 999_999] })).toEqual({ ok: false, error: 'not_obliged' });

    expect(await requestAdHocReport(db, { ...base, unitIds: [hoanKiem], note: '  Số hộ bị ngập  ' }, now)).toEqual({ ok: true, created: 1 });
    const owed = (await listUnitObligations(db, hoanKiem, now)).filter((o) => o.regimeCode === 'dot-xuat-mua-lu');
    // Two requests of one regime are two reports, not a current and a next period.
    expect(owed.map((o) => [o.periodKey, o.requestNote])).toEqual([
      ['lu-2026-01', null],
      ['lu-2026-01-dot-2', 'Số hộ bị ngập'],
    ]);
    expect((await listUnitObligations(db, baDinh, now)).filter((o) => o.regimeCode === 'dot-xuat-mua-lu').map((o) => o.periodKey)).toEqual(['lu-2026-01']);

    // A return says why it came back; what was asked stays, through the return and the next submission.
    const submitted = await markSubmitted(db, { regimeCode: 'dot-xuat-mua-lu', unitId: hoanKiem, periodKey: 'lu-2026-01-dot-2', by: 'x', at: now });
    expect(submitted).toMatchObject({ ok: true, obligation: { status: 'da_nop', requestNote: 'Số hộ bị ngập' } });
    const back = await markReturned(db, { regimeCode: 'dot-xuat-mua-lu', unitId: hoanKiem, periodKey: 'lu-2026-01-dot-2', by: 'y', at: now, note: 'Thiếu số hộ' });
    expect(back).toMatchObject({ ok: true, obligation: { status: 'tra_lai', note: 'Thiếu số hộ', returnNote: 'Thiếu số hộ', requestNote: 'Số hộ bị ngập' } });
    const again = await markSubmitted(db, { regimeCode: 'dot-xuat-mua-lu', unitId: hoanKiem, periodKey: 'lu-2026-01-dot-2', by: 'x', at: now });
    expect(again).toMatchObject({ ok: true, obligation: { returnNote: null, requestNote: 'Số hộ bị ngập' } });
  });

  it('reads an ad hoc deadline day as the end of its working hours, and no day off', async () => {
    const calendar = await loadWorkingCalendar(database.db);
    expect(adHocDueAt(calendar, '2026-01-23')?.toISOString()).toBe(at('2026-01-23T17:30').toISOString());
    expect(adHocDueAt(calendar, '2026-01-24')).toBeUndefined();
    // Tết 2026 (seeded calendar): Tuesday 17 February is a day off.
    expect(adHocDueAt(calendar, '2026-02-17')).toBeUndefined();
  });
});
