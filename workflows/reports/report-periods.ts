import { foldVietnamese } from '../text/fold-vietnamese.js';
import { addWorkingDays, localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { atLocalTime, firstWorkingDayFrom } from '../nudges/send-window.js';
import type { ReportFrequency, ReportingRegime, TCutoffRule, TDeadlineRule } from './reporting-regime.js';

/** One reporting period: its key, what people read, and the data window (both days inclusive, local). */
export interface ReportPeriod {
  /** `2026-01`, `2026-Q1`, `2026-H1`/`2026-H2`, `2026-9M`, `2026`; ad hoc requests bring their own. */
  key: string;
  label: string;
  start: string;
  end: string;
}

export interface DatedReportPeriod extends ReportPeriod {
  dueAt: Date;
}

const ROMAN = ['I', 'II', 'III', 'IV'] as const;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function day(year: number, month: number, dayOfMonth: number): string {
  // month may be 0 (December of the year before) or 13 (January after): Date.UTC rolls them over.
  const d = new Date(Date.UTC(year, month - 1, dayOfMonth));
  return d.toISOString().slice(0, 10);
}

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The data window ending in `lastMonth` and starting with `firstMonth` (1-based; ≤ 0 reaches into the year
 * before). ND 09/2019: from the 15th of the month before the first month to the 14th of the last month.
 */
function window(rule: TCutoffRule, year: number, firstMonth: number, lastMonth: number): { start: string; end: string } {
  if (rule.type === 'calendar') return { start: day(year, firstMonth, 1), end: day(year, lastMonth, lastDayOfMonth(year, lastMonth)) };
  return { start: day(year, firstMonth - 1, 15), end: day(year, lastMonth, 14) };
}

/**
 * The periods of `year` for a regime, in order (DOMAIN.md §4.1). With the ND 09/2019 cut-off the first
 * period of a year starts on 15/12 of the year before: January 2026 is 15/12/2025 → 14/01/2026.
 * Ad hoc regimes have no calendar of their own: their periods are created on request.
 */
export function generatePeriods(regime: { frequency: ReportFrequency; cutoffRule: TCutoffRule }, year: number): ReportPeriod[] {
  const rule = regime.cutoffRule;
  switch (regime.frequency) {
    case 'monthly':
      return Array.from({ length: 12 }, (_, i) => ({
        key: `${year}-${pad2(i + 1)}`,
        label: `Tháng ${i + 1}/${year}`,
        ...window(rule, year, i + 1, i + 1),
      }));
    case 'quarterly':
      return ROMAN.map((roman, i) => ({
        key: `${year}-Q${i + 1}`,
        label: `Quý ${roman}/${year}`,
        ...window(rule, year, 3 * i + 1, 3 * i + 3),
      }));
    case 'six_month': {
      const first: ReportPeriod = { key: `${year}-H1`, label: `6 tháng đầu năm ${year}`, ...window(rule, year, 1, 6) };
      if (!rule.includeSecondHalf) return [first];
      return [first, { key: `${year}-H2`, label: `6 tháng cuối năm ${year}`, ...window(rule, year, 7, 12) }];
    }
    case 'nine_month':
      return [{ key: `${year}-9M`, label: `9 tháng năm ${year}`, ...window(rule, year, 1, 9) }];
    case 'annual':
      return [{ key: `${year}`, label: `Năm ${year}`, ...window(rule, year, 1, 12) }];
    case 'ad_hoc':
      return [];
  }
}

/**
 * When the report is due: the end of the working day the rule names. "2 working days after the cut-off"
 * counts from the day after the cut-off's last day (Civil Code counting, DOMAIN.md §5); "5 days after" and a
 * fixed day of the month that land on a day off move to the next working day.
 */
export function computeReportDueAt(rule: TDeadlineRule, period: Pick<ReportPeriod, 'end'>, cal: WorkingCalendar): Date {
  switch (rule.type) {
    case 'working_days_after_cutoff':
      return addWorkingDays(cal, atLocalTime(period.end, '12:00'), rule.days);
    case 'calendar_days_after_cutoff': {
      const [y, m, d] = period.end.split('-').map(Number) as [number, number, number];
      const target = firstWorkingDayFrom(cal, day(y, m, d + rule.days));
      return addWorkingDays(cal, atLocalTime(target, '12:00'), 0);
    }
    case 'fixed_day_of_month': {
      const [y, m] = period.end.split('-').map(Number) as [number, number];
      const month = m + rule.monthOffset;
      const targetYear = y + Math.floor((month - 1) / 12);
      const targetMonth = ((((month - 1) % 12) + 12) % 12) + 1;
      const dayOfMonth = Math.min(rule.day, lastDayOfMonth(targetYear, targetMonth));
      const target = firstWorkingDayFrom(cal, day(targetYear, targetMonth, dayOfMonth));
      return addWorkingDays(cal, atLocalTime(target, '12:00'), 0);
    }
  }
}

/** Periods of the years around `year`, with due dates, in due order. */
export function listDatedPeriods(
  regime: Pick<ReportingRegime, 'frequency' | 'cutoffRule' | 'deadlineRule'>,
  cal: WorkingCalendar,
  years: readonly number[],
): DatedReportPeriod[] {
  return years
    .flatMap((y) => generatePeriods(regime, y))
    .map((p) => ({ ...p, dueAt: computeReportDueAt(regime.deadlineRule, p, cal) }))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}

function yearsAround(now: Date): number[] {
  const y = Number(localDay(now).slice(0, 4));
  return [y - 1, y, y + 1, y + 2];
}

/**
 * The period being reported on now: the first whose due day is today or later. On the deadline day it is
 * still that period; the next morning the following one takes over.
 */
export function findCurrentPeriod(
  regime: Pick<ReportingRegime, 'frequency' | 'cutoffRule' | 'deadlineRule'>,
  cal: WorkingCalendar,
  now: Date,
): { current: DatedReportPeriod; next: DatedReportPeriod | undefined } | undefined {
  const today = localDay(now);
  const periods = listDatedPeriods(regime, cal, yearsAround(now));
  const index = periods.findIndex((p) => localDay(p.dueAt) >= today);
  if (index < 0) return undefined;
  return { current: periods[index]!, next: periods[index + 1] };
}

/** The latest period whose deadline is today or already passed: the one whose submissions can be judged. */
export function findLatestDuePeriod(
  regime: Pick<ReportingRegime, 'frequency' | 'cutoffRule' | 'deadlineRule'>,
  cal: WorkingCalendar,
  now: Date,
): DatedReportPeriod | undefined {
  const today = localDay(now);
  const periods = listDatedPeriods(regime, cal, yearsAround(now)).filter((p) => localDay(p.dueAt) <= today);
  return periods[periods.length - 1];
}

/** The period with this key under the regime, with its due date; undefined for a key the regime never has. */
export function findPeriodByKey(
  regime: Pick<ReportingRegime, 'frequency' | 'cutoffRule' | 'deadlineRule'>,
  cal: WorkingCalendar,
  key: string,
): DatedReportPeriod | undefined {
  const year = Number(key.slice(0, 4));
  if (!Number.isInteger(year) || year < 2000 || year > 2100) return undefined;
  const period = generatePeriods(regime, year).find((p) => p.key === key);
  return period ? { ...period, dueAt: computeReportDueAt(regime.deadlineRule, period, cal) } : undefined;
}

/**
 * What people type for a period, to its key: "2026-01", "01/2026", "1/2026", "t1/2026", "tháng 1/2026",
 * "q1/2026", "quý 1/2026", "2026-Q1", "6t/2026", "2026-H1", "9t/2026", "2026". undefined when unreadable.
 */
export function normalisePeriodKey(input: string): string | undefined {
  const text = foldVietnamese(input).replace(/\s+/g, '').replace(/^ky/, '');
  let m = /^(\d{4})-(\d{1,2})$/.exec(text) ?? null;
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) return `${m[1]}-${pad2(Number(m[2]))}`;
  m = /^(?:t|thang)?(\d{1,2})[/-](\d{4})$/.exec(text);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 12) return `${m[2]}-${pad2(Number(m[1]))}`;
  m = /^(\d{4})-?q([1-4])$/.exec(text) ?? null;
  if (m) return `${m[1]}-Q${m[2]}`;
  m = /^(?:q|quy)([1-4]|i{1,3}|iv)[/-](\d{4})$/.exec(text);
  if (m) {
    const quarter = { i: 1, ii: 2, iii: 3, iv: 4 }[m[1]!] ?? Number(m[1]);
    return `${m[2]}-Q${quarter}`;
  }
  m = /^(\d{4})-?(h[12]|9m)$/.exec(text);
  if (m) return `${m[1]}-${m[2]!.toUpperCase()}`;
  m = /^(6|9)(?:t|thang)[/-]?(\d{4})$/.exec(text);
  if (m) return `${m[2]}-${m[1] === '6' ? 'H1' : '9M'}`;
  m = /^(?:nam)?(\d{4})$/.exec(text);
  if (m) return m[1];
  return undefined;
}
