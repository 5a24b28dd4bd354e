import { eq } from 'drizzle-orm';
import { categories, routingRules, units } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import type { RoutingCategory, RoutingRule } from './route-case.js';

export async function loadRoutingRules(q: Queryable): Promise<RoutingRule[]> {
  return q
    .select({
      id: routingRules.id,
      categoryId: routingRules.categoryId,
      areaUnitId: routingRules.areaUnitId,
      targetUnitId: routingRules.targetUnitId,
      routeToArea: routingRules.routeToArea,
      priority: routingRules.priority,
      active: routingRules.active,
    })
    .from(routingRules)
    .where(eq(routingRules.active, true));
}

export async function loadRoutingCategories(q: Queryable): Promise<RoutingCategory[]> {
  return q
    .select({ id: categories.id, defaultUnitId: categories.defaultUnitId, routeToArea: categories.routeToArea, active: categories.active })
    .from(categories);
}

export async function loadActiveUnitIds(q: Queryable): Promise<Set<number>> {
  const rows = await q.select({ id: units.id }).from(units).where(eq(units.active, true));
  return new Set(rows.map((r) => r.id));
}
