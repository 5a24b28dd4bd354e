import { and, asc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import { officials, reportingRegimes, reportObligations, units } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import { insertOutbox, type OutboxIntent } from '../../runtime/outbox/outbox.js';
import { loadWorkingCalendar } from '../calendar/calendar.repo.js';
import { formatVnDate, formatVnDateTime, localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import type { NotificationRecipient } from '../cases/case-state.js';
import { findExistingOutboxKeys } from '../nudges/nudge.repo.js';
import { atLocalTime, deferToSendWindow, DEFAULT_SEND_WINDOW, isInSendWindow, shiftWorkingDays, type SendWindow } from '../nudges/send-window.js';
import { slaBadge } from '../sla/sla-rules.js';
import { labelPeriod } from './report-obligations.js';
import { isReportOwed, parseRegimeRow, REPORT_STATUS_LABELS, type ReportStatus } from './reporting-regime.js';

/** Reminders to the obliged unit's leaders, in working days before the deadline (DHIS2-style relative days). */
export const DEFAULT_REPORT_REMINDER_DAYS: readonly number[] = [3, 1];
/** A missed deadline is reported to the receiving unit within this many days; older ones are history. */
export const MISSING_REPORT_LOOKBACK_DAYS = 14;
/** At most this many unit names in one message; the rest is a count. */
export const MAX_UNITS_LISTED = 30;

export const REPORT_TEMPLATES = { reminder: 'report-reminder', missing: 'report-missing' } as const;

export interface ReminderObligation {
  id: number;
  unitId: number;
  regimeCode: string;
  regimeName: string;
  /** The unit may answer the reminder with "đã nộp <mã>" in Zalo. */
  selfSubmit: boolean;
  periodLabel: string;
  dueAt: Date;
  status: ReportStatus;
}

export interface PlannedReportNotice {
  key: string;
  recipient: NotificationRecipient;
  template: string;
  data: Record<string, unknown>;
  occursAt: Date;
}

/**
 * The reminder due now for one obligation, if any: the latest of the "n working days before" mornings that
 * has passed, while the report is owed and not yet due, and only within working hours. Only the latest is sent, so an obligation created
 * (or a worker restarted) late gets one reminder that says how long is left, not a burst of stale ones.
 */
export function planReportReminder(
  ob: ReminderObligation,
  calendar: WorkingCalendar,
  now: Date,
  options: { days?: readonly number[]; window?: SendWindow } = {},
): PlannedReportNotice | null {
  if (!isReportOwed(ob.status) || now.getTime() >= ob.dueAt.getTime()) return null;
  const window = options.window ?? DEFAULT_SEND_WINDOW;
  if (!isInSendWindow(calendar, window, now)) return null;
  const dueDay = localDay(ob.dueAt);
  let best: { days: number; at: Date } | null = null;
  for (const days of options.days ?? DEFAULT_REPORT_REMINDER_DAYS) {
    const at = atLocalTime(shiftWorkingDays(calendar, dueDay, -days), window.morning);
    if (at.getTime() <= now.getTime() && (best === null || at.getTime() > best.at.getTime())) best = { days, at };
  }
  if (!best) return null;
  return {
    key: `report-reminder:${ob.id}:${best.days}`,
    recipient: { type: 'unit', unitId: ob.unitId, roles: ['unit_leader'] },
    template: REPORT_TEMPLATES.reminder,
    occursAt: best.at,
    data: {
      regimeCode: ob.regimeCode,
      regimeName: ob.regimeName,
      selfSubmit: ob.selfSubmit,
      periodLabel: ob.periodLabel,
      dueDate: formatVnDateTime(ob.dueAt),
      dueDay: formatVnDate(ob.dueAt),
      slaText: slaBadge(calendar, ob.dueAt, now).text,
      statusLabel: REPORT_STATUS_LABELS[ob.status],
      returned: ob.status === 'tra_lai',
    },
  };
}

export interface PeriodStanding {
  regimeId: number;
  regimeName: string;
  receivingUnitId: number;
  periodKey: string;
  periodLabel: string;
  dueAt: Date;
  units: Array<{ name: string; status: ReportStatus }>;
}

/**
 * After the deadline (at the next moment officials read messages) the receiving unit's leaders get the list of
 * units that have not submitted, once per regime and period. Nothing is sent when everyone submitted.
 */
export function planMissingReportNotice(
  standing: PeriodStanding,
  calendar: WorkingCalendar,
  now: Date,
  options: { window?: SendWindow } = {},
): PlannedReportNotice | null {
  const window = options.window ?? DEFAULT_SEND_WINDOW;
  const at = deferToSendWindow(calendar, window, new Date(standing.dueAt.getTime() + 1));
  if (now.getTime() < at.getTime() || !isInSendWindow(calendar, window, now)) return null;
  const missing = standing.units.filter((u) => isReportOwed(u.status));
  if (missing.length === 0) return null;
  const late = standing.units.filter((u) => u.status === 'nop_muon').length;
  return {
    key: `report-missing:${standing.regimeId}:${standing.periodKey}`,
    recipient: { type: 'unit', unitId: standing.receivingUnitId, roles: ['unit_leader'] },
    template: REPORT_TEMPLATES.missing,
    occursAt: at,
    data: {
      regimeName: standing.regimeName,
      periodLabel: standing.periodLabel,
      dueDate: formatVnDateTime(standing.dueAt),
      totalCount: standing.units.length,
      submittedCount: standing.units.length - missing.length,
      lateCount: late,
      missingCount: missing.length,
      missing: missing.slice(0, MAX_UNITS_LISTED).map((u) => ({ name: u.name, statusLabel: REPORT_STATUS_LABELS[u.status] })),
      moreCount: Math.max(0, missing.length - MAX_UNITS_LISTED),
    },
  };
}

function toIntent(n: PlannedReportNotice, consoleUrl: string | undefined): OutboxIntent {
  return { key: n.key, kind: 'notify', recipient: { ...n.recipient }, template: n.template, data: consoleUrl ? { ...n.data, consoleUrl } : n.data };
}

export interface ReportReminderDeps {
  db: Db;
  /** Where the message sends the official (the console's address; the outbox adds no link without a case). */
  consoleUrl?: string;
  loadCalendar?: () => Promise<WorkingCalendar>;
  window?: SendWindow;
  reminderDays?: readonly number[];
}

/**
 * One scheduler pass over report deadlines: reminders to owing units (index report_obligations_due_idx on
 * status + due_at, bounded by the furthest reminder day) and, after a deadline, the list of non-submitters
 * to the receiving unit. Keys make every notice happen once whatever the number of workers or restarts.
 */
export async function sweepReportReminders(deps: ReportReminderDeps, now: Date): Promise<{ reminders: number; missingLists: number; inserted: number }> {
  const db = deps.db;
  const calendar = deps.loadCalendar ? await deps.loadCalendar() : await loadWorkingCalendar(db);
  const days = deps.reminderDays ?? DEFAULT_REPORT_REMINDER_DAYS;
  const window = deps.window ?? DEFAULT_SEND_WINDOW;
  const upper = atLocalTime(shiftWorkingDays(calendar, localDay(now), Math.max(0, ...days) + 1), '00:00');

  // Units without an active leader have nobody to remind: skipping them keeps the outbox free of rows that
  // could only ever be flagged.
  const owing = await db
    .select({ obligation: reportObligations, regime: reportingRegimes })
    .from(reportObligations)
    .innerJoin(reportingRegimes, eq(reportingRegimes.id, reportObligations.regimeId))
    .where(
      and(
        inArray(reportObligations.status, ['chua_nop', 'tra_lai']),
        gte(reportObligations.dueAt, now),
        lt(reportObligations.dueAt, upper),
        eq(reportingRegimes.active, true),
        sql`exists (select 1 from ${officials} where ${officials.unitId} = ${reportObligations.unitId}
          and ${officials.active} and 'unit_leader' = any(${officials.roles}))`,
      ),
    );
  const reminders = owing.flatMap(({ obligation, regime }) => {
    const parsed = parseRegimeRow(regime);
    const planned = planReportReminder(
      {
        id: obligation.id,
        unitId: obligation.unitId,
        regimeCode: parsed.code,
        regimeName: parsed.name,
        selfSubmit: parsed.selfSubmit,
        periodLabel: labelPeriod(parsed, obligation.periodKey), dueAt: obligation.dueAt, status: obligation.status },
      calendar,
      now,
      { days, window },
    );
    return planned ? [planned] : [];
  });

  const lookback = new Date(now.getTime() - MISSING_REPORT_LOOKBACK_DAYS * 24 * 60 * 60 * 1000);
  const recentlyMissed = await db
    .selectDistinct({ regimeId: reportObligations.regimeId, periodKey: reportObligations.periodKey })
    .from(reportObligations)
    .where(and(inArray(reportObligations.status, ['chua_nop', 'tra_lai']), gte(reportObligations.dueAt, lookback), lte(reportObligations.dueAt, now)));
  const missingLists: PlannedReportNotice[] = [];
  const notices = recentlyMissed.map((p) => `report-missing:${p.regimeId}:${p.periodKey}`);
  const alreadySent = await findExistingOutboxKeys(db, notices);
  for (const period of recentlyMissed) {
    if (alreadySent.has(`report-missing:${period.regimeId}:${period.periodKey}`)) continue;
    const rows = await db
      .select({ obligation: reportObligations, regime: reportingRegimes, unitName: units.fullName })
      .from(reportObligations)
      .innerJoin(reportingRegimes, eq(reportingRegimes.id, reportObligations.regimeId))
      .innerJoin(units, eq(units.id, reportObligations.unitId))
      .where(and(eq(reportObligations.regimeId, period.regimeId), eq(reportObligations.periodKey, period.periodKey), eq(reportingRegimes.active, true)))
      .orderBy(asc(units.fullName));
    const first = rows[0];
    if (!first) continue;
    const regime = parseRegimeRow(first.regime);
    const planned = planMissingReportNotice(
      {
        regimeId: regime.id,
        regimeName: regime.name,
        receivingUnitId: regime.receivingUnitId,
        periodKey: period.periodKey,
        periodLabel: labelPeriod(regime, period.periodKey),
        // Units of one period share its deadline; the latest one is the period's (ad hoc rows may differ).
        dueAt: new Date(Math.max(...rows.map((r) => r.obligation.dueAt.getTime()))),
        units: rows.map((r) => ({ name: r.unitName, status: r.obligation.status })),
      },
      calendar,
      now,
      { window },
    );
    if (planned) missingLists.push(planned);
  }

  const planned = [...reminders, ...missingLists];
  // A reminder stays "due" until the deadline; reading the keys first spares an insert attempt per minute.
  const existing = await findExistingOutboxKeys(
    db,
    planned.map((n) => n.key),
  );
  const inserted = await insertOutbox(
    db,
    planned.filter((n) => !existing.has(n.key)).map((n) => toIntent(n, deps.consoleUrl)),
    now,
  );
  return { reminders: reminders.length, missingLists: missingLists.length, inserted };
}
