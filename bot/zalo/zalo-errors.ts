/**
 * Error classes for everything that talks to Zalo. The `kind` decides what the caller does next;
 * the numeric `code` is Zalo's own and is kept for logs and the console.
 */

/**
 * - `auth`: the access token was refused; the client refreshes once and retries once by itself.
 * - `transient`: rate limit, 5xx, network, timeout; the caller's job retries later with backoff.
 * - `unreachable`: this user cannot get this message now (window closed, blocked, not a follower);
 *   retrying only burns quota, so the caller switches channel instead (ZALO.md §8.7).
 * - `permanent`: the request itself is wrong (bad field, too large); retrying changes nothing.
 * - `config`: the app/OA is set up wrongly or the grant is dead; a human must act.
 */
export type ZaloErrorKind = 'auth' | 'transient' | 'unreachable' | 'permanent' | 'config';

// Zalo reports the same "token invalid" cause with several codes, signs flipped (ZALO.md §4.4, GOC).
// -124 is the ZNS/ZBS business API's "invalid access token"; the same OA token is used there.
const AUTH_CODES = new Set([-216, 216, -220, 401, -401, -124]);
const TRANSIENT_CODES = new Set([-32]);
// OA window/eligibility codes (ZALO.md §4.4, §8.7) plus the ZNS "user cannot receive"/night codes.
const UNREACHABLE_CODES = new Set([-213, -217, -227, -230, -232, -234, -244, -114, -119, -133]);
// OA/app set up wrongly, OAuth redirect mismatch, ZNS template not approved or account unfunded.
const CONFIG_CODES = new Set([-204, -205, -209, -212, -223, -242, -14003, -131, -115]);
/** `-100`: the attachment id expired (uploads live about 7 days); upload again, then send. */
export const ZALO_ATTACHMENT_EXPIRED = -100;

export function classifyZaloError(code: number | undefined, httpStatus?: number): ZaloErrorKind {
  if (code !== undefined && code !== 0) {
    if (AUTH_CODES.has(code)) return 'auth';
    if (TRANSIENT_CODES.has(code)) return 'transient';
    if (UNREACHABLE_CODES.has(code)) return 'unreachable';
    if (CONFIG_CODES.has(code)) return 'config';
  }
  if (httpStatus !== undefined) {
    if (httpStatus === 401) return 'auth';
    if (httpStatus >= 500 || httpStatus === 408 || httpStatus === 429) return 'transient';
    // A wrong path answers 404 "You are accessing an empty or invalid API" (ZALO.md §4.1).
    if (code === undefined && (httpStatus === 403 || httpStatus === 404)) return 'config';
  }
  // No code and no status: the request never got an answer (network error, timeout).
  if (code === undefined && httpStatus === undefined) return 'transient';
  return 'permanent';
}

export interface ZaloApiErrorInit {
  code?: number;
  kind?: ZaloErrorKind;
  httpStatus?: number;
  /** Which call failed, e.g. `POST /v3.0/oa/message/cs`; never carries tokens or phone numbers. */
  endpoint?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

export class ZaloApiError extends Error {
  readonly code: number | undefined;
  readonly kind: ZaloErrorKind;
  readonly httpStatus: number | undefined;
  readonly endpoint: string | undefined;
  /** For `transient` errors: the earliest sensible retry, for the job's backoff. */
  readonly retryAfterMs: number | undefined;
  /** `-100`: the attachment must be uploaded again before the send can succeed. */
  readonly reuploadNeeded: boolean;
  /** Set by `sendText` when some chunks of a long text were delivered before the failure. */
  sentMessageIds: string[] = [];

  constructor(message: string, init: ZaloApiErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ZaloApiError';
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.kind = init.kind ?? classifyZaloError(init.code, init.httpStatus);
    this.endpoint = init.endpoint;
    this.retryAfterMs = init.retryAfterMs;
    this.reuploadNeeded = init.code === ZALO_ATTACHMENT_EXPIRED;
  }
}

export type ZaloRejectReason = 'unsupported_media_type' | 'image_too_large' | 'file_too_large' | 'invalid_phone' | 'empty_file';

/** Refused locally before any call: Zalo would refuse it too (ZALO.md §8.8), so do not spend quota. */
export class ZaloRequestRejectedError extends ZaloApiError {
  readonly reason: ZaloRejectReason;
  constructor(reason: ZaloRejectReason, message: string) {
    super(message, { kind: 'permanent' });
    this.name = 'ZaloRequestRejectedError';
    this.reason = reason;
  }
}

/** The refresh token is dead (`-118`, `-14014`, invalid grant): an OA admin must consent again. */
export class ZaloGrantDeadError extends ZaloApiError {
  constructor(message: string, code?: number) {
    super(message, { code, kind: 'config' });
    this.name = 'ZaloGrantDeadError';
  }
}

/** No token row yet: the OA was never connected (run the consent flow or seed a token pair). */
export class ZaloTokenMissingError extends ZaloApiError {
  constructor(oaId: string) {
    super(`no Zalo token stored for OA ${oaId}`, { kind: 'config' });
    this.name = 'ZaloTokenMissingError';
  }
}

/** Vietnamese labels for the console, one per error kind. */
export const ZALO_ERROR_KIND_LABELS_VI: Record<ZaloErrorKind, string> = {
  auth: 'Mã truy cập Zalo không hợp lệ',
  transient: 'Zalo tạm thời không phản hồi, hệ thống sẽ thử lại',
  unreachable: 'Không thể gửi tin Zalo cho người dùng này lúc này',
  permanent: 'Zalo từ chối nội dung tin nhắn',
  config: 'Cấu hình Zalo OA cần quản trị viên xử lý',
};
