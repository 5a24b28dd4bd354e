import { asc, like, or } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { officials, outbox, reportObligations } from '../../../db/schema.js';
import { seedCalendar, seedOrganisation } from '../../../db/seeds/seed-reference.js';
import { seedReportingRegimes } from '../../../db/seeds/seed-reports.js';
import { createWorkingCalendar, formatLocalIso, localDay, type WorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import { loadWorkingCalendar } from '../../../workflows/calendar/calendar.repo.js';
import { ensureObligations, markSubmitted } from '../../../workflows/reports/report-obligations.js';
import { planMissingReportNotice, planReportReminder, sweepReportReminders, type ReminderObligation } from '../../../workflows/reports/report-reminders.js';
import { findRegimeByCode, findUnitByCode } from '../../../workflows/reports/report.repo.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

const at = (local: string): Date => new Date(`${local}:00+07:00`);
const cal = createWorkingCalendar(CALENDAR_2026_DAYS);

describe('planReportReminder and planMissingReportNotice', () => {
  // Due Tue 24/02 17:30 (February's report, cut-off on the first day of Tết).
  const ob: ReminderObligation = {
    id: 9,
    unitId: 70,
    regimeCode: 'ktxh-thang',
    regimeName: 'Báo cáo tình hình kinh tế - xã hội tháng',
    selfSubmit: true,
    periodLabel: 'Tháng 2/2026',
    dueAt: at('2026-02-24T17:30'),
    status: 'chua_nop',
  };
  const key = (local: string, o: ReminderObligation = ob) => planReportReminder(o, cal, at(local))?.key ?? null;

  it('3 and 1 working days before, counted over Tết: Thu 12/02 and Mon 23/02', () => {
    expect(key('2026-02-12T07:59')).toBeNull();
    expect(key('2026-02-12T08:00')).toBe('report-reminder:9:3');
    expect(key('2026-02-18T10:00')).toBeNull(); // Tết: nothing goes out
    expect(key('2026-02-23T08:00')).toBe('report-reminder:9:1');
    expect(key('2026-02-24T17:30')).toBeNull(); // due: reminders stop
    expect(planReportReminder(ob, cal, at('2026-02-23T08:00'))).toMatchObject({
      recipient: { type: 'unit', unitId: 70, roles: ['unit_leader'] },
      template: 'report-reminder',
      data: { regimeCode: 'ktxh-thang', periodLabel: 'Tháng 2/2026', dueDate: '17:30 24/02/2026', slaText: 'còn 1 ngày làm việc', returned: false },
    });
  });

  it('sends only the latest reminder for an obligation found late, and nothing once submitted', () => {
    expect(key('2026-02-23T09:00')).toBe('report-reminder:9:1');
    expect(key('2026-02-23T09:00', { ...ob, status: 'da_nop' })).toBeNull();
    expect(planReportReminder({ ...ob, status: 'tra_lai' }, cal, at('2026-02-23T09:00'))?.data).toMatchObject({ returned: true });
  });

  it('the non-submitters list goes out the next working morning, and only when someone is missing', () => {
    const standing = {
      regimeId: 1,
      regimeName: ob.regimeName,
      receivingUnitId: 2,
      periodKey: '2026-02',
      periodLabel: 'Tháng 2/2026',
      dueAt: ob.dueAt,
      units: [
        { name: 'Phường Ba Đình', status: 'da_nop' as const },
        { name: 'Phường Hoàn Kiếm', status: 'chua_nop' as const },
        { name: 'Xã Sóc Sơn', status: 'nop_muon' as const },
      ],
    };
    expect(planMissingReportNotice(standing, cal, at('2026-02-24T17:31'))).toBeNull();
    const notice = planMissingReportNotice(standing, cal, at('2026-02-25T08:00'));
    expect(notice).toMatchObject({
      key: 'report-missing:1:2026-02',
      recipient: { type: 'unit', unitId: 2, roles: ['unit_leader'] },
      data: { totalCount: 3, submittedCount: 2, lateCount: 1, missingCount: 1, missing: [{ name: 'Phường Hoàn Kiếm', statusLabel: 'Chưa nộp' }] },
    });
    expect(planMissingReportNotice({ ...standing, units: standing.units.slice(0, 1) }, cal, at('2026-02-25T08:00'))).toBeNull();
  });
});

describe('report reminders over January 2026 on pg', () => {
  let database: TestDatabase;
  let calendar: WorkingCalendar;
  let hoanKiem: number;
  let baDinh: number;
  let vpub: number;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    await seedOrganisation(database.db);
    await seedCalendar(database.db);
    await seedReportingRegimes(database.db);
    calendar = await loadWorkingCalendar(database.db);
    hoanKiem = (await findUnitByCode(database.db, '00070'))!.id;
    baDinh = (await findUnitByCode(database.db, '00004'))!.id;
    vpub = (await findUnitByCode(database.db, 'VPUB'))!.id;
    // Only units with a leader account get reminders; the other 124 wards have nobody to tell yet.
    await database.db.insert(officials).values([
      { unitId: hoanKiem, login: 'ld-hk', fullName: 'Lê Minh Lãnh', roles: ['unit_leader'] },
      { unitId: baDinh, login: 'ld-bd', fullName: 'Ngô Thị Ba', roles: ['unit_leader'] },
      { unitId: vpub, login: 'ld-vp', fullName: 'Đỗ Văn Phòng', roles: ['unit_leader'] },
    ]);
  });
  afterAll(async () => database?.destroy());

  it('reminds once per obligation and day, and tells the receiving unit who did not submit, once', async () => {
    const start = at('2026-01-01T00:00');
    const end = at('2026-02-01T00:00');
    let obligationsDay = '';
    let inserted = 0;
    for (let t = start.getTime(); t < end.getTime(); t += 30 * 60_000) {
      const now = new Date(t);
      if (localDay(now) !== obligationsDay) {
        await ensureObligations(database.db, now, { calendar });
        obligationsDay = localDay(now);
      }
      // Ba Đình submits on Wednesday 14/01, between its two reminders.
      if (now.getTime() === at('2026-01-14T10:00').getTime()) {
        const done = await markSubmitted(database.db, { regimeCode: 'ktxh-thang', unitId: baDinh, periodKey: '2026-01', by: 'ld-bd', at: now });
        expect(done).toMatchObject({ ok: true, obligation: { status: 'da_nop' } });
      }
      const [a, b] = await Promise.all([sweepReportReminders({ db: database.db, loadCalendar: async () => calendar }, now), sweepReportReminders({ db: database.db }, now)]);
      inserted += a.inserted + b.inserted;
    }

    const rows = await database.db
      .select({ key: outbox.key, createdAt: outbox.createdAt, recipient: outbox.recipient, data: outbox.data })
      .from(outbox)
      .where(or(like(outbox.key, 'report-reminder:%'), like(outbox.key, 'report-missing:%')))
      .orderBy(asc(outbox.createdAt), asc(outbox.key));
    const obligationUnit = new Map(
      (await database.db.select({ id: reportObligations.id, unitId: reportObligations.unitId }).from(reportObligations)).map((o) => [o.id, o.unitId]),
    );
    const unitLabel = new Map([
      [hoanKiem, '00070'],
      [baDinh, '00004'],
    ]);
    const table = rows.map((r) => {
      const [kind, id, days] = r.key.split(':');
      const local = formatLocalIso(r.createdAt).slice(0, 16).replace('T', ' ');
      return kind === 'report-reminder' ? `reminder ${unitLabel.get(obligationUnit.get(Number(id))!)} -${days} @ ${local}` : `missing ${r.key.split(':')[2]} @ ${local}`;
    });
    expect(table).toEqual([
      'reminder 00004 -3 @ 2026-01-13 08:00',
      'reminder 00070 -3 @ 2026-01-13 08:00',
      'reminder 00070 -1 @ 2026-01-15 08:00',
      // Due Fri 16/01 17:30: the list waits for Monday morning.
      'missing 2026-01 @ 2026-01-19 08:00',
    ]);
    expect(inserted).toBe(4);

    const ktxh = (await findRegimeByCode(database.db, 'ktxh-thang'))!;
    const missing = rows.find((r) => r.key === `report-missing:${ktxh.id}:2026-01`)!;
    expect(missing.recipient).toEqual({ type: 'unit', unitId: vpub, roles: ['unit_leader'] });
    expect(missing.data).toMatchObject({ totalCount: 126, submittedCount: 1, missingCount: 125, moreCount: 95 });
    expect((missing.data.missing as Array<{ name: string }>).map((m) => m.name)).not.toContain('Phường Ba Đình');

    const reminder = rows.find((r) => r.key.startsWith('report-reminder:'))!;
    expect(reminder.data).toMatchObject({ regimeName: 'Báo cáo tình hình kinh tế - xã hội tháng', periodLabel: 'Tháng 1/2026', dueDate: '17:30 16/01/2026', slaText: 'còn 3 ngày làm việc' });
  }, 300_000);
});
