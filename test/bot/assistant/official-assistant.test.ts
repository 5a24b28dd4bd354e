import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfficialAssistant } from '../../../bot/assistant/official-assistant.js';
import { matchAssistantCommand } from '../../../bot/assistant/assistant-commands.js';
import { caseGateway } from '../../../bot/case-gateway.js';
import { handleZaloEvent, type ConversationDeps } from '../../../bot/conversation/engine.js';
import type { OutgoingMessage } from '../../../bot/conversation/outgoing.js';
import { createReferenceCache } from '../../../bot/reference-cache.js';
import { cases, categories, officials, outbox, units } from '../../../db/schema.js';
import { createFakeClock } from '../../../runtime/clock.js';
import { seedAll } from '../../../runtime/seed.js';
import { createTemplateRenderer } from '../../../runtime/templates.js';
import { loadWorkingCalendar } from '../../../workflows/calendar/calendar.repo.js';
import type { Actor } from '../../../workflows/cases/actor.js';
import { createCase, runCaseCommand, type CaseServiceDeps } from '../../../workflows/cases/case-service.js';
import { ensureObligations } from '../../../workflows/reports/report-obligations.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

/**
 * Transcripts of officials talking to the OA: the demo accounts of Phường Hoàn Kiếm (sandbox-lanhdao,
 * sandbox-chuyenvien), the city's dispatcher, and a leader of Văn phòng UBND TP who receives reports.
 */

const at = (local: string): Date => new Date(`${local}:00+07:00`);
const NOW = at('2026-03-02T09:00');

describe('officials’ Zalo assistant', () => {
  let database: TestDatabase;
  let deps: ConversationDeps;
  let nextEventId = 1;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    const db = database.db;
    await seedAll(db, { demo: true });
    const [ward] = await db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
    const [vpub] = await db.select({ id: units.id }).from(units).where(eq(units.code, 'VPUB'));
    const [garbage] = await db.select({ id: categories.id }).from(categories).where(eq(categories.code, 've-sinh-moi-truong'));
    await db.insert(officials).values({ unitId: vpub!.id, login: 'ldvp', fullName: 'Đỗ Văn Phòng', roles: ['unit_leader'], zaloUserId: 'sandbox-ldvp' });
    await db.insert(officials).values({ unitId: ward!.id + 1, login: 'cvkhac', fullName: 'Cán bộ phường khác', roles: ['handler'], zaloUserId: 'sandbox-cvkhac' });

    // February's report was created in February and is now late; March's and the quarter's are current.
    const calendar = await loadWorkingCalendar(db);
    await ensureObligations(db, at('2026-02-10T08:00'), { calendar });
    await ensureObligations(db, NOW, { calendar });

    const clock = createFakeClock(NOW);
    const caseDeps: CaseServiceDeps = { db, clock, loadCalendar: async () => calendar };
    const [lanhdao] = await db.select().from(officials).where(eq(officials.login, 'lanhdao'));
    const leader: Actor = { type: 'official', officialId: lanhdao!.id, unitId: ward!.id, roles: ['unit_leader'] };
    const open = async (local: string, accept: boolean) => {
      clock.set(at(local));
      const created = await createCase(caseDeps, {
        channel: 'console',
        contact: null,
        contactKind: 'citizen',
        categoryId: garbage!.id,
        areaUnitId: ward!.id,
        description: `Rác tồn đọng ở ngõ Hàng Bạc (${local})`,
      });
      expect(created.case.status).toBe('assigned');
      if (accept) {
        const [row] = await db.select({ version: cases.version }).from(cases).where(eq(cases.id, created.case.id));
        const accepted = await runCaseCommand(caseDeps, { caseId: created.case.id, command: { type: 'accept' }, actor: leader, expectedVersion: row!.version });
        expect(accepted.ok).toBe(true);
      }
    };
    await open('2026-02-24T10:00', true); // PA-2026-000001, answer due Tue 10/03
    await open('2026-02-10T10:00', true); // PA-2026-000002, answer due Tue 03/03
    await open('2026-02-25T10:00', false); // PA-2026-000003, still to accept (due Thu 26/02)

    deps = {
      templates: createTemplateRenderer(),
      cases: caseGateway,
      loadReference: createReferenceCache(),
      officialAssistant: createOfficialAssistant({ publicBaseUrl: 'http://pakn.test' }),
    };
  });
  afterAll(async () => database?.destroy());

  /** One message in, the reply messages out (as the outbox row holds them). */
  async function say(userId: string, text: string, now: Date = NOW): Promise<OutgoingMessage[]> {
    const inboundEventId = nextEventId++;
    await database.db.transaction((tx) =>
      handleZaloEvent(deps, tx, {
        inboundEventId,
        event: { type: 'text', eventName: 'user_send_text', timestamp: now.getTime(), userId, msgId: `m${inboundEventId}`, text },
        now,
      }),
    );
    const [row] = await database.db.select({ data: outbox.data }).from(outbox).where(eq(outbox.key, `reply:${inboundEventId}`));
    return (row?.data.messages as OutgoingMessage[] | undefined) ?? [];
  }
  const textOf = (messages: OutgoingMessage[]) => messages.map((m) => ('text' in m ? m.text : '')).join('\n---\n');

  it('reads commands without diacritics, case or punctuation', () => {
    expect(matchAssistantCommand('Việc của tôi!')).toEqual({ type: 'my_cases' });
    expect(matchAssistantCommand('VIEC CUA TOI')).toEqual({ type: 'my_cases' });
    expect(matchAssistantCommand('tra cuu pa 2026 12')).toEqual({ type: 'lookup', code: 'PA-2026-000012' });
    expect(matchAssistantCommand('Báo cáo')).toEqual({ type: 'unit_reports' });
    expect(matchAssistantCommand('bao cao KTXH-THANG tháng 2/2026')).toEqual({ type: 'report_status', regimeCode: 'ktxh-thang', period: 'thang 2/2026' });
    expect(matchAssistantCommand('Đã nộp ktxh-thang')).toEqual({ type: 'submit_report', regimeCode: 'ktxh-thang', period: undefined });
    expect(matchAssistantCommand('chào bạn')).toEqual({ type: 'help' });
  });

  it('sandbox-chuyenvien: "viec cua toi" lists my open cases, earliest due first, with the SLA badge', async () => {
    expect(textOf(await say('sandbox-chuyenvien', 'viec cua toi'))).toBe(
      [
        'Phản ánh anh/chị đang phụ trách (2), theo hạn xử lý:',
        '1. PA-2026-000002 · Đang xử lý · hạn trả lời 17:30 03/03/2026 · còn 1 ngày làm việc',
        '2. PA-2026-000001 · Đang xử lý · hạn trả lời 17:30 10/03/2026 · còn 6 ngày làm việc',
      ].join('\n'),
    );
  });

  it('sandbox-lanhdao: a leader’s work includes the case waiting to be accepted', async () => {
    expect(textOf(await say('sandbox-lanhdao', 'Việc của tôi'))).toBe(
      [
        'Phản ánh anh/chị đang phụ trách (1), theo hạn xử lý:',
        '1. PA-2026-000003 · Đã chuyển xử lý · hạn tiếp nhận 17:30 26/02/2026 · quá hạn 2 ngày làm việc',
      ].join('\n'),
    );
  });

  it('sandbox-lanhdao: "bao cao" lists what the ward owes this period, with due dates and status', async () => {
    const reply = textOf(await say('sandbox-lanhdao', 'bao cao'));
    const lines = reply.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'Báo cáo Phường Hoàn Kiếm phải nộp (5):',
      '• Báo cáo tình hình kinh tế - xã hội tháng (ktxh-thang) – Tháng 2/2026: hạn 17:30 24/02/2026 · Chưa nộp · quá hạn 4 ngày làm việc',
      '• Báo cáo tình hình kinh tế - xã hội tháng (ktxh-thang) – Tháng 3/2026: hạn 17:30 17/03/2026 · Chưa nộp · còn 11 ngày làm việc',
      '• Báo cáo công tác tiếp nhận, xử lý phản ánh, kiến nghị quý (pakn-quy) – Quý I/2026: hạn 17:30 18/03/2026 · Chưa nộp · còn 12 ngày làm việc',
      '• Báo cáo kết quả thực hiện chuyển đổi số quý (cds-quy) – Quý I/2026: hạn 17:30 20/03/2026 · Chưa nộp · còn 14 ngày làm việc',
    ]);
    expect(lines[5]).toMatch(/^• Báo cáo tổng kết công tác năm \(bao-cao-nam\) – Năm 2026: hạn 17:30 17\/12\/2026 · Chưa nộp · còn \d+ ngày làm việc$/);
    expect(lines[6]).toBe('Sau khi nộp, gõ "đã nộp <mã chế độ>" để ghi nhận.');
  });

  it('"đã nộp <mã>" marks the oldest report owed (late here), where the regime allows it', async () => {
    expect(textOf(await say('sandbox-lanhdao', 'da nop ktxh-thang'))).toBe(
      'Đã ghi nhận Phường Hoàn Kiếm nộp Báo cáo tình hình kinh tế - xã hội tháng – Tháng 2/2026: Nộp muộn (sau hạn).',
    );
    expect(textOf(await say('sandbox-lanhdao', 'đã nộp ktxh-thang 2026-02'))).toBe(
      'Báo cáo tình hình kinh tế - xã hội tháng – Tháng 2/2026 của Phường Hoàn Kiếm đã được ghi nhận trước đó: Nộp muộn.',
    );
    expect(textOf(await say('sandbox-lanhdao', 'đã nộp bao-cao-nam'))).toBe(
      'Chế độ báo cáo này được ghi nhận qua Hệ thống thông tin báo cáo, đơn vị không tự đánh dấu đã nộp.',
    );
    expect(textOf(await say('sandbox-lanhdao', 'đã nộp xyz'))).toContain('Không có chế độ báo cáo mã "xyz". Các mã hiện có: bao-cao-nam, cds-quy, ktxh-thang, pakn-quy.');
  });

  it('"bao cao <mã> [kỳ]": only the receiving unit’s leaders see who has and has not submitted', async () => {
    expect(textOf(await say('sandbox-lanhdao', 'bao cao ktxh-thang'))).toBe(
      'Chỉ lãnh đạo đơn vị nhận báo cáo mới xem được tình hình nộp Báo cáo tình hình kinh tế - xã hội tháng.',
    );
    const reply = textOf(await say('sandbox-ldvp', 'báo cáo ktxh-thang T2/2026'));
    const lines = reply.split('\n');
    expect(lines[0]).toBe('Báo cáo tình hình kinh tế - xã hội tháng – Tháng 2/2026 (hạn 17:30 24/02/2026):');
    expect(lines[1]).toBe('Đã nộp 1/126 đơn vị (1 nộp muộn); chưa nộp 125.');
    expect(lines[2]).toMatch(/^• Chưa nộp: Phường .+ … và 105 đơn vị khác$/);
    expect(lines[3]).toBe('• Đã nộp: Phường Hoàn Kiếm');
    // Without a period: the latest one whose deadline has come (February, due 24/02).
    expect(textOf(await say('sandbox-ldvp', 'bao cao ktxh-thang')).split('\n')[0]).toBe(lines[0]);
    expect(textOf(await say('sandbox-ldvp', 'bao cao ktxh-thang 2026-13'))).toBe('Kỳ "2026-13" không có trong Báo cáo tình hình kinh tế - xã hội tháng. Ví dụ kỳ: 2026-01, 2026-Q1, 2026.');
  });

  it('"tra cuu <mã>": the full status of a case of my unit, not of others', async () => {
    expect(textOf(await say('sandbox-chuyenvien', 'tra cuu PA-2026-000002'))).toBe(
      [
        'Phản ánh PA-2026-000002 (Rác thải, vệ sinh môi trường):',
        '• Tình trạng: Đang xử lý',
        '• Đơn vị xử lý: Phường Hoàn Kiếm',
        '• Cán bộ xử lý: Trần Văn Chuyên',
        '• Ngày tiếp nhận: 10:00 10/02/2026',
        '• Hạn trả lời: 17:30 03/03/2026 (còn 1 ngày làm việc)',
        'http://pakn.test/console/cases/2',
      ].join('\n'),
    );
    expect(textOf(await say('sandbox-cvkhac', 'tra cứu PA-2026-000002'))).toBe('Không tìm thấy phản ánh PA-2026-000002 trong phạm vi đơn vị của anh/chị.');
    expect(textOf(await say('sandbox-chuyenvien', 'tra cuu PA-2026-999999'))).toBe('Không tìm thấy phản ánh PA-2026-999999 trong phạm vi đơn vị của anh/chị.');
    // The dispatchers see every case.
    expect(textOf(await say('sandbox-dieuphoi', 'tra cuu PA-2026-000003'))).toContain('• Hạn tiếp nhận: 17:30 26/02/2026 (quá hạn 2 ngày làm việc)');
    expect(textOf(await say('sandbox-chuyenvien', 'tra cuu'))).toBe('Anh/chị gõ "tra cứu" kèm mã phản ánh, ví dụ: tra cứu PA-2026-000123');
  });

  it('anything else gets the list of commands, with buttons', async () => {
    const [reply] = await say('sandbox-chuyenvien', 'xin chào');
    expect(reply?.type).toBe('buttons');
    expect(reply && 'text' in reply ? reply.text : '').toBe(
      [
        'Chào Trần Văn Chuyên. Các lệnh dành cho cán bộ:',
        '• "việc của tôi" – phản ánh anh/chị đang phụ trách, theo hạn xử lý',
        '• "tra cứu <mã>" – tình trạng một phản ánh của đơn vị, ví dụ: tra cứu PA-2026-000123',
        '• "báo cáo" – các báo cáo đơn vị phải nộp kỳ này',
        '• "báo cáo <mã chế độ> [kỳ]" – đơn vị nào đã nộp, chưa nộp (lãnh đạo đơn vị nhận báo cáo), ví dụ: báo cáo ktxh-thang 2026-01',
        '• "đã nộp <mã chế độ> [kỳ]" – ghi nhận đơn vị đã nộp báo cáo',
        'Mã chế độ báo cáo: bao-cao-nam, cds-quy, ktxh-thang, pakn-quy',
      ].join('\n'),
    );
    expect(reply?.type === 'buttons' ? reply.buttons.map((b) => b.payload) : []).toEqual(['việc của tôi', 'báo cáo']);
  });

  it('a Zalo user not linked to an official still gets the citizen menu', async () => {
    const messages = await say('zalo-citizen-42', 'bao cao');
    expect(textOf(messages)).toContain('Xin lỗi, tôi chưa hiểu yêu cầu "bao cao".');
    expect(textOf(messages)).toContain('Gõ "phản ánh" để gửi phản ánh mới');
  });
});
