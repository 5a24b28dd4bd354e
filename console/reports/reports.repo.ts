import { desc, eq, inArray, max } from 'drizzle-orm';
import { officials, reportObligations } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';

/** The periods a regime has rows for, latest deadline first: what the receiving unit can look back on. */
export async function listRegimePeriodKeys(q: Queryable, regimeId: number, limit = 36): Promise<Array<{ periodKey: string; dueAt: Date }>> {
  const rows = await q
    .select({ periodKey: reportObligations.periodKey, dueAt: max(reportObligations.dueAt) })
    .from(reportObligations)
    .where(eq(reportObligations.regimeId, regimeId))
    .groupBy(reportObligations.periodKey)
    .orderBy(desc(max(reportObligations.dueAt)))
    .limit(limit);
  return rows.flatMap((r) => (r.dueAt ? [{ periodKey: r.periodKey, dueAt: r.dueAt }] : []));
}

/** Officials' names by login, for "who recorded it" (submitted_by holds a login or `api:<token>`). */
export async function loadOfficialNamesByLogin(q: Queryable, logins: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(logins)];
  if (unique.length === 0) return new Map();
  const rows = await q.select({ login: officials.login, name: officials.fullName }).from(officials).where(inArray(officials.login, unique));
  return new Map(rows.map((r) => [r.login, r.name]));
}
