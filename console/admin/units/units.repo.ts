import { asc, eq } from 'drizzle-orm';
import { units } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';

export type UnitKind = (typeof units.$inferSelect)['kind'];
export type AssignmentStrategy = 'round_robin' | 'least_open';

export interface AdminUnitRow {
  id: number;
  code: string;
  name: string;
  fullName: string;
  kind: UnitKind;
  requiresApproval: boolean;
  assignmentStrategy: AssignmentStrategy;
  active: boolean;
}

export async function listUnitsForAdmin(db: Db, kind: UnitKind | null): Promise<AdminUnitRow[]> {
  const query = db
    .select({
      id: units.id,
      code: units.code,
      name: units.name,
      fullName: units.fullName,
      kind: units.kind,
      requiresApproval: units.requiresApproval,
      assignmentStrategy: units.assignmentStrategy,
      active: units.active,
    })
    .from(units);
  return (kind ? query.where(eq(units.kind, kind)) : query).orderBy(asc(units.kind), asc(units.name));
}

/** Returns false when no such unit exists. */
export async function updateUnitSettings(
  db: Db,
  unitId: number,
  settings: { requiresApproval: boolean; assignmentStrategy: AssignmentStrategy },
): Promise<boolean> {
  const rows = await db.update(units).set(settings).where(eq(units.id, unitId)).returning({ id: units.id });
  return rows.length > 0;
}
