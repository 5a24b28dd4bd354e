import type { Db } from '../../runtime/db.js';
import { insertOutbox, type OutboxIntent } from '../../runtime/outbox/outbox.js';
import { loadWorkingCalendar } from '../calendar/calendar.repo.js';
import { localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { loadNudgeRules, type NudgeRule } from './nudge-rules.js';
import { findCasesDueByInParallel, findExistingOutboxKeys, loadNudgeDetails, splitForParallelStatements } from './nudge.repo.js';
import { createNudgePlanner, findCurrentStep, findDueNudges, writeNudges, type NudgeCase, type PlannedNudge } from './plan-nudges.js';
import { atLocalTime, DEFAULT_SEND_WINDOW, isInSendWindow, shiftWorkingDays, type SendWindow } from './send-window.js';
import { createWorkingDayIndex, dayOf, type WorkingDayIndex } from './working-day-index.js';

export interface NudgeSweepDeps {
  /** The database itself, not a transaction: a sweep runs some of its statements side by side on the pool. */
  db: Db;
  /** Defaults to the calendar table; tests pass a fixed calendar. */
  loadCalendar?: () => Promise<WorkingCalendar>;
  loadRules?: () => Promise<NudgeRule[]>;
  window?: SendWindow;
}

export interface NudgeSweepResult {
  /** Open cases near or past their step's due date that were looked at. */
  candidates: number;
  /** Reminders due now (sent before or not). */
  due: number;
  /** Outbox rows this sweep actually wrote. */
  inserted: number;
  /** The reminders not yet in the outbox when this sweep looked (a concurrent sweeper may have won some). */
  fresh: PlannedNudge[];
}

/**
 * The look-ahead: a case due after the start of the (K+1)-th working day from today cannot have a
 * "K working days before" reminder due yet, so only cases due earlier are read.
 */
export function computeLookAheadBound(cal: WorkingCalendar, rules: readonly NudgeRule[], now: Date): Date {
  const furthest = Math.max(0, ...rules.filter((r) => r.active && r.offsetWorkingDays < 0).map((r) => -r.offsetWorkingDays));
  return atLocalTime(shiftWorkingDays(cal, localDay(now), furthest + 1), '00:00');
}

/**
 * Past the latest day a candidate's reminders can look at (the furthest escalation after the look-ahead bound),
 * with a margin for days off; anything outside is still answered, only slower.
 */
const INDEX_MARGIN_DAYS = 31;

/** One working-day index for every candidate: from the earliest due date or step start to past the look-ahead. */
export function indexCandidateDays(cal: WorkingCalendar, rules: readonly NudgeRule[], candidates: readonly NudgeCase[], now: Date, bound: Date): WorkingDayIndex {
  let first = dayOf(now.getTime());
  for (const c of candidates) {
    const current = findCurrentStep(c);
    if (!current) continue;
    first = Math.min(first, dayOf(current.dueAt.getTime()), dayOf((c.stepStartedAt ?? c.receivedAt).getTime()));
  }
  const furthestAfter = Math.max(1, ...rules.filter((r) => r.active).map((r) => r.offsetWorkingDays));
  return createWorkingDayIndex(cal, first - INDEX_MARGIN_DAYS, dayOf(bound.getTime()) + 2 * furthestAfter + INDEX_MARGIN_DAYS);
}

export function toNudgeOutboxIntent(n: PlannedNudge): OutboxIntent {
  return { key: n.key, kind: 'notify', recipient: { ...n.recipient }, template: n.template, data: n.data, caseId: n.caseId };
}

/**
 * One pass of the scheduler: finds the open cases whose step is due within the look-ahead (index-backed,
 * see buildDueCaseQueries), plans each once, and writes the reminders not sent before as 'notify' outbox rows.
 * Safe to run from several workers at once and again after a restart: a key is written once, ever
 * (outbox_key_uq).
 */
export async function sweepNudges(deps: NudgeSweepDeps, now: Date): Promise<NudgeSweepResult> {
  const [rules, calendar] = await Promise.all([
    deps.loadRules ? deps.loadRules() : loadNudgeRules(deps.db),
    deps.loadCalendar ? deps.loadCalendar() : loadWorkingCalendar(deps.db),
  ]);
  if (rules.length === 0) return { candidates: 0, due: 0, inserted: 0, fresh: [] };
  const window = deps.window ?? DEFAULT_SEND_WINDOW;

  // Outside the send window nothing can be due, so the night's ticks do not read the cases at all.
  if (!isInSendWindow(calendar, window, now)) return { candidates: 0, due: 0, inserted: 0, fresh: [] };

  const bound = computeLookAheadBound(calendar, rules, now);
  const candidates = await findCasesDueByInParallel(deps.db, bound);
  const planner = createNudgePlanner(rules, calendar, now, { window, days: indexCandidateDays(calendar, rules, candidates, now, bound) });
  const due = candidates.flatMap((c) => findDueNudges(planner, c));
  if (due.length === 0) return { candidates: candidates.length, due: 0, inserted: 0, fresh: [] };

  // Most due reminders went out on an earlier tick (an escalation stays due until the case moves on);
  // reading the keys first keeps those from costing a message and an insert attempt every minute.
  const keyParts = splitForParallelStatements(due.map((n) => n.key));
  const existing = new Set((await Promise.all(keyParts.map((keys) => findExistingOutboxKeys(deps.db, keys)))).flatMap((found) => [...found]));
  const unsent = due.filter((n) => !existing.has(n.key));
  if (unsent.length === 0) return { candidates: candidates.length, due: due.length, inserted: 0, fresh: [] };

  const described = await loadNudgeDetails(deps.db, [...new Set(unsent.map((n) => n.nudgeCase))]);
  const fresh = writeNudges(
    planner,
    unsent.map((n) => ({ ...n, nudgeCase: described.get(n.nudgeCase) ?? n.nudgeCase })),
  );
  // Each part is its own statement, as insertOutbox's chunks are anyway: a key is still written once, whoever wins.
  const counts = await Promise.all(splitForParallelStatements(fresh).map((part) => insertOutbox(deps.db, part.map(toNudgeOutboxIntent), now)));
  const inserted = counts.reduce((sum, n) => sum + n, 0);
  return { candidates: candidates.length, due: due.length, inserted, fresh };
}
