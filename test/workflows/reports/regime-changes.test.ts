import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportingRegimes, reportObligations } from '../../../db/schema.js';
import { createWorkingCalendar, type WorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import { findRegimeRuleProblem, regimeRuleProblemMessage, resyncRegimeObligations } from '../../../workflows/reports/regime-changes.js';
import { ensureObligations, markReturned, markSubmitted, requestAdHocReport } from '../../../workflows/reports/report-obligations.js';
import { computeReportDueAt } from '../../../workflows/reports/report-periods.js';
import { mayMarkOwnReport, mayReviewSubmissions } from '../../../workflows/reports/report-permissions.js';
import { parseRegimeRow, ZDeadlineRule, type ReportingRegime } from '../../../workflows/reports/reporting-regime.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { seedCalendar2026, seedUnit } from '../../helpers/seed-org.js';

const at = (local: string): Date => new Date(`${local}:00+07:00`);
const cal: WorkingCalendar = createWorkingCalendar(CALENDAR_2026_DAYS);

describe('deadline "N days after the cut-off" in calendar days', () => {
  it('counts every day and moves a day off to the next working day', () => {
    expect(ZDeadlineRule.parse({ type: 'calendar_days_after_cutoff', days: 10 })).toEqual({ type: 'calendar_days_after_cutoff', days: 10 });
    expect(ZDeadlineRule.safeParse({ type: 'calendar_days_after_cutoff', days: 91 }).success).toBe(false);
    // 14/03/2026 + 10 = Tuesday 24/03.
    expect(computeReportDueAt({ type: 'calendar_days_after_cutoff', days: 10 }, { end: '2026-03-14' }, cal)).toEqual(at('2026-03-24T17:30'));
    // 14/03 + 7 = Saturday 21/03 → Monday 23/03; across a month end: 14/01 + 20 = 03/02 (Tuesday).
    expect(computeReportDueAt({ type: 'calendar_days_after_cutoff', days: 7 }, { end: '2026-03-14' }, cal)).toEqual(at('2026-03-23T17:30'));
    expect(computeReportDueAt({ type: 'calendar_days_after_cutoff', days: 20 }, { end: '2026-01-14' }, cal)).toEqual(at('2026-02-03T17:30'));
  });
});

describe('regime rule checks', () => {
  const base = {
    frequency: 'monthly' as const,
    cutoffRule: { type: 'nd09_2019' as const },
    deadlineRule: { type: 'working_days_after_cutoff' as const, days: 2 },
    obligedUnitKinds: ['ward'],
    obligedUnitIds: [] as number[],
    receivingUnitId: 1,
  };
  const units = [
    { id: 1, kind: 'office' },
    { id: 2, kind: 'ward' },
  ];

  it('accepts a deadline on or after the cut-off and someone to report', () => {
    expect(findRegimeRuleProblem(base, units, cal, 2026)).toBeNull();
    expect(findRegimeRuleProblem({ ...base, deadlineRule: { type: 'working_days_after_cutoff', days: 0 } }, units, cal, 2026)).toBeNull();
  });

  it('refuses a deadline before the data window closes, naming the first such period', () => {
    const problem = findRegimeRuleProblem({ ...base, deadlineRule: { type: 'fixed_day_of_month', day: 10, monthOffset: 0 } }, units, cal, 2026);
    expect(problem).toEqual({ code: 'deadline_before_cutoff', periodLabel: 'Tháng 1/2026' });
    expect(regimeRuleProblemMessage(problem!)).toContain('trước ngày chốt số liệu (kỳ Tháng 1/2026)');
    // Calendar-month windows end on the last day: the 20th of the same month is too early, of the next month fine.
    const calendarWindow = { ...base, cutoffRule: { type: 'calendar' as const } };
    expect(findRegimeRuleProblem({ ...calendarWindow, deadlineRule: { type: 'fixed_day_of_month', day: 20, monthOffset: 0 } }, units, cal, 2026)?.code).toBe('deadline_before_cutoff');
    expect(findRegimeRuleProblem({ ...calendarWindow, deadlineRule: { type: 'fixed_day_of_month', day: 20, monthOffset: 1 } }, units, cal, 2026)).toBeNull();
  });

  it('refuses a regime nobody reports under (the receiving unit never reports to itself)', () => {
    expect(findRegimeRuleProblem({ ...base, obligedUnitKinds: [], obligedUnitIds: [1] }, units, cal, 2026)).toEqual({ code: 'no_obliged_unit' });
    expect(findRegimeRuleProblem({ ...base, obligedUnitKinds: ['commune'] }, units, cal, 2026)).toEqual({ code: 'no_obliged_unit' });
  });
});

describe('who may mark and review reports', () => {
  const regime = { receivingUnitId: 10 };
  it('lets handlers and leaders mark their own unit, and the receiving leaders and admins review', () => {
    expect(mayMarkOwnReport({ unitId: 5, roles: ['handler'] })).toBe(true);
    expect(mayMarkOwnReport({ unitId: 5, roles: ['unit_leader'] })).toBe(true);
    for (const role of ['viewer', 'dispatcher', 'admin'] as const) expect(mayMarkOwnReport({ unitId: 5, roles: [role] }), role).toBe(false);
    expect(mayReviewSubmissions({ unitId: 10, roles: ['unit_leader'] }, regime)).toBe(true);
    expect(mayReviewSubmissions({ unitId: 5, roles: ['admin'] }, regime)).toBe(true);
    expect(mayReviewSubmissions({ unitId: 5, roles: ['unit_leader'] }, regime)).toBe(false);
    expect(mayReviewSubmissions({ unitId: 10, roles: ['handler', 'dispatcher', 'viewer'] }, regime)).toBe(false);
  });
});

describe('obligations after a regime change', () => {
  let database: TestDatabase;
  let receiving: number;
  let wardA: number;
  let wardB: number;
  const now = at('2026-03-02T09:00');

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedCalendar2026(database.db);
    receiving = await seedUnit(database.db, { name: 'Văn phòng', kind: 'office' });
    wardA = await seedUnit(database.db, { name: 'Phường A', kind: 'ward' });
    wardB = await seedUnit(database.db, { name: 'Phường B', kind: 'ward' });
  });
  afterAll(async () => database?.destroy());

  async function createRegime(code: string, values: Partial<typeof reportingRegimes.$inferInsert> = {}): Promise<ReportingRegime> {
    const [row] = await database.db
      .insert(reportingRegimes)
      .values({
        code,
        name: code,
        legalBasis: 'Thử nghiệm',
        frequency: 'monthly',
        cutoffRule: { type: 'nd09_2019' },
        deadlineRule: { type: 'working_days_after_cutoff', days: 2 },
        obligedUnitIds: [wardA, wardB],
        receivingUnitId: receiving,
        ...values,
      })
      .returning();
    return parseRegimeRow(row!);
  }

  async function change(regime: ReportingRegime, values: Partial<typeof reportingRegimes.$inferInsert>) {
    const [row] = await database.db.update(reportingRegimes).set(values).where(eq(reportingRegimes.id, regime.id)).returning();
    const after = parseRegimeRow(row!);
    return { after, resync: await resyncRegimeObligations(database.db, { before: regime, after }, now) };
  }

  const rowsOf = async (regimeId: number) =>
    (await database.db.select().from(reportObligations).where(eq(reportObligations.regimeId, regimeId)).orderBy(asc(reportObligations.periodKey), asc(reportObligations.unitId))).map(
      (r) => `${r.unitId === wardA ? 'A' : 'B'} ${r.periodKey} ${r.status} ${r.dueAt.toISOString()}`,
    );

  it('creates the rows of a new regime, then leaves submitted, returned and past-due rows alone when the rules change', async () => {
    const regime = await createRegime('thang');
    // The scheduler ran in February (February and March rows); the resync adds April.
    await ensureObligations(database.db, at('2026-02-10T09:00'));
    expect(await resyncRegimeObligations(database.db, { before: null, after: regime }, now)).toEqual({ created: 2, updated: 0, removed: 0 });
    // February: A's sent and returned; B's still owed, past its deadline — both facts of the old rules.
    await markSubmitted(database.db, { regimeCode: 'thang', unitId: wardA, periodKey: '2026-02', by: 'x', at: at('2026-02-20T09:00') });
    await markReturned(database.db, { regimeCode: 'thang', unitId: wardA, periodKey: '2026-02', by: 'x', at: at('2026-02-21T09:00') });
    await markSubmitted(database.db, { regimeCode: 'thang', unitId: wardB, periodKey: '2026-03', by: 'x', at: at('2026-03-02T08:00') });

    const { after, resync } = await change(regime, { deadlineRule: { type: 'working_days_after_cutoff', days: 5 }, obligedUnitIds: [wardA] });
    // A's March and April re-dated (14/03 + 5 working days = 20/03; 14/04 + 5 = 21/04), B's April dropped;
    // B's overdue February and submitted March stay as they were.
    expect(resync).toEqual({ created: 0, updated: 2, removed: 1 });
    expect(await rowsOf(after.id)).toEqual([
      'A 2026-02 tra_lai 2026-02-24T10:30:00.000Z',
      'B 2026-02 chua_nop 2026-02-24T10:30:00.000Z',
      'A 2026-03 chua_nop 2026-03-20T10:30:00.000Z',
      'B 2026-03 da_nop 2026-03-17T10:30:00.000Z',
      'A 2026-04 chua_nop 2026-04-21T10:30:00.000Z',
    ]);

    // Saving again changes nothing.
    expect(await resyncRegimeObligations(database.db, { before: after, after }, now)).toEqual({ created: 0, updated: 0, removed: 0 });
  });

  it('never touches the rows of an ad hoc regime, and leaves an inactive one as it is', async () => {
    const regime = await createRegime('dot-xuat', { frequency: 'ad_hoc' });
    const requested = await requestAdHocReport(database.db, { regimeCode: 'dot-xuat', periodKey: 'lu-2026', start: '2026-03-01', end: '2026-03-05', dueAt: at('2026-03-10T17:30') }, now);
    expect(requested).toEqual({ ok: true, created: 2 });
    const { after, resync } = await change(regime, { name: 'Báo cáo mưa lũ', obligedUnitIds: [wardA] });
    expect(resync).toEqual({ created: 0, updated: 0, removed: 0 });
    expect((await rowsOf(after.id)).length).toBe(2);

    const monthly = await createRegime('tam-dung', { active: false });
    expect(await resyncRegimeObligations(database.db, { before: null, after: monthly }, now)).toEqual({ created: 0, updated: 0, removed: 0 });
    expect(await rowsOf(monthly.id)).toEqual([]);
  });
});
