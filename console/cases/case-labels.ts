import type { CaseCommandType } from '../../workflows/cases/case-commands.js';
import type { CaseAction } from '../../workflows/cases/case-state.js';

/** Commands an official can start from the case page; auto_close belongs to the scheduler. */
export type ConsoleCommandType = Exclude<CaseCommandType, 'auto_close'>;

export const CONSOLE_COMMAND_TYPES = [
  'assign',
  'accept',
  'assign_handler',
  'return',
  'refuse',
  'merge',
  'recategorise',
  'transfer',
  'request_info',
  'provide_info',
  'draft_answer',
  'approve',
  'send_back',
  'rate',
  'request_extension',
  'grant_extension',
  'add_note',
  'publish',
] as const satisfies readonly ConsoleCommandType[];

export interface CommandText {
  /** Heading of the form. */
  title: string;
  /** Text of the submit button. */
  button: string;
  /** Flash message after it worked. */
  done: string;
}

export const COMMAND_TEXTS: Record<ConsoleCommandType, CommandText> = {
  assign: { title: 'Chuyển đơn vị xử lý', button: 'Chuyển xử lý', done: 'Đã chuyển hồ sơ cho đơn vị xử lý.' },
  accept: { title: 'Tiếp nhận xử lý', button: 'Tiếp nhận', done: 'Đơn vị đã tiếp nhận hồ sơ và giao cán bộ xử lý.' },
  assign_handler: { title: 'Giao cán bộ xử lý', button: 'Giao cán bộ', done: 'Đã giao hồ sơ cho cán bộ xử lý.' },
  return: { title: 'Trả lại bộ phận điều phối', button: 'Trả lại', done: 'Đã trả lại hồ sơ cho bộ phận điều phối.' },
  refuse: { title: 'Từ chối tiếp nhận', button: 'Từ chối', done: 'Đã từ chối tiếp nhận; người gửi sẽ được thông báo lý do.' },
  merge: { title: 'Gộp vào hồ sơ khác', button: 'Gộp hồ sơ', done: 'Đã gộp hồ sơ.' },
  recategorise: { title: 'Đổi lĩnh vực', button: 'Đổi lĩnh vực', done: 'Đã đổi lĩnh vực của hồ sơ.' },
  transfer: { title: 'Chuyển sang đơn vị khác', button: 'Chuyển đơn vị', done: 'Đã chuyển hồ sơ sang đơn vị khác.' },
  request_info: { title: 'Yêu cầu bổ sung thông tin', button: 'Gửi yêu cầu', done: 'Đã gửi yêu cầu bổ sung thông tin cho người gửi.' },
  provide_info: { title: 'Ghi nhận thông tin bổ sung', button: 'Ghi nhận', done: 'Đã ghi nhận thông tin bổ sung; hồ sơ tiếp tục được xử lý.' },
  draft_answer: { title: 'Dự thảo trả lời', button: 'Gửi dự thảo', done: 'Đã lưu dự thảo trả lời.' },
  approve: { title: 'Duyệt trả lời', button: 'Duyệt và gửi', done: 'Đã duyệt và gửi trả lời cho người gửi.' },
  send_back: { title: 'Trả lại dự thảo', button: 'Trả lại dự thảo', done: 'Đã trả lại dự thảo để chỉnh sửa.' },
  rate: { title: 'Ghi nhận đánh giá của người gửi', button: 'Ghi nhận đánh giá', done: 'Đã ghi nhận đánh giá.' },
  request_extension: { title: 'Đề nghị gia hạn', button: 'Gửi đề nghị', done: 'Đã gửi đề nghị gia hạn tới bộ phận điều phối.' },
  grant_extension: { title: 'Gia hạn xử lý', button: 'Gia hạn', done: 'Đã gia hạn thời hạn trả lời.' },
  add_note: { title: 'Ghi chú nội bộ', button: 'Lưu ghi chú', done: 'Đã lưu ghi chú.' },
  publish: { title: 'Công khai kết quả trả lời', button: 'Công khai', done: 'Đã công khai kết quả trả lời (thông tin cá nhân đã được che).' },
};

/** A draft in a unit that needs no approval is sent at once; the flash must say so. */
export const ANSWER_SENT_TEXT = 'Đã gửi trả lời cho người gửi.';

export const EVENT_ACTION_LABELS: Record<CaseAction, string> = {
  received: 'Tiếp nhận phản ánh, kiến nghị',
  assigned: 'Chuyển đơn vị xử lý',
  accepted: 'Đơn vị tiếp nhận xử lý',
  handler_assigned: 'Giao cán bộ xử lý',
  returned: 'Trả lại bộ phận điều phối',
  refused: 'Từ chối tiếp nhận',
  merged: 'Gộp vào hồ sơ khác',
  recategorised: 'Đổi lĩnh vực',
  transferred: 'Chuyển sang đơn vị khác',
  info_requested: 'Yêu cầu bổ sung thông tin',
  info_provided: 'Nhận thông tin bổ sung',
  answer_drafted: 'Dự thảo trả lời',
  answered: 'Trả lời người gửi',
  approved: 'Duyệt và gửi trả lời',
  sent_back: 'Trả lại dự thảo',
  rated: 'Người gửi đánh giá',
  reopened: 'Mở lại do người gửi chưa hài lòng',
  auto_closed: 'Tự động hoàn thành',
  extension_requested: 'Đề nghị gia hạn',
  extension_granted: 'Gia hạn xử lý',
  note_added: 'Ghi chú nội bộ',
  published: 'Công khai kết quả',
};

export const DELIVERY_STATUS_LABELS: Record<string, string> = {
  pending: 'Đang chờ gửi',
  sending: 'Đang gửi',
  sent: 'Đã gửi',
  delivered: 'Đã đến máy người nhận',
  seen: 'Người nhận đã xem',
  failed: 'Gửi không thành công',
  flagged: 'Không gửi được, cần xử lý thủ công',
  received: 'Đã nhận',
};

export const CONTACT_KIND_LABELS = { citizen: 'Người dân', business: 'Doanh nghiệp' } as const;

export const PRIORITY_LABELS = { normal: 'Thường', urgent: 'Khẩn', complex: 'Phức tạp' } as const;

export const CHANNEL_LABELS: Record<string, string> = {
  zalo: 'Zalo',
  zbs: 'Zalo (tin mẫu)',
  email: 'Thư điện tử',
  console: 'Nhập tại bảng điều khiển',
  api: 'Hệ thống khác (API)',
  internal: 'Nội bộ',
};
