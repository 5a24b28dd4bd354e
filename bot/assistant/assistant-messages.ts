import type { ObligationView } from '../../workflows/reports/report-obligations.js';

/**
 * Everything the officials' assistant says, in one place. The replies are lists assembled from queries, so
 * they are built here rather than in templates/zalo (which holds the messages the outbox renders).
 */

export interface CaseLine {
  code: string;
  statusLabel: string;
  stepLabel: string | null;
  dueDate: string | null;
  badge: string;
}

export const ASSISTANT_TEXTS = {
  commands: (officialName: string, regimeCodes: readonly string[]) =>
    [
      `Chào ${officialName}. Các lệnh dành cho cán bộ:`,
      '• "việc của tôi" – phản ánh anh/chị đang phụ trách, theo hạn xử lý',
      '• "tra cứu <mã>" – tình trạng một phản ánh của đơn vị, ví dụ: tra cứu PA-2026-000123',
      '• "báo cáo" – các báo cáo đơn vị phải nộp kỳ này',
      '• "báo cáo <mã chế độ> [kỳ]" – đơn vị nào đã nộp, chưa nộp (lãnh đạo đơn vị nhận báo cáo), ví dụ: báo cáo ktxh-thang 2026-01',
      '• "đã nộp <mã chế độ> [kỳ]" – ghi nhận đơn vị đã nộp báo cáo',
      ...(regimeCodes.length > 0 ? [`Mã chế độ báo cáo: ${regimeCodes.join(', ')}`] : []),
    ].join('\n'),
  notLinked: 'Tài khoản Zalo này chưa gắn với cán bộ đang hoạt động. Vui lòng liên hệ quản trị hệ thống.',

  linkAskCode: 'Anh/chị gửi "liên kết" kèm mã 6 chữ số do quản trị viên cấp trên bảng điều khiển (Quản trị → Cán bộ), ví dụ: liên kết 123456',
  linkTooManyFailures: (maxFailures: number, minutes: number) =>
    `Tài khoản Zalo này đã nhập sai mã liên kết ${maxFailures} lần trong 1 giờ nên tạm thời không thể liên kết. Vui lòng thử lại sau ${minutes} phút hoặc liên hệ quản trị viên.`,
  linkFailuresLeft: (left: number) => `Anh/chị còn ${left} lần thử trong 1 giờ.`,

  myCasesEmpty: 'Anh/chị hiện không có phản ánh nào đang chờ xử lý.',
  myCases: (lines: readonly CaseLine[], total: number) =>
    [
      `Phản ánh anh/chị đang phụ trách (${total}), theo hạn xử lý:`,
      ...lines.map(
        (l, i) => `${i + 1}. ${l.code} · ${l.statusLabel}${l.dueDate ? ` · hạn ${l.stepLabel ?? 'xử lý'} ${l.dueDate}` : ''} · ${l.badge}`,
      ),
      ...(total > lines.length ? [`… và ${total - lines.length} phản ánh khác (xem trên bảng điều khiển).`] : []),
    ].join('\n'),

  askCaseCode: 'Anh/chị gõ "tra cứu" kèm mã phản ánh, ví dụ: tra cứu PA-2026-000123',
  caseNotFound: (code: string) => `Không tìm thấy phản ánh ${code} trong phạm vi đơn vị của anh/chị.`,
  caseStatus: (c: {
    code: string;
    statusLabel: string;
    categoryName: string | null;
    unitName: string | null;
    assigneeName: string | null;
    receivedDate: string;
    stepLabel: string | null;
    dueDate: string | null;
    badge: string;
    answerDueDate: string | null;
    answer: string | null;
    url: string | null;
  }) =>
    [
      `Phản ánh ${c.code}${c.categoryName ? ` (${c.categoryName})` : ''}:`,
      `• Tình trạng: ${c.statusLabel}`,
      `• Đơn vị xử lý: ${c.unitName ?? 'chưa giao'}`,
      `• Cán bộ xử lý: ${c.assigneeName ?? 'chưa phân công'}`,
      `• Ngày tiếp nhận: ${c.receivedDate}`,
      ...(c.dueDate ? [`• Hạn ${c.stepLabel ?? 'xử lý'}: ${c.dueDate} (${c.badge})`] : c.badge ? [`• Thời hạn: ${c.badge}`] : []),
      ...(c.answerDueDate ? [`• Hạn trả lời: ${c.answerDueDate}`] : []),
      ...(c.answer ? [`• Trả lời: ${c.answer}`] : []),
      ...(c.url ? [c.url] : []),
    ].join('\n'),

  unitReportsEmpty: (unitName: string) => `${unitName} hiện không có báo cáo phải nộp.`,
  unitReports: (unitName: string, items: readonly ObligationView[], lines: readonly string[]) =>
    [
      `Báo cáo ${unitName} phải nộp (${items.length}):`,
      ...lines,
      ...(items.some((o) => o.status === 'chua_nop' || o.status === 'tra_lai') ? ['Sau khi nộp, gõ "đã nộp <mã chế độ>" để ghi nhận.'] : []),
    ].join('\n'),
  obligationLine: (o: ObligationView, dueDate: string, badge: string) =>
    `• ${o.regimeName} (${o.regimeCode}) – ${o.periodLabel}: hạn ${dueDate} · ${o.statusLabel}${badge ? ` · ${badge}` : ''}`,

  unknownRegime: (code: string, codes: readonly string[]) =>
    `Không có chế độ báo cáo mã "${code}".${codes.length > 0 ? ` Các mã hiện có: ${codes.join(', ')}.` : ''}`,
  unknownPeriod: (period: string, regimeName: string) => `Kỳ "${period}" không có trong ${regimeName}. Ví dụ kỳ: 2026-01, 2026-Q1, 2026.`,
  notReceivingLeader: (regimeName: string) => `Chỉ lãnh đạo đơn vị nhận báo cáo mới xem được tình hình nộp ${regimeName}.`,
  submissionStatusEmpty: (regimeName: string, periodLabel: string) => `${regimeName} – ${periodLabel}: chưa có đơn vị nào phải nộp.`,
  submissionStatus: (s: {
    regimeName: string;
    periodLabel: string;
    dueDate: string;
    total: number;
    submitted: readonly string[];
    late: number;
    missing: readonly string[];
    maxListed: number;
  }) => {
    const list = (names: readonly string[]) =>
      names.length <= s.maxListed ? names.join(', ') : `${names.slice(0, s.maxListed).join(', ')} … và ${names.length - s.maxListed} đơn vị khác`;
    return [
      `${s.regimeName} – ${s.periodLabel} (hạn ${s.dueDate}):`,
      `Đã nộp ${s.submitted.length}/${s.total} đơn vị${s.late > 0 ? ` (${s.late} nộp muộn)` : ''}; chưa nộp ${s.missing.length}.`,
      ...(s.missing.length > 0 ? [`• Chưa nộp: ${list(s.missing)}`] : []),
      ...(s.submitted.length > 0 ? [`• Đã nộp: ${list(s.submitted)}`] : []),
    ].join('\n');
  },

  notObliged: (unitName: string, regimeName: string) => `${unitName} không thuộc diện phải nộp ${regimeName}.`,
  submitNotAllowedRole: 'Chỉ lãnh đạo hoặc chuyên viên của đơn vị được ghi nhận đã nộp báo cáo.',
  nothingOwed: (regimeName: string) => `Đơn vị không còn kỳ nào của ${regimeName} đang chờ nộp.`,
  submitted: (o: ObligationView, changed: boolean) =>
    changed
      ? `Đã ghi nhận ${o.unitName} nộp ${o.regimeName} – ${o.periodLabel}: ${o.statusLabel}${o.status === 'nop_muon' ? ' (sau hạn)' : ' (đúng hạn)'}.`
      : `${o.regimeName} – ${o.periodLabel} của ${o.unitName} đã được ghi nhận trước đó: ${o.statusLabel}.`,
} as const;
