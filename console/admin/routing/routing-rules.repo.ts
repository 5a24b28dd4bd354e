import { asc, eq } from 'drizzle-orm';
import { routingRules } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';

export type AdminRoutingRuleRow = typeof routingRules.$inferSelect;

export async function listRoutingRulesForAdmin(db: Db): Promise<AdminRoutingRuleRow[]> {
  return db.select().from(routingRules).orderBy(asc(routingRules.priority), asc(routingRules.id));
}

export interface RoutingRuleValues {
  categoryId: number | null;
  areaUnitId: number | null;
  targetUnitId: number | null;
  routeToArea: boolean;
  priority: number;
  note: string | null;
}

export async function insertRoutingRule(db: Db, values: RoutingRuleValues): Promise<number> {
  const [row] = await db.insert(routingRules).values({ ...values, active: true }).returning({ id: routingRules.id });
  if (!row) throw new Error('routing rule insert returned nothing');
  return row.id;
}

export async function updateRoutingRule(db: Db, ruleId: number, values: { priority: number; active: boolean }): Promise<boolean> {
  const rows = await db.update(routingRules).set(values).where(eq(routingRules.id, ruleId)).returning({ id: routingRules.id });
  return rows.length > 0;
}

export async function deleteRoutingRule(db: Db, ruleId: number): Promise<boolean> {
  const rows = await db.delete(routingRules).where(eq(routingRules.id, ruleId)).returning({ id: routingRules.id });
  return rows.length > 0;
}
