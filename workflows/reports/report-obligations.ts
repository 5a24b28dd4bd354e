import { and, asc, eq, gte, inArray, or, sql } from 'drizzle-orm';
import { reportingRegimes, reportObligations, units } from '../../db/schema.js';
import type { Db, Queryable, Tx } from '../../runtime/db.js';
import { loadWorkingCalendar } from '../calendar/calendar.repo.js';
import { localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { atLocalTime } from '../nudges/send-window.js';
import type { ReportErrorCode } from './report-errors.js';
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
  /** Why the receiving unit returned it (trả lại); kept after a resubmission, so read it with the status. */
  note: string | null;
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
  };
}

function obligationValues(regime: ReportingRegime, unitId: number, period: DatedReportPeriod, now: Date) {
  return {
    regimeId: regime.id,
    unitId,
    periodKey: period.key,
    periodStart: period.start,
    periodEnd: period.end,
    dueAt: period.dueAt,
    status: 'chua_nop' as const,
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

/** An ad hoc (đột xuất) request: the receiving unit names the period, its window and the deadline. */
export async function requestAdHocReport(
  db: Db,
  input: { regimeCode: string; periodKey: string; start: string; end: string; dueAt: Date; unitIds?: number[] },
  now: Date,
): Promise<{ ok: true; created: number } | { ok: false; error: ReportErrorCode }> {
  const regime = await findRegimeByCode(db, input.regimeCode);
  if (!regime || !regime.active) return { ok: false, error: 'unknown_regime' };
  const all = await loadReportingUnits(db);
  const obliged = input.unitIds ? all.filter((u) => input.unitIds!.includes(u.id) && u.id !== regime.receivingUnitId) : all.filter((u) => isUnitObliged(regime, u));
  if (obliged.length === 0) return { ok: false, error: 'not_obliged' };
  const period: DatedReportPeriod = { key: input.periodKey, label: input.periodKey, start: input.start, end: input.end, dueAt: input.dueAt };
  const inserted = await db
    .insert(reportObligations)
    .values(obliged.map((u) => obligationValues(regime, u.id, period, now)))
    .onConflictDoNothing()
    .returning({ id: reportObligations.id });
  return { ok: true, created: inserted.length };
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
 * What a unit owes now: per regime the current period's report (due today or later), plus every earlier one
 * still owed (overdue), earliest deadline first.
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
    if (row.obligation.dueAt.getTime() < startOfToday.getTime()) {
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
