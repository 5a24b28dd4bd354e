/**
 * Example values for the live preview. The citizen-written fields (description, address, answer…) hold
 * markup on purpose, so the admin sees at once that a template prints them as text.
 */
export const SAMPLE_TEMPLATE_VALUES: Readonly<Record<string, unknown>> = {
  caseCode: 'PA-2026-000123',
  code: 'PA-2026-000123',
  unitName: 'Phường Hoàn Kiếm',
  leadUnitName: 'Phường Hoàn Kiếm',
  caseUrl: 'https://pakn.example.gov.vn/console/cases/123',
  answerDueDate: '20/03/2026',
  acceptDueDate: '04/03/2026',
  receivedDate: '02/03/2026',
  resultDate: '15/03/2026',
  plannedDate: '30/04/2026',
  recipientName: 'Trần Văn Chuyên',
  categoryName: 'Rác thải, vệ sinh môi trường',
  statusLabel: 'Đang xử lý',
  description: 'Rác tràn ra đường <b>ngõ 5</b> Hàng Bạc {{7*7}}',
  excerpt: 'Rác tràn ra đường <b>ngõ 5</b> Hàng Bạc',
  address: 'Ngõ 5 Hàng Bạc <i>Hoàn Kiếm</i>',
  answerText: 'Phường đã bố trí thu gom rác trong ngày <script>alert(1)</script>.',
  reason: 'Nội dung thuộc thẩm quyền của đơn vị khác',
  comment: 'Đề nghị bổ sung kết quả kiểm tra hiện trường',
  question: 'Anh/chị vui lòng cho biết vị trí cụ thể?',
  info: 'Vị trí ở đầu ngõ, cạnh cột điện',
  detail: 'Chi tiết bổ sung',
  extraWorkingDays: 5,
  mergedIntoCode: 'PA-2026-000100',
  maskedPhone: '091****678',
};

const KEYWORDS = new Set(['else', 'this', 'if', 'unless', 'each', 'with', 'eq', 'inc', 'lookup', 'log']);

/** Names a template prints: {{name}}, {{#if name}}, {{{name}}}; helpers and block closers are skipped. */
export function listTemplateVariables(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/\{\{\{?~?\s*[#^]?\s*(?:(?:if|unless|each|with)\s+)?([A-Za-z_]\w*)[^}]*\}?\}\}/g)) {
    const name = m[1];
    if (name && !KEYWORDS.has(name)) names.add(name);
  }
  return [...names];
}

/** The sample values the template uses, with a bracketed placeholder for names we have no example of. */
export function buildSampleData(source: string): Record<string, unknown> {
  return Object.fromEntries(listTemplateVariables(source).map((name) => [name, SAMPLE_TEMPLATE_VALUES[name] ?? `[${name}]`]));
}
