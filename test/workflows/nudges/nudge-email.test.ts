import type { AddressInfo } from 'node:net';
import { and, asc, eq, inArray, like, or } from 'drizzle-orm';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifySender } from '../../../bot/delivery/notify-sender.js';
import { cases, officials, outbox, reportingRegimes } from '../../../db/schema.js';
import { seedNudgeRules } from '../../../db/seeds/seed-nudges.js';
import { mailPart } from '../../../runtime/mail/mail.part.js';
import { deliverOutboxRow, type OutboxSender } from '../../../runtime/outbox/outbox.js';
import { createTemplateRenderer } from '../../../runtime/templates.js';
import type { WorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import { createCase, runCaseCommand, type CaseServiceDeps } from '../../../workflows/cases/case-service.js';
import { sweepDigests } from '../../../workflows/nudges/daily-digest.js';
import { sweepNudges } from '../../../workflows/nudges/sweep-nudges.js';
import { ensureObligations } from '../../../workflows/reports/report-obligations.js';
import { sweepReportReminders } from '../../../workflows/reports/report-reminders.js';
import { buildTestApp, TEST_PUBLIC_BASE_URL, type TestApp } from '../../helpers/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { createDbCalendarLoader, seedCalendar2026, seedOrg, type SeededOrg } from '../../helpers/seed-org.js';

/**
 * The whole way to an official's inbox: sweep → 'notify' outbox row → notify-sender (fan-out to people, channel
 * choice) → 'email' row → runtime/mail sender → a real SMTP server on port 0 → parsed back with mailparser.
 */

const at = (local: string): Date => new Date(`${local}:00+07:00`);

describe('reminders by e-mail through a real SMTP server', () => {
  let database: TestDatabase;
  let app: TestApp;
  let server: SMTPServer;
  let org: SeededOrg;
  let calendar: WorkingCalendar;
  const mails: ParsedMail[] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            mails.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;

    database = await createTestDatabase('pg');
    app = await buildTestApp({ parts: [], database, env: { SMTP_URL: `smtp://127.0.0.1:${port}?ignoreTLS=true`, MAIL_FROM: 'PAKN Desk <pakn@test.local>' } });
    org = await seedOrg(database.db);
    await seedCalendar2026(database.db);
    await seedNudgeRules(database.db);
    calendar = await createDbCalendarLoader(database.db)();
    for (const [o, email] of [
      [org.officials.handlerA, 'xuly@sxd.test'],
      [org.officials.leaderA, 'lanhdao@sxd.test'],
      [org.officials.dispatcher, 'dieuphoi@vpub.test'],
    ] as const) {
      await database.db.update(officials).set({ email }).where(eq(officials.id, o.id));
    }
  });
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** Delivers our rows (and the rows they forward to) the way the outbox job does, until nothing is left. */
  async function deliverAll(now: Date): Promise<void> {
    app.clock.set(now);
    const notify = createNotifySender({ db: database.db, clock: app.clock, config: app.deps.config, templates: createTemplateRenderer(), kick: async () => undefined });
    const email = mailPart.senders!(app.deps).email!;
    const send: OutboxSender = (row) => (row.kind === 'notify' ? notify(row) : email(row));
    const ours = or(like(outbox.key, 'nudge:%'), like(outbox.key, 'digest:%'), like(outbox.key, 'report-%'));
    for (let round = 0; round < 5; round++) {
      const pending = await database.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(ours, eq(outbox.status, 'pending'), inArray(outbox.kind, ['notify', 'email'])))
        .orderBy(asc(outbox.id));
      if (pending.length === 0) return;
      for (const { id } of pending) await deliverOutboxRow(database.db, id, send, now);
    }
  }

  async function waitForMails(count: number): Promise<void> {
    for (let i = 0; i < 100 && mails.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('sends the nudge, the morning digest and a report reminder in Vietnamese, with a link to the case', async () => {
    const deps: CaseServiceDeps = { db: database.db, clock: app.clock, loadCalendar: async () => calendar };
    app.clock.set(at('2026-02-26T09:00'));
    const created = await createCase(deps, {
      channel: 'zalo',
      contact: { id: org.contactId },
      contactKind: 'citizen',
      categoryId: org.categories.routed,
      description: 'Ổ gà lớn trên đường Láng, đoạn trước số 1000, xe máy rất dễ ngã.',
    });
    const caseId = created.case.id;
    app.clock.set(at('2026-02-26T09:30'));
    const [row] = await database.db.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    const accepted = await runCaseCommand(deps, { caseId, command: { type: 'accept' }, actor: org.officials.leaderA.actor, expectedVersion: row!.version });
    expect(accepted.ok).toBe(true);

    // Answer due Thu 12/03 17:30: "còn 2 ngày" on Tuesday 10/03 at 08:00.
    const nudged = await sweepNudges({ db: database.db }, at('2026-03-10T08:00'));
    expect(nudged.inserted).toBe(1);
    await deliverAll(at('2026-03-10T08:00'));

    // Wednesday's digest: the case is due by the end of the next working day.
    const digests = await sweepDigests({ db: database.db, consoleUrl: `${TEST_PUBLIC_BASE_URL}/console` }, at('2026-03-11T07:30'));
    expect(digests.inserted).toBe(2);
    await deliverAll(at('2026-03-11T07:30'));

    // A monthly regime for unit A (cut-off 15/02–14/03, due 2 working days later: Tue 17/03).
    await database.db.insert(reportingRegimes).values({
      code: 'thu-nghiem-thang',
      name: 'Báo cáo thử nghiệm tháng',
      legalBasis: 'Thử nghiệm',
      frequency: 'monthly',
      cutoffRule: { type: 'nd09_2019' },
      deadlineRule: { type: 'working_days_after_cutoff', days: 2 },
      obligedUnitIds: [org.units.a],
      receivingUnitId: org.units.focal,
    });
    await ensureObligations(database.db, at('2026-03-12T07:00'));
    const reminders = await sweepReportReminders({ db: database.db, consoleUrl: `${TEST_PUBLIC_BASE_URL}/console` }, at('2026-03-12T08:00'));
    expect(reminders.inserted).toBe(1);
    await deliverAll(at('2026-03-12T08:00'));

    await waitForMails(4);
    const summary = mails.map((m) => `${(m.to && !Array.isArray(m.to) ? m.to.text : '')} | ${m.subject}`).sort();
    expect(summary).toEqual([
      'lanhdao@sxd.test | [PAKN] Nhắc nộp Báo cáo thử nghiệm tháng – Tháng 3/2026, hạn 17/03/2026',
      'lanhdao@sxd.test | [PAKN] Việc cần làm ngày 11/03/2026',
      'xuly@sxd.test | [PAKN] Nhắc hạn trả lời phản ánh PA-2026-000001: còn 2 ngày làm việc',
      'xuly@sxd.test | [PAKN] Việc cần làm ngày 11/03/2026',
    ]);

    const nudge = mails.find((m) => m.subject?.startsWith('[PAKN] Nhắc hạn'))!;
    expect(nudge.from?.text).toContain('pakn@test.local');
    expect(nudge.text).toContain('Kính gửi Phạm Thị Xử Lý,');
    expect(nudge.text).toContain('Phản ánh PA-2026-000001 còn 2 ngày làm việc đến hạn trả lời (hạn 17:30 12/03/2026).');
    expect(nudge.text).toContain('Tình trạng: Đang xử lý · Đơn vị xử lý: Sở Xây dựng · Cán bộ xử lý: Phạm Thị Xử Lý');
    expect(nudge.text).toContain('Nội dung: Ổ gà lớn trên đường Láng, đoạn trước số 1000, xe máy rất dễ ngã.');
    expect(nudge.text).toContain(`Xem và xử lý phản ánh: ${TEST_PUBLIC_BASE_URL}/console/cases/${caseId}`);

    const digest = mails.find((m) => m.subject?.startsWith('[PAKN] Việc cần làm') && m.text?.includes('Kính gửi Phạm Thị Xử Lý'))!;
    expect(digest.text).toContain('Phản ánh sắp đến hạn hoặc quá hạn: 1');
    expect(digest.text).toContain('• PA-2026-000001 – Đang xử lý, hạn trả lời 17:30 12/03/2026 (còn 1 ngày làm việc)');
    expect(digest.text).toContain(`Mở bảng điều khiển: ${TEST_PUBLIC_BASE_URL}/console`);

    const report = mails.find((m) => m.subject?.startsWith('[PAKN] Nhắc nộp'))!;
    expect(report.text).toContain('Đơn vị của anh/chị chưa nộp Báo cáo thử nghiệm tháng – Tháng 3/2026. Hạn nộp: 17:30 17/03/2026 (còn 3 ngày làm việc).');
    expect(report.text).toContain('nhắn "đã nộp thu-nghiem-thang"');
    expect(report.text).toContain(`${TEST_PUBLIC_BASE_URL}/console`);

    // Delivered once: the outbox rows of our keys all ended 'sent'.
    const states = await database.db.select({ key: outbox.key, status: outbox.status }).from(outbox).where(or(like(outbox.key, 'nudge:%'), like(outbox.key, 'digest:%'), like(outbox.key, 'report-%')));
    expect(states.every((s) => s.status === 'sent')).toBe(true);
  });
});
