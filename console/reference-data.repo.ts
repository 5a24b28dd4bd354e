import { asc } from 'drizzle-orm';
import { categories, units } from '../db/schema.js';
import type { Db } from '../runtime/db.js';

export interface CategoryOption {
  id: number;
  name: string;
  active: boolean;
}

export interface UnitOption {
  id: number;
  name: string;
  kind: (typeof units.$inferSelect)['kind'];
  active: boolean;
}

/** Small reference tables the console shows as names and select options; read per request. */
export interface ReferenceData {
  categories: CategoryOption[];
  units: UnitOption[];
  categoryName(id: number | null): string;
  unitName(id: number | null): string;
}

export async function loadReferenceData(db: Db): Promise<ReferenceData> {
  const categoryRows = await db
    .select({ id: categories.id, name: categories.name, active: categories.active })
    .from(categories)
    .orderBy(asc(categories.sortOrder), asc(categories.id));
  const unitRows = (
    await db
      .select({ id: units.id, name: units.name, fullName: units.fullName, kind: units.kind, active: units.active })
      .from(units)
      .orderBy(asc(units.kind), asc(units.name))
  ).map((u) => ({ id: u.id, name: describeUnitName(u), kind: u.kind, active: u.active }));
  const categoryNames = new Map(categoryRows.map((c) => [c.id, c.name]));
  const unitNames = new Map(unitRows.map((u) => [u.id, u.name]));
  return {
    categories: categoryRows,
    units: unitRows,
    categoryName: (id) => (id === null ? 'Chưa phân loại' : (categoryNames.get(id) ?? `Lĩnh vực #${id}`)),
    unitName: (id) => (id === null ? '—' : (unitNames.get(id) ?? `Đơn vị #${id}`)),
  };
}

/**
 * "Hoàn Kiếm" is both a ward and a former district: wards and communes are shown with their kind
 * ("Phường Hoàn Kiếm"); departments keep their short name ("Sở Xây dựng", not "… Thành phố Hà Nội").
 */
export function describeUnitName(u: { name: string; fullName: string; kind: UnitOption['kind'] }): string {
  return u.kind === 'ward' || u.kind === 'commune' ? u.fullName : u.name;
}

/** Wards and communes: the "phường/xã" filter and the place of a case. */
export function listAreaUnits(ref: ReferenceData): UnitOption[] {
  return ref.units.filter((u) => u.kind === 'ward' || u.kind === 'commune');
}

/** Units a case can be assigned or transferred to: every active unit but the city itself. */
export function listHandlingUnits(ref: ReferenceData): UnitOption[] {
  return ref.units.filter((u) => u.active && u.kind !== 'city');
}

