import { formatVnDate, formatVnDateTime } from '../../workflows/calendar/working-calendar.js';
import type { DatedReportPeriod } from '../../workflows/reports/report-periods.js';
import { REPORT_FREQUENCY_LABELS, type ReportFrequency, type ReportingRegime, type TCutoffRule, type TDeadlineRule } from '../../workflows/reports/reporting-regime.js';

/** How the console words a regime's rules: the admin list, the edit page and the officials' report page. */

export const CUTOFF_TYPE_LABELS: Record<TCutoffRule['type'], string> = {
  nd09_2019: 'Theo Điều 12 NĐ 09/2019/NĐ-CP: từ ngày 15 tháng trước kỳ đến ngày 14 tháng cuối kỳ',
  calendar: 'Theo tháng dương lịch: từ ngày 1 tháng đầu kỳ đến ngày cuối tháng cuối kỳ',
};

export const DEADLINE_TYPE_LABELS: Record<TDeadlineRule['type'], string> = {
  working_days_after_cutoff: 'Số ngày làm việc sau ngày chốt số liệu',
  calendar_days_after_cutoff: 'Số ngày (tính cả ngày nghỉ) sau ngày chốt số liệu',
  fixed_day_of_month: 'Một ngày cố định trong tháng',
};

/** monthOffset counts from the month the data window ends in (the period's last month). */
export function describeMonthOffset(offset: number): string {
  if (offset === 0) return 'tháng cuối kỳ (tháng chốt số liệu)';
  if (offset === 1) return 'tháng liền sau kỳ';
  if (offset < 0) return `${-offset} tháng trước tháng cuối kỳ`;
  return `tháng thứ ${offset} sau kỳ`;
}

export function describeDeadlineRule(rule: TDeadlineRule): string {
  switch (rule.type) {
    case 'working_days_after_cutoff':
      return rule.days === 0 ? 'Ngay ngày chốt số liệu' : `${String(rule.days).padStart(2, '0')} ngày làm việc sau ngày chốt số liệu`;
    case 'calendar_days_after_cutoff':
      return `${String(rule.days).padStart(2, '0')} ngày sau ngày chốt số liệu (trùng ngày nghỉ thì chuyển sang ngày làm việc kế tiếp)`;
    case 'fixed_day_of_month':
      return `Ngày ${rule.day} ${describeMonthOffset(rule.monthOffset)} (trùng ngày nghỉ thì chuyển sang ngày làm việc kế tiếp)`;
  }
}

export function describeCutoffRule(rule: TCutoffRule, frequency: ReportFrequency): string {
  const base = CUTOFF_TYPE_LABELS[rule.type];
  return frequency === 'six_month' && rule.includeSecondHalf ? `${base}; có cả kỳ 6 tháng cuối năm` : base;
}

export function describeFrequency(frequency: ReportFrequency): string {
  return REPORT_FREQUENCY_LABELS[frequency];
}

/** "Tháng 3/2026 (15/02/2026 – 14/03/2026), hạn 17:30 17/03/2026". */
export function describeDatedPeriod(period: DatedReportPeriod): string {
  return `${period.label} (số liệu ${describeWindow(period.start, period.end)}), hạn gửi ${formatVnDateTime(period.dueAt)}`;
}

/** Local days 'YYYY-MM-DD' to "15/02/2026 – 14/03/2026". */
export function describeWindow(start: string, end: string): string {
  const vn = (day: string) => formatVnDate(new Date(`${day}T12:00:00+07:00`));
  return `${vn(start)} – ${vn(end)}`;
}

export function describeObligedUnits(regime: Pick<ReportingRegime, 'obligedUnitKinds' | 'obligedUnitIds'>, kindLabel: (kind: string) => string, unitName: (id: number) => string): string {
  const parts: string[] = [];
  if (regime.obligedUnitKinds.length > 0) parts.push(`Mọi ${regime.obligedUnitKinds.map(kindLabel).join(', ')}`);
  if (regime.obligedUnitIds.length > 0) parts.push(regime.obligedUnitIds.map(unitName).join(', '));
  return parts.join('; ') || 'Chưa chọn đơn vị';
}
