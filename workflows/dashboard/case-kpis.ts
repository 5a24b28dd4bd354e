import { localDay, workingMsBetween, type WorkingCalendar } from '../calendar/working-calendar.js';
import { CASE_STATUSES, type CaseRating, type CaseStatus } from '../cases/case-status.js';

/**
 * The dashboard's indicators, computed from stored facts (ANCHORS.md §2.5 #7: the on-time flag is frozen
 * when the answer is sent, so a later calendar edit does not rewrite history). Pure functions: the repo
 * loads the rows the official may see, these turn them into numbers.
 */

/** The columns of one case the indicators need; nothing a citizen wrote. */
export interface CaseFact {
  status: CaseStatus;
  categoryId: number | null;
  areaUnitId: number | null;
  responsibleUnitId: number | null;
  receivedAt: Date;
  answerDueAt: Date | null;
  answeredAt: Date | null;
  answeredOnTime: boolean | null;
  rating: CaseRating | null;
}

export interface CaseKpis {
  total: number;
  byStatus: Record<CaseStatus, number>;
  /** Cases with a frozen on-time flag (the answer was sent). */
  answered: number;
  answeredOnTime: number;
  /** Open cases whose answer due date has passed: they count against the rate (ANCHORS.md §1.7 #14). */
  openOverdue: number;
  /** answeredOnTime ÷ (answered + openOverdue); null when the denominator is 0. */
  onTimeRate: number | null;
  /** Median of received → answered in working days (working time ÷ a working day), one decimal. */
  medianWorkingDays: number | null;
  rated: number;
  /** Rated "hài lòng" or "chấp nhận". */
  satisfied: number;
  /** satisfied ÷ rated; null when nobody rated. */
  satisfactionRate: number | null;
}

/** Statuses whose answer clock is running (awaiting_info is paused, so it is not overdue). */
const RUNNING_STATUSES: ReadonlySet<CaseStatus> = new Set(['received', 'assigned', 'in_progress', 'pending_approval']);

export function summarizeCases(facts: readonly CaseFact[], calendar: WorkingCalendar, now: Date): CaseKpis {
  const byStatus = Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
  let answered = 0;
  let answeredOnTime = 0;
  let openOverdue = 0;
  let rated = 0;
  let satisfied = 0;
  const handlingDays: number[] = [];

  for (const f of facts) {
    byStatus[f.status] += 1;
    if (f.answeredOnTime !== null) {
      answered += 1;
      if (f.answeredOnTime) answeredOnTime += 1;
    } else if (RUNNING_STATUSES.has(f.status) && f.answerDueAt !== null && f.answerDueAt.getTime() < now.getTime()) {
      openOverdue += 1;
    }
    if (f.answeredAt !== null) handlingDays.push(measureWorkingDays(calendar, f.receivedAt, f.answeredAt));
    if (f.rating !== null) {
      rated += 1;
      if (f.rating === 'hai_long' || f.rating === 'chap_nhan') satisfied += 1;
    }
  }

  const median = findMedian(handlingDays);
  return {
    total: facts.length,
    byStatus,
    answered,
    answeredOnTime,
    openOverdue,
    onTimeRate: answered + openOverdue === 0 ? null : answeredOnTime / (answered + openOverdue),
    medianWorkingDays: median === null ? null : Math.round(median * 10) / 10,
    rated,
    satisfied,
    satisfactionRate: rated === 0 ? null : satisfied / rated,
  };
}

/** Working time between two instants expressed in working days (8 working hours make one day). */
export function measureWorkingDays(calendar: WorkingCalendar, from: Date, to: Date): number {
  return Math.max(0, workingMsBetween(calendar, from, to)) / calendar.workingMsPerDay;
}

export function findMedian(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type GroupDimension = 'unit' | 'category' | 'ward';

export interface KpiGroup {
  /** null = cases without a unit, category or ward yet. */
  key: number | null;
  kpis: CaseKpis;
}

/** The same indicators per responsible unit, category or ward, largest group first. */
export function groupCaseKpis(
  facts: readonly CaseFact[],
  dimension: GroupDimension,
  calendar: WorkingCalendar,
  now: Date,
): KpiGroup[] {
  const pick = (f: CaseFact) => (dimension === 'unit' ? f.responsibleUnitId : dimension === 'category' ? f.categoryId : f.areaUnitId);
  const groups = new Map<number | null, CaseFact[]>();
  for (const f of facts) {
    const key = pick(f);
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.entries()]
    .map(([key, list]) => ({ key, kpis: summarizeCases(list, calendar, now) }))
    .sort((a, b) => b.kpis.total - a.kpis.total || (a.key ?? Infinity) - (b.key ?? Infinity));
}

export type PeriodGranularity = 'week' | 'month';

export interface PeriodPoint {
  /** '2026-W10' or '2026-03', in Hà Nội local time. */
  period: string;
  received: number;
  answered: number;
  answeredOnTime: number;
}

/**
 * Received cases by the period they arrived in, answered cases by the period of the answer: the chart shows
 * the flow in and out of each week or month, so a month's answers include older cases.
 */
export function countByPeriod(facts: readonly CaseFact[], granularity: PeriodGranularity): PeriodPoint[] {
  const points = new Map<string, PeriodPoint>();
  const point = (period: string) => {
    let p = points.get(period);
    if (!p) {
      p = { period, received: 0, answered: 0, answeredOnTime: 0 };
      points.set(period, p);
    }
    return p;
  };
  for (const f of facts) {
    point(describePeriod(f.receivedAt, granularity)).received += 1;
    if (f.answeredAt !== null) {
      const p = point(describePeriod(f.answeredAt, granularity));
      p.answered += 1;
      if (f.answeredOnTime) p.answeredOnTime += 1;
    }
  }
  return [...points.values()].sort((a, b) => a.period.localeCompare(b.period));
}

/** ISO 8601 week ('2026-W01') or month ('2026-03') of the instant's local (UTC+7) day. */
export function describePeriod(at: Date, granularity: PeriodGranularity): string {
  const day = localDay(at);
  if (granularity === 'month') return day.slice(0, 7);
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = date.getUTCDay() || 7;
  // The ISO week belongs to the year of its Thursday.
  const thursday = new Date(date.getTime() + (4 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}
