import { and, asc, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import { reportingRegimes, reportObligations } from '../../../db/schema.js';
import type { Queryable } from '../../../runtime/db.js';
import type { ReportFrequency } from '../../../workflows/reports/reporting-regime.js';

export type AdminRegimeRow = typeof reportingRegimes.$inferSelect;

/** Active regimes first, then by code; inactive ones stay listed so they can be reactivated. */
export async function listRegimesForAdmin(q: Queryable): Promise<AdminRegimeRow[]> {
  return q.select().from(reportingRegimes).orderBy(desc(reportingRegimes.active), asc(reportingRegimes.code));
}

export async function findRegimeRowById(q: Queryable, id: number, options: { lock?: boolean } = {}): Promise<AdminRegimeRow | undefined> {
  const query = q.select().from(reportingRegimes).where(eq(reportingRegimes.id, id));
  const [row] = options.lock ? await query.for('update') : await query;
  return row;
}

/** Codes are looked up without regard to case (findRegimeByCode), so "KTXH-THANG" and "ktxh-thang" clash. */
export async function isRegimeCodeTaken(q: Queryable, code: string, exceptId?: number): Promise<boolean> {
  const [row] = await q
    .select({ id: reportingRegimes.id })
    .from(reportingRegimes)
    .where(and(sql`lower(${reportingRegimes.code}) = ${code.toLowerCase()}`, exceptId === undefined ? undefined : ne(reportingRegimes.id, exceptId)))
    .limit(1);
  return row !== undefined;
}

export interface RegimeValues {
  name: string;
  legalBasis: string;
  frequency: ReportFrequency;
  cutoffRule: Record<string, unknown>;
  deadlineRule: Record<string, unknown>;
  obligedUnitKinds: string[];
  obligedUnitIds: number[];
  receivingUnitId: number;
  selfSubmit: boolean;
}

/** undefined when the code was taken between the check and the insert (unique index on code). */
export async function insertRegime(q: Queryable, code: string, values: RegimeValues): Promise<AdminRegimeRow | undefined> {
  const [row] = await q
    .insert(reportingRegimes)
    .values({ ...values, code, active: true })
    .onConflictDoNothing({ target: reportingRegimes.code })
    .returning();
  return row;
}

/**
 * The code never changes: the reporting system and officials' Zalo commands ("đã nộp ktxh-thang") use it. Only the
 * version the edit was made on is updated (and raised); undefined when the row is gone or another edit came first.
 */
export async function updateRegime(q: Queryable, id: number, editedVersion: number, values: RegimeValues): Promise<AdminRegimeRow | undefined> {
  const [row] = await q
    .update(reportingRegimes)
    .set({ ...values, version: sql`${reportingRegimes.version} + 1` })
    .where(and(eq(reportingRegimes.id, id), eq(reportingRegimes.version, editedVersion)))
    .returning();
  return row;
}

export async function setRegimeActive(q: Queryable, id: number, active: boolean): Promise<AdminRegimeRow | undefined> {
  const [row] = await q.update(reportingRegimes).set({ active }).where(eq(reportingRegimes.id, id)).returning();
  return row;
}

/** Per regime: how many obligations are still owed (chưa nộp, trả lại) — shown beside each regime. */
export async function countOwedByRegime(q: Queryable, regimeIds: readonly number[]): Promise<Map<number, number>> {
  if (regimeIds.length === 0) return new Map();
  const rows = await q
    .select({ regimeId: reportObligations.regimeId, owed: sql<number>`count(*)::int` })
    .from(reportObligations)
    .where(and(inArray(reportObligations.regimeId, [...regimeIds]), inArray(reportObligations.status, ['chua_nop', 'tra_lai'])))
    .groupBy(reportObligations.regimeId);
  return new Map(rows.map((r) => [r.regimeId, Number(r.owed)]));
}
