/** Why a case command was refused. The console maps codes to HTTP statuses; people read caseErrorMessage. */
export const CASE_ERROR_CODES = [
  'forbidden',
  'not_found',
  'stale_version',
  'invalid_transition',
  'missing_reason',
  'missing_text',
  'invalid_input',
  'invalid_refusal_reason',
  'unknown_unit',
  'same_unit',
  'unknown_handler',
  'no_handler_available',
  'invalid_merge_target',
  'no_contact',
  'invalid_extension',
  'too_early_to_close',
  'unknown_category',
  'same_category',
] as const;
export type CaseErrorCode = (typeof CASE_ERROR_CODES)[number];

export interface CaseError {
  code: CaseErrorCode;
  /** Vietnamese, ready to show. */
  message: string;
}

export function caseErrorMessage(code: CaseErrorCode): string {
  switch (code) {
    case 'forbidden':
      return 'Bạn không có quyền thực hiện thao tác này với hồ sơ.';
    case 'not_found':
      return 'Không tìm thấy hồ sơ.';
    case 'stale_version':
      return 'Hồ sơ đã được người khác cập nhật. Vui lòng tải lại trang và thử lại.';
    case 'invalid_transition':
      return 'Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ.';
    case 'missing_reason':
      return 'Vui lòng nêu lý do.';
    case 'missing_text':
      return 'Vui lòng nhập nội dung.';
    case 'invalid_input':
      return 'Dữ liệu gửi lên không hợp lệ.';
    case 'invalid_refusal_reason':
      return 'Lý do từ chối phải chọn trong danh sách quy định.';
    case 'unknown_unit':
      return 'Đơn vị được chọn không tồn tại hoặc đã ngừng hoạt động.';
    case 'same_unit':
      return 'Hồ sơ đang do chính đơn vị này xử lý; hãy chọn đơn vị khác.';
    case 'unknown_handler':
      return 'Cán bộ được chọn không thuộc đơn vị xử lý hoặc không còn hoạt động.';
    case 'no_handler_available':
      return 'Đơn vị chưa có cán bộ xử lý nào sẵn sàng (tất cả đang nghỉ hoặc đã ngừng hoạt động). Vui lòng chọn cán bộ cụ thể.';
    case 'invalid_merge_target':
      return 'Không thể gộp vào hồ sơ này (hồ sơ không tồn tại, là chính nó, hoặc đã bị gộp/từ chối).';
    case 'no_contact':
      return 'Hồ sơ không có thông tin liên hệ của người gửi nên không thể gửi yêu cầu bổ sung.';
    case 'invalid_extension':
      return 'Thông tin gia hạn không hợp lệ: cần số ngày làm việc gia hạn (từ 1 ngày) hoặc hạn mới sau hạn hiện tại.';
    case 'too_early_to_close':
      return 'Chưa đến thời hạn tự động đóng hồ sơ.';
    case 'unknown_category':
      return 'Lĩnh vực được chọn không tồn tại hoặc đã ngừng sử dụng.';
    case 'same_category':
      return 'Hồ sơ đã thuộc lĩnh vực này.';
    default:
      return assertUnreachable(code);
  }
}

export function caseError(code: CaseErrorCode): CaseError {
  return { code, message: caseErrorMessage(code) };
}

function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case error code: ${String(value)}`);
}

/**
 * Thrown (not returned) when a service is called with input the edge should already have rejected, such as
 * an unknown contact id: a programming error, not a refusal the citizen or official can act on.
 */
export class CaseInputError extends Error {
  constructor(
    readonly code: CaseErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'CaseInputError';
  }
}
