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

/** Why an ad hoc (đột xuất) request was refused (requestAdHocReport); its own list, the submissions' is unchanged. */
export const AD_HOC_REQUEST_ERROR_CODES = [
  'unknown_regime',
  'not_ad_hoc',
  'invalid_period_key',
  'period_exists',
  'invalid_window',
  'due_passed',
  'note_too_long',
  'no_units',
  'not_obliged',
  'nobody_obliged',
] as const;
export type AdHocRequestErrorCode = (typeof AD_HOC_REQUEST_ERROR_CODES)[number];

export function adHocRequestErrorMessage(code: AdHocRequestErrorCode): string {
  switch (code) {
    case 'unknown_regime':
      return reportErrorMessage('unknown_regime');
    case 'not_ad_hoc':
      return 'Chế độ báo cáo này là báo cáo định kỳ: kỳ và hạn gửi theo lịch của chế độ, không yêu cầu đột xuất được. Hãy chọn một chế độ báo cáo đột xuất.';
    case 'invalid_period_key':
      return 'Mã đợt báo cáo gồm 3–40 ký tự: chữ thường không dấu, số và dấu gạch ngang, bắt đầu bằng chữ hoặc số (ví dụ: mua-lu-2026-03).';
    case 'period_exists':
      return 'Mã đợt báo cáo này đã được dùng cho một yêu cầu trước của chế độ báo cáo này. Vui lòng đặt mã khác.';
    case 'invalid_window':
      return 'Thời gian số liệu không hợp lệ: ngày bắt đầu không được sau ngày kết thúc, và ngày kết thúc không được sau hạn gửi.';
    case 'due_passed':
      return 'Hạn gửi phải sau thời điểm hiện tại.';
    case 'note_too_long':
      return 'Nội dung yêu cầu quá dài (tối đa 1.000 ký tự).';
    case 'no_units':
      return 'Vui lòng chọn ít nhất một đơn vị phải gửi báo cáo.';
    case 'not_obliged':
      return 'Có đơn vị được chọn không thuộc diện phải nộp báo cáo này.';
    case 'nobody_obliged':
      return 'Chế độ báo cáo này chưa có đơn vị nào phải nộp. Đề nghị quản trị hệ thống bổ sung đơn vị phải nộp.';
    default:
      return assertUnreachable(code);
  }
}

function assertUnreachable(value: never): never {
  throw new Error(`Unexpected report error code: ${String(value)}`);
}
