import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { reportingRegimes, reportObligations, units } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import { parseRegimeRow, RegimeRuleError, type ReportingRegime } from './reporting-regime.js';

export type ObligationRow = typeof reportObligations.$inferSelect;

export interface ReportingUnit {
  id: number;
  code: string;
  /** The full name ("Phường Hoàn Kiếm"): lists of units mix wards, communes and departments. */
  name: string;
  kind: string;
}

/** Active regimes; a row whose JSON rules do not parse is reported, not allowed to stop the others. */
export async function loadActiveRegimes(q: Queryable): Promise<{ regimes: ReportingRegime[]; broken: RegimeRuleError[] }> {
  const rows = await q.select().from(reportingRegimes).where(eq(reportingRegimes.active, true)).orderBy(asc(reportingRegimes.code));
  const regimes: ReportingRegime[] = [];
  const broken: RegimeRuleError[] = [];
  for (const row of rows) {
    try {
      regimes.push(parseRegimeRow(row));
    } catch (err) {
      if (err instanceof RegimeRuleError) broken.push(err);
      else throw err;
    }
  }
  return { regimes, broken };
}

/** Codes are matched without regard to case: people type "KTXH-THANG" as often as "ktxh-thang". */
export async function findRegimeByCode(q: Queryable, code: string): Promise<ReportingRegime | undefined> {
  const [row] = await q
    .select()
    .from(reportingRegimes)
    .where(sql`lower(${reportingRegimes.code}) = ${code.trim().toLowerCase()}`);
  return row ? parseRegimeRow(row) : undefined;
}

/** The unit currently carrying this code (GSO codes are reused across reforms, so the open-ended one). */
export async function findUnitByCode(q: Queryable, code: string): Promise<ReportingUnit | undefined> {
  const [row] = await q
    .select({ id: units.id, code: units.code, name: units.fullName, kind: units.kind })
    .from(units)
    .where(and(eq(units.code, code.trim()), isNull(units.effectiveTo), eq(units.active, true)))
    .orderBy(desc(units.effectiveFrom))
    .limit(1);
  return row;
}

export async function findUnitById(q: Queryable, id: number): Promise<ReportingUnit | undefined> {
  const [row] = await q.select({ id: units.id, code: units.code, name: units.fullName, kind: units.kind }).from(units).where(eq(units.id, id));
  return row;
}

/** Units that exist today and can be obliged to report. */
export async function loadReportingUnits(q: Queryable): Promise<ReportingUnit[]> {
  return q
    .select({ id: units.id, code: units.code, name: units.fullName, kind: units.kind })
    .from(units)
    .where(and(eq(units.active, true), isNull(units.effectiveTo)))
    .orderBy(asc(units.id));
}

export async function findObligation(
  q: Queryable,
  key: { regimeId: number; unitId: number; periodKey: string },
  options: { lock?: boolean } = {},
): Promise<ObligationRow | undefined> {
  const query = q
    .select()
    .from(reportObligations)
    .where(
      and(
        eq(reportObligations.regimeId, key.regimeId),
        eq(reportObligations.unitId, key.unitId),
        eq(reportObligations.periodKey, key.periodKey),
      ),
    );
  const [row] = options.lock ? await query.for('update') : await query;
  return row;
}
