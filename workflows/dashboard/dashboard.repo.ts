import { and, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { caseUnits, cases } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import type { Actor } from '../cases/actor.js';
import type { CaseFact } from './case-kpis.js';

export const ZDashboardFilters = z.object({
  /** received_at ≥ from */
  from: z.date().optional(),
  /** received_at < to */
  to: z.date().optional(),
  categoryId: z.number().int().positive().optional(),
  areaUnitId: z.number().int().positive().optional(),
  /** Responsible unit; only narrows what the scope already allows. */
  unitId: z.number().int().positive().optional(),
});
export type DashboardFilters = z.infer<typeof ZDashboardFilters>;

/**
 * Dispatchers and admins count every case; other officials the cases their unit leads or co-handles: the
 * rule of canActorSeeCase, in SQL, so a unit's dashboard never includes another unit's numbers.
 */
function scopeCondition(actor: Actor): SQL {
  switch (actor.type) {
    case 'system':
      return sql`true`;
    case 'citizen':
      return eq(cases.contactId, actor.contactId);
    case 'official': {
      if (actor.roles.includes('admin') || actor.roles.includes('dispatcher')) return sql`true`;
      if (actor.roles.length === 0) return sql`false`;
      return or(
        eq(cases.responsibleUnitId, actor.unitId),
        sql`exists (select 1 from ${caseUnits} where ${caseUnits.caseId} = ${cases.id} and ${caseUnits.unitId} = ${actor.unitId})`,
      ) as SQL;
    }
  }
}

/** Whether the actor's dashboard covers every unit (and may narrow it to one). */
export function seesAllUnits(actor: Actor): boolean {
  return actor.type === 'system' || (actor.type === 'official' && (actor.roles.includes('admin') || actor.roles.includes('dispatcher')));
}

/** The facts of every case in scope and filter; a few narrow columns, so a year of a city's cases fits. */
export async function loadCaseFacts(q: Queryable, actor: Actor, filters: DashboardFilters): Promise<CaseFact[]> {
  const conditions: SQL[] = [scopeCondition(actor)];
  if (filters.from) conditions.push(gte(cases.receivedAt, filters.from));
  if (filters.to) conditions.push(lt(cases.receivedAt, filters.to));
  if (filters.categoryId !== undefined) conditions.push(eq(cases.categoryId, filters.categoryId));
  if (filters.areaUnitId !== undefined) conditions.push(eq(cases.areaUnitId, filters.areaUnitId));
  if (filters.unitId !== undefined) conditions.push(eq(cases.responsibleUnitId, filters.unitId));
  return q
    .select({
      status: cases.status,
      categoryId: cases.categoryId,
      areaUnitId: cases.areaUnitId,
      responsibleUnitId: cases.responsibleUnitId,
      receivedAt: cases.receivedAt,
      answerDueAt: cases.answerDueAt,
      answeredAt: cases.answeredAt,
      answeredOnTime: cases.answeredOnTime,
      rating: cases.rating,
    })
    .from(cases)
    .where(and(...conditions));
}
