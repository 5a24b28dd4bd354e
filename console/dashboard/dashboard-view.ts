import { CASE_STATUS_LABELS, CASE_STATUSES } from '../../workflows/cases/case-status.js';
import type { CaseKpis, KpiGroup, PeriodPoint } from '../../workflows/dashboard/case-kpis.js';

/** Vietnamese number style: comma for decimals ("85,7 %"). */
export function formatPercent(rate: number | null): string {
  if (rate === null) return '—';
  return `${(Math.round(rate * 1000) / 10).toString().replace('.', ',')} %`;
}

export function formatDays(days: number | null): string {
  if (days === null) return '—';
  return `${days.toString().replace('.', ',')} ngày làm việc`;
}

/** Chart.js input, read by dashboard.js from a data attribute (the CSP forbids inline scripts). */
export interface ChartSpec {
  type: 'bar' | 'line' | 'doughnut';
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
  /** Horizontal bars for long unit and category names. */
  horizontal?: boolean;
}

export function describeKpiCards(k: CaseKpis) {
  return [
    { label: 'Tổng số hồ sơ tiếp nhận', value: String(k.total), note: '' },
    {
      label: 'Tỷ lệ trả lời đúng hạn',
      value: formatPercent(k.onTimeRate),
      note: `${k.answeredOnTime} đúng hạn / (${k.answered} đã trả lời + ${k.openOverdue} đang quá hạn)`,
    },
    { label: 'Thời gian xử lý (trung vị)', value: formatDays(k.medianWorkingDays), note: 'Từ khi tiếp nhận đến khi trả lời' },
    {
      label: 'Mức độ hài lòng',
      value: formatPercent(k.satisfactionRate),
      note: `${k.satisfied} hài lòng hoặc chấp nhận / ${k.rated} lượt đánh giá`,
    },
  ];
}

export function describeStatusRows(k: CaseKpis) {
  return CASE_STATUSES.map((s) => ({ status: s, label: CASE_STATUS_LABELS[s], count: k.byStatus[s] }));
}

export function buildStatusChart(k: CaseKpis): ChartSpec {
  return {
    type: 'bar',
    labels: CASE_STATUSES.map((s) => CASE_STATUS_LABELS[s]),
    datasets: [{ label: 'Số hồ sơ', data: CASE_STATUSES.map((s) => k.byStatus[s]) }],
  };
}

export function buildPeriodChart(points: readonly PeriodPoint[]): ChartSpec {
  return {
    type: 'line',
    labels: points.map((p) => p.period),
    datasets: [
      { label: 'Tiếp nhận', data: points.map((p) => p.received) },
      { label: 'Đã trả lời', data: points.map((p) => p.answered) },
      { label: 'Trả lời đúng hạn', data: points.map((p) => p.answeredOnTime) },
    ],
  };
}

/** Rows of a group table and its chart; the chart shows the largest groups, the table all of them. */
export function describeGroups(groups: readonly KpiGroup[], nameOf: (key: number | null) => string, chartLimit = 15) {
  const rows = groups.map((g) => ({
    name: nameOf(g.key),
    total: g.kpis.total,
    answered: g.kpis.answered,
    onTime: formatPercent(g.kpis.onTimeRate),
    median: formatDays(g.kpis.medianWorkingDays),
    satisfaction: formatPercent(g.kpis.satisfactionRate),
  }));
  const top = groups.slice(0, chartLimit);
  const chart: ChartSpec = {
    type: 'bar',
    horizontal: true,
    labels: top.map((g) => nameOf(g.key)),
    datasets: [
      { label: 'Tiếp nhận', data: top.map((g) => g.kpis.total) },
      { label: 'Trả lời đúng hạn', data: top.map((g) => g.kpis.answeredOnTime) },
    ],
  };
  return { rows, chartJson: JSON.stringify(chart) };
}
