/** Why a report operation was refused; the edges map codes to HTTP statuses, people read the messages. */
export const REPORT_ERROR_CODES = [
  'unknown_regime',
  'unknown_unit',
  'unknown_period',
  'not_obliged',
  'already_submitted',
  'not_submitted',
  'self_submit_not_allowed',
] as const;
export type ReportErrorCode = (typeof REPORT_ERROR_CODES)[number];

export function reportErrorMessage(code: ReportErrorCode): string {
  switch (code) {
    case 'unknown_regime':
      return 'Không tìm thấy chế độ báo cáo với mã này.';
    case 'unknown_unit':
      return 'Không tìm thấy đơn vị với mã này.';
    case 'unknown_period':
      return 'Kỳ báo cáo không có trong chế độ báo cáo này.';
    case 'not_obliged':
      return 'Đơn vị không thuộc diện phải nộp báo cáo này.';
    case 'already_submitted':
      return 'Báo cáo kỳ này đã được ghi nhận với một mã văn bản khác.';
    case 'not_submitted':
      return 'Báo cáo kỳ này chưa được nộp nên không thể trả lại.';
    case 'self_submit_not_allowed':
      return 'Chế độ báo cáo này được ghi nhận qua Hệ thống thông tin báo cáo, đơn vị không tự đánh dấu đã nộp.';
    default:
      return assertUnreachable(code);
  }
}

function assertUnreachable(value: never): never {
  throw new Error(`Unexpected report error code: ${String(value)}`);
}
