import { and, asc, eq, gte, inArray, lt } from 'drizzle-orm';
import { officials, reportingRegimes, reportObligations } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import { insertOutbox, type OutboxIntent } from '../../runtime/outbox/outbox.js';
import { loadWorkingCalendar } from '../calendar/calendar.repo.js';
import { addWorkingDays, formatVnDate, formatVnDateTime, isWorkingDay, localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import type { Role } from '../cases/actor.js';
import { CASE_STATUS_LABELS, type CaseStatus } from '../cases/case-status.js';
import { labelPeriod } from '../reports/report-obligations.js';
import { parseRegimeRow, REPORT_STATUS_LABELS, type ReportStatus } from '../reports/reporting-regime.js';
import { slaBadge } from '../sla/sla-rules.js';
import { NUDGE_STEP_LABELS } from './nudge-rules.js';
import { findCasesDueBy, findExistingOutboxKeys } from './nudge.repo.js';
import { findCurrentStep } from './plan-nudges.js';
import { atLocalTime, DEFAULT_SEND_WINDOW, shiftWorkingDays, type SendWindow } from './send-window.js';

export interface DigestOptions {
  /** 'HH:MM' local: when the morning digest goes out on working days. */
  at: string;
  /** A case is listed when its step is due by the end of this many working days from today, or overdue. */
  caseHorizonWorkingDays: number;
  /** A report is listed when it is due within this many working days, or owed and past its deadline. */
  reportHorizonWorkingDays: number;
  /** Overdue reports older than this are left to the receiving unit's follow-up, not repeated every morning. */
  reportLookbackDays: number;
  /** At most this many cases are listed; the message gives the rest as a count. */
  maxCasesListed: number;
}

export const DEFAULT_DIGEST_OPTIONS: DigestOptions = {
  at: '07:30',
  caseHorizonWorkingDays: 1,
  reportHorizonWorkingDays: 3,
  reportLookbackDays: 30,
  maxCasesListed: 15,
};

export const DIGEST_TEMPLATE = 'digest';

export interface DigestOfficial {
  id: number;
  unitId: number;
  roles: Role[];
  preferences: { digest?: boolean };
}

export interface DigestCase {
  id: number;
  code: string;
  status: CaseStatus;
  responsibleUnitId: number | null;
  assigneeId: number | null;
  stepLabel: string;
  dueAt: Date;
}

export interface DigestReport {
  unitId: number;
  regimeName: string;
  periodLabel: string;
  dueAt: Date;
  status: ReportStatus;
}

/** Whose morning list a case belongs on: the handler's own, the leader's unit, the dispatchers' triage queue. */
export function isCaseOnOfficialsList(official: DigestOfficial, c: DigestCase): boolean {
  if (official.roles.includes('handler') && c.assigneeId === official.id) return true;
  if (official.roles.includes('unit_leader') && c.responsibleUnitId === official.unitId) return true;
  return official.roles.includes('dispatcher') && c.status === 'received';
}

/** The day's digest for one official, or null when there is nothing to tell or they opted out. */
export function planDigest(
  official: DigestOfficial,
  cases: readonly DigestCase[],
  reports: readonly DigestReport[],
  calendar: WorkingCalendar,
  now: Date,
  options: Pick<DigestOptions, 'maxCasesListed'> & { consoleUrl?: string } = DEFAULT_DIGEST_OPTIONS,
): OutboxIntent | null {
  if (official.preferences.digest === false) return null;
  const mine = cases.filter((c) => isCaseOnOfficialsList(official, c)).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id - b.id);
  const owed = official.roles.includes('unit_leader') ? reports.filter((r) => r.unitId === official.unitId) : [];
  if (mine.length === 0 && owed.length === 0) return null;
  const day = localDay(now);
  const overdueCount = mine.filter((c) => c.dueAt.getTime() < now.getTime()).length;
  return {
    key: `digest:${official.id}:${day}`,
    kind: 'notify',
    recipient: { type: 'official', officialId: official.id },
    template: DIGEST_TEMPLATE,
    data: {
      ...(options.consoleUrl ? { consoleUrl: options.consoleUrl } : {}),
      day: formatVnDate(now),
      caseCount: mine.length,
      overdueCount,
      cases: mine.slice(0, options.maxCasesListed).map((c) => ({
        code: c.code,
        statusLabel: CASE_STATUS_LABELS[c.status],
        stepLabel: c.stepLabel,
        dueDate: formatVnDateTime(c.dueAt),
        slaText: slaBadge(calendar, c.dueAt, now).text,
        overdue: c.dueAt.getTime() < now.getTime(),
      })),
      moreCases: Math.max(0, mine.length - options.maxCasesListed),
      reportCount: owed.length,
      reports: owed.map((r) => ({
        regimeName: r.regimeName,
        periodLabel: r.periodLabel,
        dueDate: formatVnDateTime(r.dueAt),
        statusLabel: REPORT_STATUS_LABELS[r.status],
        slaText: slaBadge(calendar, r.dueAt, now).text,
      })),
    },
  };
}

/** True from the digest hour until the end of the working day, on working days only. */
export function isDigestTime(calendar: WorkingCalendar, now: Date, at: string, window: SendWindow = DEFAULT_SEND_WINDOW): boolean {
  const today = localDay(now);
  if (!isWorkingDay(calendar, today)) return false;
  return now.getTime() >= atLocalTime(today, at).getTime() && now.getTime() < atLocalTime(today, window.evening).getTime();
}

export interface DigestDeps {
  db: Db;
  /** Where the message sends the official (the console's address; the outbox adds no link without a case). */
  consoleUrl?: string;
  loadCalendar?: () => Promise<WorkingCalendar>;
  options?: Partial<DigestOptions>;
  window?: SendWindow;
}

/**
 * Writes today's digest for every active official who has something due (one 'notify' row each, key
 * `digest:<officialId>:<day>`). Outside the digest hours it does nothing; inside, running it again (another
 * worker, a restart, the next tick) writes nothing new.
 */
export async function sweepDigests(deps: DigestDeps, now: Date): Promise<{ officials: number; inserted: number; skipped: boolean }> {
  const db = deps.db;
  const options = { ...DEFAULT_DIGEST_OPTIONS, ...deps.options };
  const calendar = deps.loadCalendar ? await deps.loadCalendar() : await loadWorkingCalendar(db);
  if (!isDigestTime(calendar, now, options.at, deps.window)) return { officials: 0, inserted: 0, skipped: true };
  const today = localDay(now);

  const people = (
    await db
      .select({ id: officials.id, unitId: officials.unitId, roles: officials.roles, preferences: officials.preferences })
      .from(officials)
      .where(eq(officials.active, true))
  ).filter((o) => o.preferences.digest !== false && o.roles.some((r) => r === 'handler' || r === 'unit_leader' || r === 'dispatcher'));
  const existing = await findExistingOutboxKeys(
    db,
    people.map((p) => `digest:${p.id}:${today}`),
  );
  const pending = people.filter((p) => !existing.has(`digest:${p.id}:${today}`));
  if (pending.length === 0) return { officials: 0, inserted: 0, skipped: false };

  const horizon = addWorkingDays(calendar, now, options.caseHorizonWorkingDays);
  const cases: DigestCase[] = (await findCasesDueBy(db, horizon)).flatMap((row) => {
    const step = findCurrentStep(row);
    if (!step || step.dueAt.getTime() > horizon.getTime()) return [];
    return [{ ...row, stepLabel: NUDGE_STEP_LABELS[step.step], dueAt: step.dueAt }];
  });

  const reportUpper = atLocalTime(shiftWorkingDays(calendar, today, options.reportHorizonWorkingDays + 1), '00:00');
  const reportLower = new Date(now.getTime() - options.reportLookbackDays * 24 * 60 * 60 * 1000);
  const reports: DigestReport[] = (
    await db
      .select({ obligation: reportObligations, regime: reportingRegimes })
      .from(reportObligations)
      .innerJoin(reportingRegimes, eq(reportingRegimes.id, reportObligations.regimeId))
      .where(
        and(
          inArray(reportObligations.status, ['chua_nop', 'tra_lai']),
          gte(reportObligations.dueAt, reportLower),
          lt(reportObligations.dueAt, reportUpper),
          eq(reportingRegimes.active, true),
        ),
      )
      .orderBy(asc(reportObligations.dueAt))
  ).map(({ obligation, regime }) => {
    const parsed = parseRegimeRow(regime);
    return {
      unitId: obligation.unitId,
      regimeName: parsed.name,
      periodLabel: labelPeriod(parsed, obligation.periodKey),
      dueAt: obligation.dueAt,
      status: obligation.status,
    };
  });

  const intents = pending.flatMap((p) => {
    const planned = planDigest(p, cases, reports, calendar, now, { ...options, consoleUrl: deps.consoleUrl });
    return planned ? [planned] : [];
  });
  const inserted = await insertOutbox(db, intents, now);
  return { officials: intents.length, inserted, skipped: false };
}
