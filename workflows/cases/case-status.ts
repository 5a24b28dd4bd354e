/** Same order as the `case_status` enum of db/schema.ts. "Quá hạn" is derived from due dates, never stored. */
export const CASE_STATUSES = [
  'received',
  'assigned',
  'in_progress',
  'awaiting_info',
  'pending_approval',
  'answered',
  'closed',
  'refused',
  'merged',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** The labels of ARCHITECTURE.md §3, as citizens and officials read them. */
export const CASE_STATUS_LABELS: Record<CaseStatus, string> = {
  received: 'Đã tiếp nhận (chờ phân loại)',
  assigned: 'Đã chuyển xử lý',
  in_progress: 'Đang xử lý',
  awaiting_info: 'Chờ bổ sung thông tin',
  pending_approval: 'Chờ duyệt',
  answered: 'Đã trả lời',
  closed: 'Hoàn thành',
  refused: 'Từ chối',
  merged: 'Đã gộp',
};

export const OVERDUE_LABEL = 'Quá hạn';

/** Still waiting for the city to act: the SLA clocks run (except while awaiting_info). */
export const OPEN_STATUSES: readonly CaseStatus[] = ['received', 'assigned', 'in_progress', 'awaiting_info', 'pending_approval'];

/** A citizen's messages belong to a case in these states: still open, or answered and waiting for the rating. */
export const CONVERSATION_STATUSES: readonly CaseStatus[] = [...OPEN_STATUSES, 'answered'];

/** A unit holds the case: the states a dispatcher may transfer from and an extension may apply to. */
export const UNIT_HELD_STATUSES: readonly CaseStatus[] = ['assigned', 'in_progress', 'awaiting_info', 'pending_approval'];

/** Open cases that count against a handler's load for least_open assignment. */
export const HANDLER_LOAD_STATUSES: readonly CaseStatus[] = ['in_progress', 'awaiting_info', 'pending_approval'];

export function isOpenStatus(status: CaseStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

export const CASE_RATINGS = ['hai_long', 'chap_nhan', 'chua_hai_long'] as const;
export type CaseRating = (typeof CASE_RATINGS)[number];

export const CASE_RATING_LABELS: Record<CaseRating, string> = {
  hai_long: 'Hài lòng',
  chap_nhan: 'Chấp nhận',
  chua_hai_long: 'Chưa hài lòng',
};

/** The buttons under an answer; the delivery job turns them into Zalo quick replies. */
export const CASE_RATING_OPTIONS: ReadonlyArray<{ value: CaseRating; label: string }> = CASE_RATINGS.map((value) => ({
  value,
  label: CASE_RATING_LABELS[value],
}));
