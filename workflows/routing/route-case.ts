/** The columns of routing_rules that decide a route; a row of the table fits as is. */
export interface RoutingRule {
  id: number;
  categoryId: number | null;
  areaUnitId: number | null;
  targetUnitId: number | null;
  routeToArea: boolean;
  priority: number;
  active: boolean;
}

/** The columns of categories that give a category's default responsible unit. */
export interface RoutingCategory {
  id: number;
  defaultUnitId: number | null;
  routeToArea: boolean;
  active: boolean;
}

export interface RouteInput {
  categoryId: number | null;
  /** The ward/commune where the problem is. */
  areaUnitId: number | null;
}

export type RouteDecision =
  | { unitId: number; source: 'rule'; ruleId: number }
  | { unitId: number; source: 'category_default'; categoryId: number };

export interface RouteOptions {
  /** Units that may receive cases; a rule pointing elsewhere is skipped rather than followed. */
  activeUnitIds?: ReadonlySet<number>;
}

/**
 * Picks the responsible unit for a new case, or null: the case then stays `received` in the dispatcher queue.
 *
 * Order: active rules matching the case (a rule's null category or area means "any"), by `priority` ascending
 * (1 before 100: an admin raises a rule by lowering its number), then the more specific rule (category and
 * area > category > area > catch-all), then the lower id so the answer never depends on row order. A rule
 * with `routeToArea` sends the case to its own ward/commune and is skipped when the case has none. When no
 * rule applies, the category's own default (default unit or route-to-area) is used, so a category an admin
 * configured on its page routes even without a rule row.
 */
export function routeCase(
  rules: readonly RoutingRule[],
  categories: readonly RoutingCategory[],
  input: RouteInput,
  options: RouteOptions = {},
): RouteDecision | null {
  const usable = (unitId: number | null): unitId is number =>
    unitId !== null && (options.activeUnitIds === undefined || options.activeUnitIds.has(unitId));

  const candidates = rules
    .filter(
      (r) =>
        r.active &&
        (r.categoryId === null || r.categoryId === input.categoryId) &&
        (r.areaUnitId === null || r.areaUnitId === input.areaUnitId),
    )
    .sort((a, b) => a.priority - b.priority || specificity(b) - specificity(a) || a.id - b.id);

  for (const rule of candidates) {
    const unitId = rule.routeToArea ? input.areaUnitId : rule.targetUnitId;
    if (usable(unitId)) return { unitId, source: 'rule', ruleId: rule.id };
  }

  const category = input.categoryId === null ? undefined : categories.find((c) => c.id === input.categoryId);
  if (category?.active) {
    const unitId = category.routeToArea ? input.areaUnitId : category.defaultUnitId;
    if (usable(unitId)) return { unitId, source: 'category_default', categoryId: category.id };
  }
  return null;
}

function specificity(rule: RoutingRule): number {
  return (rule.categoryId !== null ? 2 : 0) + (rule.areaUnitId !== null ? 1 : 0);
}
