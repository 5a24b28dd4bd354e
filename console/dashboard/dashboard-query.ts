import { z } from 'zod';
import type { DashboardFilters } from '../../workflows/dashboard/dashboard.repo.js';
import type { PeriodGranularity } from '../../workflows/dashboard/case-kpis.js';

const blank = (v: unknown) => (v === '' ? undefined : v);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const ZDashboardQuery = z.object({
  from: z.preprocess(blank, day.optional()),
  to: z.preprocess(blank, day.optional()),
  granularity: z.preprocess(blank, z.enum(['week', 'month']).optional()),
  unitId: z.preprocess(blank, z.coerce.number().int().positive().optional()),
  categoryId: z.preprocess(blank, z.coerce.number().int().positive().optional()),
  areaUnitId: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});
export type TDashboardQuery = z.infer<typeof ZDashboardQuery>;

/** Without a "from", the dashboard covers the last twelve months: enough for trends, small enough to load. */
export const DEFAULT_PERIOD_DAYS = 365;

function startOfVnDay(value: string, plusDays = 0): Date | null {
  const at = new Date(`${value}T00:00:00+07:00`);
  if (Number.isNaN(at.getTime())) return null;
  return new Date(at.getTime() + plusDays * 86_400_000);
}

/** "Đến ngày" includes the whole day; the unit filter only applies to officials who see every unit. */
export function toDashboardFilters(query: TDashboardQuery, now: Date, seesAllUnits: boolean): DashboardFilters {
  const from = query.from ? startOfVnDay(query.from) : new Date(now.getTime() - DEFAULT_PERIOD_DAYS * 86_400_000);
  const to = query.to ? startOfVnDay(query.to, 1) : null;
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(query.categoryId ? { categoryId: query.categoryId } : {}),
    ...(query.areaUnitId ? { areaUnitId: query.areaUnitId } : {}),
    ...(seesAllUnits && query.unitId ? { unitId: query.unitId } : {}),
  };
}

export function pickGranularity(query: TDashboardQuery): PeriodGranularity {
  return query.granularity ?? 'month';
}
