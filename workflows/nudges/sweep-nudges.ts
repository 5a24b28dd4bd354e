import type { Db } from '../../runtime/db.js';
import { insertOutbox, type OutboxIntent } from '../../runtime/outbox/outbox.js';
import { loadWorkingCalendar } from '../calendar/calendar.repo.js';
import { localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { loadNudgeRules, type NudgeRule } from './nudge-rules.js';
import { describeNudgeCases, findCasesDueBy, findExistingOutboxKeys, loadNudgeCases } from './nudge.repo.js';
import { planNudges, type PlannedNudge } from './plan-nudges.js';
import { atLocalTime, DEFAULT_SEND_WINDOW, shiftWorkingDays, type SendWindow } from './send-window.js';

export interface NudgeSweepDeps {
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

export function toNudgeOutboxIntent(n: PlannedNudge): OutboxIntent {
  return { key: n.key, kind: 'notify', recipient: { ...n.recipient }, template: n.template, data: n.data, caseId: n.caseId };
}

/**
 * One pass of the scheduler: finds the open cases whose step is due within the look-ahead (index-backed,
 * see findCasesDueBy), plans their reminders and writes the new ones as 'notify' outbox rows. Safe to run
 * from several workers at once and again after a restart: a key is written once, ever (outbox_key_uq).
 */
export async function sweepNudges(deps: NudgeSweepDeps, now: Date): Promise<NudgeSweepResult> {
  const rules = deps.loadRules ? await deps.loadRules() : await loadNudgeRules(deps.db);
  if (rules.length === 0) return { candidates: 0, due: 0, inserted: 0, fresh: [] };
  const calendar = deps.loadCalendar ? await deps.loadCalendar() : await loadWorkingCalendar(deps.db);
  const window = deps.window ?? DEFAULT_SEND_WINDOW;

  const rows = await findCasesDueBy(deps.db, computeLookAheadBound(calendar, rules, now));
  const candidates = await loadNudgeCases(deps.db, rows);
  const due = candidates.flatMap((c) => planNudges(c, rules, calendar, now, { window }));
  if (due.length === 0) return { candidates: rows.length, due: 0, inserted: 0, fresh: [] };

  // Most due reminders went out on an earlier tick (an escalation stays due until the case moves on);
  // reading the keys first keeps those from costing an insert attempt every minute.
  const existing = await findExistingOutboxKeys(
    deps.db,
    due.map((n) => n.key),
  );
  const fresh = due.filter((n) => !existing.has(n.key));
  if (fresh.length === 0) return { candidates: rows.length, due: due.length, inserted: 0, fresh: [] };

  const freshCaseIds = new Set(fresh.map((n) => n.caseId));
  const freshKeys = new Set(fresh.map((n) => n.key));
  const described = await describeNudgeCases(
    deps.db,
    candidates.filter((c) => freshCaseIds.has(c.id)),
  );
  const toWrite = described.flatMap((c) => planNudges(c, rules, calendar, now, { window })).filter((n) => freshKeys.has(n.key));
  const inserted = await insertOutbox(deps.db, toWrite.map(toNudgeOutboxIntent), now);
  return { candidates: rows.length, due: due.length, inserted, fresh: toWrite };
}
