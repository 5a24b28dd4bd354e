import type { OfficialActor, Role } from '../cases/actor.js';
import type { ReportingRegime } from './reporting-regime.js';

/**
 * Who may do what with report obligations, in one place for the console (and any other edge): an obliged
 * unit's handlers and leaders mark their own unit's report as sent, when the regime lets units do that
 * (markSubmitted's `selfService` checks the regime); the receiving unit's leaders and the admins see every
 * obliged unit's standing and record a submission or a return (trả lại) for any of them — what the city's
 * reporting system does through POST /api/v1/report-submissions.
 */

type ReportActor = Pick<OfficialActor, 'unitId' | 'roles'>;

/** The roles that send their unit's reports: the people the reminders go to, and the handlers who draft them. */
export const OWN_REPORT_ROLES: readonly Role[] = ['unit_leader', 'handler'];

export function mayMarkOwnReport(actor: ReportActor): boolean {
  return actor.roles.some((r) => OWN_REPORT_ROLES.includes(r));
}

/** The receiving unit's leaders and the admins; the receiving unit's other staff read the reports, not the register. */
export function mayReviewSubmissions(actor: ReportActor, regime: Pick<ReportingRegime, 'receivingUnitId'>): boolean {
  if (actor.roles.includes('admin')) return true;
  return actor.roles.includes('unit_leader') && actor.unitId === regime.receivingUnitId;
}

/**
 * Asking for an ad hoc (đột xuất) report under a regime: the same people who receive it and keep its register,
 * the receiving unit's leaders and the admins.
 */
export function mayRequestAdHocReport(actor: ReportActor, regime: Pick<ReportingRegime, 'receivingUnitId'>): boolean {
  return mayReviewSubmissions(actor, regime);
}

export const REPORT_PERMISSION_MESSAGES = {
  ownReportRole: 'Chỉ lãnh đạo đơn vị hoặc chuyên viên xử lý mới đánh dấu báo cáo của đơn vị là đã nộp.',
  reviewRole: 'Chỉ lãnh đạo đơn vị nhận báo cáo hoặc quản trị hệ thống mới xem và cập nhật tình hình nộp báo cáo này.',
  requestRole: 'Chỉ lãnh đạo đơn vị nhận báo cáo hoặc quản trị hệ thống mới yêu cầu báo cáo đột xuất theo chế độ báo cáo này.',
} as const;
