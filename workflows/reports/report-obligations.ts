import { and, asc, eq, gte, inArray, or, sql } from 'drizzle-orm';
import { reportingRegimes, reportObligations, units } from '../../db/schema.js';
import type { Db, Queryable, Tx } from '../../runtime/db.js';
import { loadWorkingCalendar } from '../calendar/calendar.repo.js';
import { addWorkingDays, isWorkingDay, localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { atLocalTime } from '../nudges/send-window.js';
import type { AdHocRequestErrorCode, ReportErrorCode } from './report-errors.js';
import { findCurrentPeriod, findPeriodByKey, generatePeriods, normalisePeriodKey, type DatedReportPeriod } from './report-periods.js';
import { findObligation, findRegimeByCode, findUnitByCode, findUnitById, loadActiveRegimes, loadReportingUnits, type ObligationRow } from './report.repo.js';
import {
  isUnitObliged,
  OWED_REPORT_STATUSES,
  parseRegimeRow,
  REPORT_STATUS_LABELS,
  type ReportingRegime,
  type ReportStatus,
} from './reporting-regime.js';

/** An obligation as people see it: which report, which unit, which period, by when, and where it stands. */
export interface ObligationView {
  id: number;
  regimeId: number;
  regimeCode: string;
  regimeName: string;
  unitId: number;
  unitName: string;
  periodKey: string;
  periodLabel: string;
  periodStart: string;
  periodEnd: string;
  dueAt: Date;
  status: ReportStatus;
  statusLabel: string;
  submittedAt: Date | null;
  submittedBy: string | null;
  externalRef: string | null;
  /**
   * The receiving unit's last word to the unit on this report: what an ad hoc request asks for, until a return
   * (trả lại) replaces it with the reason; kept after a resubmission, so read it with the status (returnNote).
   */
  note: string | null;
  /** The reason of a return, while the report is returned. */
  returnNote: string | null;
  /** What an ad hoc (đột xuất) request asked for: kept through submissions and returns. */
  requestNote: string | null;
}

export type ReportResult = { ok: true; obligation: ObligationView; changed: boolean } | { ok: false; error: ReportErrorCode };

/** A nested call gets a savepoint; Tx and Db share `transaction`, only their declared types differ. */
function inTransaction<T>(q: Queryable, run: (tx: Tx) => Promise<T>): Promise<T> {
  return (q as Db).transaction(run);
}

/** "Tháng 1/2026" for `2026-01`; an ad hoc key reads as itself. */
export function labelPeriod(regime: Pick<ReportingRegime, 'frequency' | 'cutoffRule'>, key: string): string {
  const year = Number(key.slice(0, 4));
  if (!Number.isInteger(year)) return key;
  return generatePeriods(regime, year).find((p) => p.key === key)?.label ?? key;
}

function toView(row: ObligationRow, regime: Pick<ReportingRegime, 'code' | 'name' | 'frequency' | 'cutoffRule'>, unitName: string): ObligationView {
  return {
    id: row.id,
    regimeId: row.regimeId,
    regimeCode: regime.code,
    regimeName: regime.name,
    unitId: row.unitId,
    unitName,
    periodKey: row.periodKey,
    periodLabel: labelPeriod(regime, row.periodKey),
    periodStart: row.periodStart,
    periodEnd: row.periodEnd,
    dueAt: row.dueAt,
    status: row.status,
    statusLabel: REPORT_STATUS_LABELS[row.status],
    submittedAt: row.submittedAt,
    submittedBy: row.submittedBy,
    externalRef: row.externalRef,
    note: row.note,
    returnNote: row.status === 'tra_lai' ? row.note : null,
    requestNote: regime.frequency === 'ad_hoc' ? row.requestNote : null,
  };
}

function obligationValues(regime: ReportingRegime, unitId: number, period: DatedReportPeriod, now: Date, note: string | null = null) {
  return {
    regimeId: regime.id,
    unitId,
    periodKey: period.key,
    periodStart: period.start,
    periodEnd: period.end,
    dueAt: period.dueAt,
    status: 'chua_nop' as const,
    note,
    requestNote: note,
    updatedAt: now,
  };
}

const INSERT_CHUNK = 500;

/**
 * Creates the report_obligations rows of the current and the next period of every active periodic regime,
 * one per obliged unit. Idempotent (unique regime+unit+period): the scheduler may call it as often as it
 * likes; a unit added today gets its rows on the next call. Returns how many rows were new.
 */
export async function ensureObligations(db: Queryable, now: Date, options: { calendar?: WorkingCalendar } = {}): Promise<{ created: number; regimes: number }> {
  const calendar = options.calendar ?? (await loadWorkingCalendar(db));
  const { regimes } = await loadActiveRegimes(db);
  const unitRows = await loadReportingUnits(db);
  const values: Array<ReturnType<typeof obligationValues>> = [];
  let periodic = 0;
  for (const regime of regimes) {
    if (regime.frequency === 'ad_hoc') continue;
    const found = findCurrentPeriod(regime, calendar, now);
    if (!found) continue;
    periodic++;
    const periods = found.next ? [found.current, found.next] : [found.current];
    const obliged = unitRows.filter((u) => isUnitObliged(regime, u));
    for (const period of periods) for (const unit of obliged) values.push(obligationValues(regime, unit.id, period, now));
  }
  let created = 0;
  for (let i = 0; i < values.length; i += INSERT_CHUNK) {
    const inserted = await db
      .insert(reportObligations)
      .values(values.slice(i, i + INSERT_CHUNK))
      .onConflictDoNothing({ target: [reportObligations.regimeId, reportObligations.unitId, reportObligations.periodKey] })
      .returning({ id: reportObligations.id });
    created += inserted.length;
  }
  return { created, regimes: periodic };
}

export interface SubmissionInput {
  regimeCode: string;
  unitId: number;
  periodKey: string;
  /** Who: an official's login, or `api:<token name>` for the reporting system. */
  by: string;
  at: Date;
  /** The reporting system's document id; the same id twice is the same submission. */
  externalRef?: string | null;
}

interface Located {
  regime: ReportingRegime;
  unitName: string;
  row: ObligationRow;
}

/**
 * Finds (and locks) the obligation, creating it when the period is a real period of the regime and the unit
 * is obliged — a push for a period before the product was installed is still recorded.
 */
async function locateObligation(tx: Tx, input: Pick<SubmissionInput, 'regimeCode' | 'unitId' | 'periodKey'>, now: Date): Promise<Located | ReportErrorCode> {
  const regime = await findRegimeByCode(tx, input.regimeCode);
  if (!regime || !regime.active) return 'unknown_regime';
  const unit = await findUnitById(tx, input.unitId);
  if (!unit) return 'unknown_unit';
  const key = { regimeId: regime.id, unitId: unit.id, periodKey: input.periodKey };
  let row = await findObligation(tx, key, { lock: true });
  if (!row) {
    const period = regime.frequency === 'ad_hoc' ? undefined : findPeriodByKey(regime, await loadWorkingCalendar(tx), input.periodKey);
    if (!period) return 'unknown_period';
    if (!isUnitObliged(regime, unit)) return 'not_obliged';
    await tx.insert(reportObligations).values(obligationValues(regime, unit.id, period, now)).onConflictDoNothing();
    row = await findObligation(tx, key, { lock: true });
    if (!row) throw new Error(`obligation ${regime.code}/${unit.code}/${input.periodKey} vanished after insert`);
  }
  return { regime, unitName: unit.name, row };
}

/**
 * Records a submission: đã nộp when it arrives by the deadline, nộp muộn after it. A report returned for
 * rework (trả lại) may be submitted again. Repeating the same submission (same externalRef, or none from the
 * assistant) changes nothing and answers the same; a different document for an already submitted period is
 * refused rather than silently replacing the first one.
 */
export async function markSubmitted(
  db: Queryable,
  input: SubmissionInput,
  options: { selfService?: boolean; now?: Date } = {},
): Promise<ReportResult> {
  const now = options.now ?? input.at;
  return inTransaction(db, async (tx) => {
    const located = await locateObligation(tx, input, now);
    if (typeof located === 'string') return { ok: false, error: located };
    const { regime, unitName, row } = located;
    if (options.selfService && !regime.selfSubmit) return { ok: false, error: 'self_submit_not_allowed' };
    const ref = input.externalRef ?? null;

    if (row.status === 'da_nop' || row.status === 'nop_muon') {
      if (ref === null || ref === row.externalRef) return { ok: true, obligation: toView(row, regime, unitName), changed: false };
      return { ok: false, error: 'already_submitted' };
    }
    const [updated] = await tx
      .update(reportObligations)
      .set({
        status: input.at.getTime() <= row.dueAt.getTime() ? 'da_nop' : 'nop_muon',
        submittedAt: input.at,
        submittedBy: input.by,
        externalRef: ref,
        updatedAt: now,
      })
      .where(eq(reportObligations.id, row.id))
      .returning();
    return { ok: true, obligation: toView(updated!, regime, unitName), changed: true };
  });
}

/** The receiving unit sent the report back for rework (trả lại): it is owed again. */
export async function markReturned(
  db: Queryable,
  input: SubmissionInput & { note?: string | null },
  options: { now?: Date } = {},
): Promise<ReportResult> {
  const now = options.now ?? input.at;
  return inTransaction(db, async (tx) => {
    const located = await locateObligation(tx, input, now);
    if (typeof located === 'string') return { ok: false, error: located };
    const { regime, unitName, row } = located;
    if (row.status === 'tra_lai') return { ok: true, obligation: toView(row, regime, unitName), changed: false };
    if (row.status === 'chua_nop') return { ok: false, error: 'not_submitted' };
    const [updated] = await tx
      .update(reportObligations)
      .set({ status: 'tra_lai', externalRef: input.externalRef ?? row.externalRef, note: input.note ?? `Trả lại bởi ${input.by}`, updatedAt: now })
      .where(eq(reportObligations.id, row.id))
      .returning();
    return { ok: true, obligation: toView(updated!, regime, unitName), changed: true };
  });
}

/** An ad hoc request's code, as people type it in a reply ("đã nộp mua-lu lu-2026-03") and read it in lists. */
export const AD_HOC_PERIOD_KEY = /^[a-z0-9][a-z0-9-]{2,39}$/;
export const AD_HOC_NOTE_MAX = 1000;

export interface AdHocRequest {
  regimeCode: string;
  /** The request's code, unique within the regime (AD_HOC_PERIOD_KEY). */
  periodKey: string;
  /** The data window, local days 'YYYY-MM-DD'. */
  start: string;
  end: string;
  dueAt: Date;
  /** The units asked; every unit the regime obliges when absent. Each must be one the regime obliges. */
  unitIds?: readonly number[];
  /** What is asked for, shown to the units with the report. */
  note?: string | null;
}

/** A rollback that answers "period taken": a request with the same code committed while this one ran. */
class PeriodTaken extends Error {}

/**
 * The deadline of an ad hoc request set as a day: the end of that day's working hours, the way every report
 * deadline is read ("đến hết giờ làm việc của ngày hạn"); undefined when the day is not a working day.
 */
export function adHocDueAt(calendar: WorkingCalendar, day: string): Date | undefined {
  if (!isWorkingDay(calendar, day)) return undefined;
  return addWorkingDays(calendar, atLocalTime(day, '12:00'), 0);
}

/**
 * An ad hoc (đột xuất) request of an ad hoc regime: the receiving unit names the request (its code), the data
 * window and the deadline, and asks some or all of the units the regime obliges. Each asked unit gets an
 * obligation like any period's, so it is listed, reminded of and recorded by the same functions. A code is
 * used once per regime: a second request under it is refused rather than merged into the first.
 */
export async function requestAdHocReport(db: Db, input: AdHocRequest, now: Date): Promise<{ ok: true; created: number } | { ok: false; error: AdHocRequestErrorCode }> {
  const regime = await findRegimeByCode(db, input.regimeCode);
  if (!regime || !regime.active) return { ok: false, error: 'unknown_regime' };
  if (regime.frequency !== 'ad_hoc') return { ok: false, error: 'not_ad_hoc' };
  if (!AD_HOC_PERIOD_KEY.test(input.periodKey)) return { ok: false, error: 'invalid_period_key' };
  if (input.start > input.end || input.end > localDay(input.dueAt)) return { ok: false, error: 'invalid_window' };
  if (input.dueAt.getTime() <= now.getTime()) return { ok: false, error: 'due_passed' };
  const note = input.note?.trim() || null;
  if (note !== null && note.length > AD_HOC_NOTE_MAX) return { ok: false, error: 'note_too_long' };

  const all = await loadReportingUnits(db);
  const obligedUnits = all.filter((u) => isUnitObliged(regime, u));
  let asked = obligedUnits;
  if (input.unitIds) {
    const wanted = new Set(input.unitIds);
    if (wanted.size === 0) return { ok: false, error: 'no_units' };
    asked = obligedUnits.filter((u) => wanted.has(u.id));
    // A unit the regime does not oblige (or that does not exist) is a mistake to point out, not to drop.
    if (asked.length !== wanted.size) return { ok: false, error: 'not_obliged' };
  }
  if (asked.length === 0) return { ok: false, error: 'nobody_obliged' };

  const period: DatedReportPeriod = { key: input.periodKey, label: input.periodKey, start: input.start, end: input.end, dueAt: input.dueAt };
  try {
    return await inTransaction(db, async (tx) => {
      const [taken] = await tx
        .select({ id: reportObligations.id })
        .from(reportObligations)
        .where(and(eq(reportObligations.regimeId, regime.id), eq(reportObligations.periodKey, input.periodKey)))
        .limit(1);
      if (taken) return { ok: false as const, error: 'period_exists' as const };
      const inserted = await tx
        .insert(reportObligations)
        .values(asked.map((u) => obligationValues(regime, u.id, period, now, note)))
        .onConflictDoNothing()
        .returning({ id: reportObligations.id });
      if (inserted.length !== asked.length) throw new PeriodTaken();
      return { ok: true as const, created: inserted.length };
    });
  } catch (err) {
    if (err instanceof PeriodTaken) return { ok: false, error: 'period_exists' };
    throw err;
  }
}

const obligationColumns = {
  obligation: reportObligations,
  regime: reportingRegimes,
  unitName: units.fullName,
};

type JoinedRow = { obligation: ObligationRow; regime: typeof reportingRegimes.$inferSelect; unitName: string };

function toViews(rows: JoinedRow[]): ObligationView[] {
  return rows.map((r) => toView(r.obligation, parseRegimeRow(r.regime), r.unitName));
}

/**
 * What a unit owes now: per periodic regime the current period's report (due today or later), every ad hoc
 * request due today or later, plus every earlier one still owed (overdue), earliest deadline first.
 */
export async function listUnitObligations(q: Queryable, unitId: number, now: Date): Promise<ObligationView[]> {
  const startOfToday = atLocalTime(localDay(now), '00:00');
  const rows = await q
    .select(obligationColumns)
    .from(reportObligations)
    .innerJoin(reportingRegimes, eq(reportingRegimes.id, reportObligations.regimeId))
    .innerJoin(units, eq(units.id, reportObligations.unitId))
    .where(
      and(
        eq(reportObligations.unitId, unitId),
        eq(reportingRegimes.active, true),
        or(gte(reportObligations.dueAt, startOfToday), inArray(reportObligations.status, [...OWED_REPORT_STATUSES])),
      ),
    )
    .orderBy(asc(reportObligations.dueAt), asc(reportingRegimes.code));
  const seenCurrent = new Set<number>();
  const out: JoinedRow[] = [];
  for (const row of rows) {
    // Each ad hoc request is a report of its own, not the next period of the one before.
    if (row.obligation.dueAt.getTime() < startOfToday.getTime() || row.regime.frequency === 'ad_hoc') {
      out.push(row);
    } else if (!seenCurrent.has(row.obligation.regimeId)) {
      seenCurrent.add(row.obligation.regimeId);
      out.push(row);
    }
  }
  return toViews(out);
}

/** Every obliged unit's standing for one regime and period: who has and who has not submitted. */
export async function listSubmissionStatus(q: Queryable, regimeId: number, periodKey: string): Promise<ObligationView[]> {
  const rows = await q
    .select(obligationColumns)
    .from(reportObligations)
    .innerJoin(reportingRegimes, eq(reportingRegimes.id, reportObligations.regimeId))
    .innerJoin(units, eq(units.id, reportObligations.unitId))
    .where(and(eq(reportObligations.regimeId, regimeId), eq(reportObligations.periodKey, periodKey)))
    .orderBy(sql`${reportObligations.status} in ('chua_nop', 'tra_lai') desc`, asc(units.fullName));
  return toViews(rows);
}

/** What the city's reporting system pushes: a submission (đã nộp) or a return for rework (trả lại). */
export interface ReportPush {
  regimeCode: string;
  unitCode: string;
  periodKey: string;
  status: 'da_nop' | 'tra_lai';
  at: Date;
  by: string;
  externalRef: string;
}

/**
 * Records a push from the reporting system by codes (regime, unit, period as people write it). The same
 * push twice answers the same (`changed: false` the second time).
 */
export async function recordReportPush(db: Db, push: ReportPush, now: Date): Promise<ReportResult> {
  const regime = await findRegimeByCode(db, push.regimeCode);
  if (!regime || !regime.active) return { ok: false, error: 'unknown_regime' };
  const unit = await findUnitByCode(db, push.unitCode);
  if (!unit) return { ok: false, error: 'unknown_unit' };
  const input: SubmissionInput = {
    regimeCode: regime.code,
    unitId: unit.id,
    periodKey: normalisePeriodKey(push.periodKey) ?? push.periodKey.trim(),
    by: push.by,
    at: push.at,
    externalRef: push.externalRef,
  };
  return push.status === 'da_nop' ? markSubmitted(db, input, { now }) : markReturned(db, input, { now });
}
