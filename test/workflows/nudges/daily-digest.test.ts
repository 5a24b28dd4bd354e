import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, officials, outbox } from '../../../db/schema.js';
import { seedNudgeRules } from '../../../db/seeds/seed-nudges.js';
import { createReportsPart } from '../../../runtime/reports.part.js';
import type { WorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import { createCase, runCaseCommand, type CaseServiceDeps } from '../../../workflows/cases/case-service.js';
import { isDigestTime, sweepDigests } from '../../../workflows/nudges/daily-digest.js';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';
import { createDbCalendarLoader, seedCalendar2026, seedOrg, type SeededOrg } from '../../helpers/seed-org.js';

const at = (local: string): Date => new Date(`${local}:00+07:00`);

describe('daily digest and the reports part tick (PGlite)', () => {
  let t: TestApp;
  let org: SeededOrg;
  let calendar: WorkingCalendar;

  beforeAll(async () => {
    t = await buildTestApp({ parts: [], driver: 'pglite', now: '2026-03-02T01:00:00.000Z' });
    const db = t.database.db;
    org = await seedOrg(db);
    await seedCalendar2026(db);
    await seedNudgeRules(db);
    calendar = await createDbCalendarLoader(db)();
    const deps: CaseServiceDeps = { db, clock: t.clock, loadCalendar: async () => calendar };
    // Routed to unit A and accepted by its leader on Mon 23/02: answer due Mon 09/03.
    t.clock.set(at('2026-02-23T09:00'));
    const routed = await createCase(deps, { channel: 'console', contact: null, contactKind: 'citizen', categoryId: org.categories.routed, description: 'Đèn tín hiệu hỏng ở ngã tư' });
    const [row] = await db.select({ version: cases.version }).from(cases).where(eq(cases.id, routed.case.id));
    expect((await runCaseCommand(deps, { caseId: routed.case.id, command: { type: 'accept' }, actor: org.officials.leaderA.actor, expectedVersion: row!.version })).ok).toBe(true);
    // Waiting for the dispatchers since Thu 05/03: triage due Mon 09/03.
    t.clock.set(at('2026-03-05T10:00'));
    await createCase(deps, { channel: 'console', contact: null, contactKind: 'citizen', categoryId: org.categories.unrouted, description: 'Không rõ lĩnh vực' });
    // Unit A's leader turned the digest off.
    await db.update(officials).set({ preferences: { digest: false } }).where(eq(officials.id, org.officials.leaderA.id));
  });
  afterAll(async () => t?.close());

  it('goes out from 07:30 on working days only', () => {
    expect(isDigestTime(calendar, at('2026-03-09T07:29'), '07:30')).toBe(false);
    expect(isDigestTime(calendar, at('2026-03-09T07:30'), '07:30')).toBe(true);
    expect(isDigestTime(calendar, at('2026-03-09T17:30'), '07:30')).toBe(false);
    expect(isDigestTime(calendar, at('2026-03-07T09:00'), '07:30')).toBe(false); // Saturday
    expect(isDigestTime(calendar, at('2026-02-17T09:00'), '07:30')).toBe(false); // mùng 1 Tết
    expect(isDigestTime(calendar, at('2026-01-10T09:00'), '07:30')).toBe(true); // make-up Saturday
  });

  it('one digest per official per day, for those with something due, unless they opted out', async () => {
    const db = t.database.db;
    expect(await sweepDigests({ db }, at('2026-03-06T07:29'))).toMatchObject({ skipped: true, inserted: 0 });
    // Friday 06/03: both cases are due by the end of the next working day (Monday 09/03).
    const friday = await sweepDigests({ db }, at('2026-03-06T07:30'));
    expect(friday).toEqual({ officials: 2, inserted: 2, skipped: false });
    expect(await sweepDigests({ db }, at('2026-03-06T11:00'))).toMatchObject({ inserted: 0 });

    const rows = await db.select().from(outbox).where(like(outbox.key, 'digest:%:2026-03-06'));
    const byOfficial = new Map(rows.map((r) => [(r.recipient as { officialId: number }).officialId, r]));
    expect([...byOfficial.keys()].sort()).toEqual([org.officials.dispatcher.id, org.officials.handlerA.id].sort());
    expect(byOfficial.get(org.officials.handlerA.id)).toMatchObject({
      kind: 'notify',
      template: 'digest',
      data: {
        day: '06/03/2026',
        caseCount: 1,
        overdueCount: 0,
        cases: [{ code: 'PA-2026-000001', statusLabel: 'Đang xử lý', stepLabel: 'trả lời', dueDate: '17:30 09/03/2026', slaText: 'còn 1 ngày làm việc' }],
        reportCount: 0,
      },
    });
    expect(byOfficial.get(org.officials.dispatcher.id)?.data).toMatchObject({ cases: [{ code: 'PA-2026-000002', stepLabel: 'phân loại, chuyển xử lý' }] });
    expect(await sweepDigests({ db }, at('2026-03-07T09:00'))).toMatchObject({ skipped: true });
  });

  it('the part’s tick writes the day’s nudges and digests; a second tick or a restarted part adds nothing', async () => {
    const db = t.database.db;
    const count = async () => (await db.select({ key: outbox.key }).from(outbox)).length;
    const part = createReportsPart();
    const monday = at('2026-03-09T08:00');
    t.clock.set(monday);
    const before = await count();
    await part.tick!(t.deps, monday);
    const afterFirst = await count();
    // Nudge keys without their step occurrence (`@<start>-<due>`, see nudgeKey).
    const keys = (await db.select({ key: outbox.key }).from(outbox)).map((r) => r.key.replace(/@[0-9a-z]+-[0-9a-z]+/, ''));
    expect(keys).toEqual(
      expect.arrayContaining([
        'nudge:1:answer-due-today:answer',
        'nudge:2:triage-due-today:triage',
        `digest:${org.officials.handlerA.id}:2026-03-09`,
        `digest:${org.officials.dispatcher.id}:2026-03-09`,
      ]),
    );
    expect(afterFirst).toBeGreaterThan(before);
    await part.tick!(t.deps, monday);
    await createReportsPart().tick!(t.deps, monday);
    expect(await count()).toBe(afterFirst);
  });
});
