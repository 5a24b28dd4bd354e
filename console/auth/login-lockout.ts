/** Failed passwords in a row that lock an account. */
export const LOCKOUT_THRESHOLD = 5;
/** How long a locked account refuses every password, the right one included. */
export const LOCKOUT_MS = 15 * 60 * 1000;

export function isLockedOut(lockedUntil: Date | null, now: Date): boolean {
  return lockedUntil !== null && lockedUntil.getTime() > now.getTime();
}

/** Whole minutes left, rounded up, for the message ("thử lại sau 15 phút"). */
export function minutesLeft(lockedUntil: Date, now: Date): number {
  return Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 60_000));
}

export const LOGIN_MESSAGES = {
  wrongCredentials: 'Tên đăng nhập hoặc mật khẩu không đúng.',
  locked: (minutes: number) =>
    `Tài khoản tạm bị khóa do nhập sai mật khẩu ${LOCKOUT_THRESHOLD} lần liên tiếp. Vui lòng thử lại sau ${minutes} phút hoặc liên hệ quản trị viên.`,
  inactive: 'Tài khoản đã ngừng hoạt động. Vui lòng liên hệ quản trị viên.',
  demoRefused: 'Tài khoản demo không được phép đăng nhập ở chế độ vận hành chính thức.',
  invalidForm: 'Vui lòng nhập tên đăng nhập và mật khẩu.',
  tooManyRequests: 'Bạn đã thử đăng nhập quá nhiều lần từ địa chỉ này. Vui lòng đợi một phút rồi thử lại.',
} as const;
