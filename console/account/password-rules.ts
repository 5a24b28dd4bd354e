/** What a new console password must be, checked before the current one is (so a rule never costs an attempt). */

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;
/** The login form's own limit: a longer "current password" cannot be one. */
const MAX_CURRENT_PASSWORD_LENGTH = 1000;

export interface PasswordChangeInput {
  login: string;
  currentPassword: string;
  newPassword: string;
  newPasswordRepeat: string;
}

export const PASSWORD_MESSAGES = {
  currentMissing: 'Vui lòng nhập mật khẩu hiện tại.',
  currentInvalid: 'Mật khẩu hiện tại không hợp lệ.',
  newMissing: 'Vui lòng nhập mật khẩu mới.',
  tooShort: `Mật khẩu mới phải có ít nhất ${MIN_PASSWORD_LENGTH} ký tự.`,
  tooLong: `Mật khẩu mới quá dài (tối đa ${MAX_PASSWORD_LENGTH} ký tự).`,
  mismatch: 'Hai lần nhập mật khẩu mới không khớp nhau.',
  sameAsLogin: 'Mật khẩu mới không được trùng với tên đăng nhập.',
  sameAsCurrent: 'Mật khẩu mới phải khác mật khẩu hiện tại.',
  wrongCurrent: 'Mật khẩu hiện tại không đúng.',
  changed: 'Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã được đăng xuất.',
  required:
    'Mật khẩu anh/chị đang dùng do quản trị viên cấp. Vui lòng đặt mật khẩu mới của riêng mình trước khi tiếp tục làm việc trên hệ thống.',
} as const;

/** Characters as people count them: "mật khẩu" typed with combining marks or precomposed counts the same. */
function length(password: string): number {
  return [...password.normalize('NFC')].length;
}

/** The first rule the form breaks, in the order the fields appear; null when the change may be attempted. */
export function checkPasswordChange(input: PasswordChangeInput): string | null {
  const current = input.currentPassword.normalize('NFC');
  const next = input.newPassword.normalize('NFC');
  if (current === '') return PASSWORD_MESSAGES.currentMissing;
  if (length(current) > MAX_CURRENT_PASSWORD_LENGTH) return PASSWORD_MESSAGES.currentInvalid;
  if (next.trim() === '') return PASSWORD_MESSAGES.newMissing;
  if (length(next) < MIN_PASSWORD_LENGTH) return PASSWORD_MESSAGES.tooShort;
  if (length(next) > MAX_PASSWORD_LENGTH) return PASSWORD_MESSAGES.tooLong;
  if (input.newPasswordRepeat.normalize('NFC') !== next) return PASSWORD_MESSAGES.mismatch;
  // Logins are stored in lower case and typed in any case: "NguyenVanA " is still the login.
  if (next.trim().toLowerCase() === input.login.trim().toLowerCase()) return PASSWORD_MESSAGES.sameAsLogin;
  if (next === current) return PASSWORD_MESSAGES.sameAsCurrent;
  return null;
}
