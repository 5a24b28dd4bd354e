import { and, eq, gte } from 'drizzle-orm';
import { reportObligations } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import { loadWorkingCalendar } from '../calendar/calendar.repo.js';
import { localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { atLocalTime } from '../nudges/send-window.js';
import { ensureObligations } from './report-obligations.js';
import { findPeriodByKey, generatePeriods, computeReportDueAt } from './report-periods.js';
import { loadReportingUnits, type ReportingUnit } from './report.repo.js';
import { isUnitObliged, type ReportingRegime } from './reporting-regime.js';

/**
 * What an operator may change about a regime, and what that does to the obligations already generated.
 * The JSON shapes are checked by ZCutoffRule/ZDeadlineRule; this file checks what only the combination
 * reveals (a deadline before its own data cut-off, a regime nobody has to report under).
 */

export const REGIME_RULE_PROBLEMS = ['deadline_before_cutoff', 'no_obliged_unit'] as const;
export type RegimeRuleProblemCode = (typeof REGIME_RULE_PROBLEMS)[number];

export interface RegimeRuleProblem {
  code: RegimeRuleProblemCode;
  /** The first period that shows the problem ("Quý I/2026"), for the message. */
  periodLabel?: string;
}

export type RegimeRules = Pick<
  ReportingRegime,
  'frequency' | 'cutoffRule' | 'deadlineRule' | 'obligedUnitKinds' | 'obligedUnitIds' | 'receivingUnitId'
>;

/**
 * The first reason the rules cannot work, or null. A deadline that falls before the last day of the data
 * window would ask for figures that do not exist yet; it is checked over every period of `year`, because a
 * fixed day of the month can be fine in one month and not in another.
 */
export function findRegimeRuleProblem(
  regime: RegimeRules,
  units: readonly Pick<ReportingUnit, 'id' | 'kind'>[],
  calendar: WorkingCalendar,
  year: number,
): RegimeRuleProblem | null {
  for (const period of generatePeriods(regime, year)) {
    if (localDay(computeReportDueAt(regime.deadlineRule, period, calendar)) < period.end) {
      return { code: 'deadline_before_cutoff', periodLabel: period.label };
    }
  }
  if (!units.some((u) => isUnitObliged(regime, u))) return { code: 'no_obliged_unit' };
  return null;
}

export function regimeRuleProblemMessage(problem: RegimeRuleProblem): string {
  switch (problem.code) {
    case 'deadline_before_cutoff':
      return `Hạn gửi báo cáo rơi vào trước ngày chốt số liệu (kỳ ${problem.periodLabel ?? 'báo cáo'}). Vui lòng chọn hạn sau ngày chốt số liệu.`;
    case 'no_obliged_unit':
      return 'Không có đơn vị nào phải nộp báo cáo theo lựa chọn này (đơn vị nhận báo cáo không tự nộp cho mình). Vui lòng chọn loại đơn vị hoặc đơn vị phải nộp.';
    default:
      return assertUnreachable(problem.code);
  }
}

function assertUnreachable(value: never): never {
  throw new Error(`Unexpected regime rule problem: ${String(value)}`);
}

export interface RegimeResync {
  /** New obligation rows (current and next period), as ensureObligations counts them. */
  created: number;
  /** Rows still owed and not yet due whose window or deadline moved with the new rules. */
  updated: number;
  /** Rows still owed and not yet due that the new rules no longer ask for. */
  removed: number;
}

/**
 * Brings the generated obligations in line with a regime an admin has just created or changed, inside the
 * caller's transaction, so the console shows the new deadlines at once instead of after tomorrow's
 * scheduler pass.
 *
 * Only rows nobody has acted on and whose deadline has not passed are touched: a submission, a return or a
 * missed deadline is a fact about the old rules and stays as it was. Among those, a row the old calendar
 * generated is re-dated when its period still exists under the new rules and its unit is still obliged, and
 * removed otherwise (frequency changed, unit no longer obliged). Rows of an ad hoc regime were requested by
 * hand with their own windows and are never touched. Then the current and next periods are filled in the
 * way the scheduler does it (ensureObligations), which also covers a regime just created or reactivated.
 */
export async function resyncRegimeObligations(
  q: Queryable,
  change: { before: ReportingRegime | null; after: ReportingRegime },
  now: Date,
  options: { calendar?: WorkingCalendar } = {},
): Promise<RegimeResync> {
  const { before, after } = change;
  // An inactive regime's rows are hidden everywhere (every query joins on regimes.active); reactivating it
  // comes back here with the rules it then has.
  if (!after.active) return { created: 0, updated: 0, removed: 0 };
  const calendar = options.calendar ?? (await loadWorkingCalendar(q));
  let updated = 0;
  let removed = 0;

  if (before && before.frequency !== 'ad_hoc') {
    const startOfToday = atLocalTime(localDay(now), '00:00');
    const units = new Map((await loadReportingUnits(q)).map((u) => [u.id, u]));
    const rows = await q
      .select()
      .from(reportObligations)
      .where(and(eq(reportObligations.regimeId, after.id), eq(reportObligations.status, 'chua_nop'), gte(reportObligations.dueAt, startOfToday)));
    for (const row of rows) {
      // A key the old calendar does not know was requested by hand (ad hoc): not ours to re-date.
      if (!findPeriodByKey(before, calendar, row.periodKey)) continue;
      const unit = units.get(row.unitId);
      const period = after.frequency === 'ad_hoc' ? undefined : findPeriodByKey(after, calendar, row.periodKey);
      if (!period || !unit || !isUnitObliged(after, unit)) {
        await q.delete(reportObligations).where(eq(reportObligations.id, row.id));
        removed++;
        continue;
      }
      if (period.start === row.periodStart && period.end === row.periodEnd && period.dueAt.getTime() === row.dueAt.getTime()) continue;
      await q
        .update(reportObligations)
        .set({ periodStart: period.start, periodEnd: period.end, dueAt: period.dueAt, updatedAt: now })
        .where(eq(reportObligations.id, row.id));
      updated++;
    }
  }

  const { created } = await ensureObligations(q, now, { calendar });
  return { created, updated, removed };
}
