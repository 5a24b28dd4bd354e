import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../runtime/db.js';
import { calendarDays, categories, legacyUnits, routingRules, slaRules, units } from '../schema.js';
import { parseCsv } from './csv.js';
import { CATEGORIES, CITY_UNIT, DEPARTMENTS } from './reference-data.js';

const dataFile = (name: string) => fileURLToPath(new URL(`./data/${name}`, import.meta.url));

const WARDS_EFFECTIVE_FROM = '2025-07-01'; // NQ 1656/NQ-UBTVQH15, Điều 2
const DEPARTMENTS_EFFECTIVE_FROM = '2025-03-01'; // HĐND TP resolution of 25/2/2025

const ZFormedFrom = z.object({
  effective: z.string(),
  units: z.array(
    z.object({
      code: z.string(),
      full_name: z.string(),
      formed_from: z.array(z.object({ old_code: z.string(), old_full_name: z.string(), type: z.enum(['full', 'partial']) })),
    }),
  ),
});

export function readWardRows() {
  return parseCsv(readFileSync(dataFile('hanoi-wards-2025.csv'), 'utf8')).map((r) => ({
    code: r.code ?? '',
    name: r.name ?? '',
    fullName: r.full_name ?? '',
    kind: r.unit_type === 'xã' ? ('commune' as const) : ('ward' as const),
    nameEn: r.name_en ?? '',
  }));
}

export function readCalendarRows(): Array<{ day: string; working: boolean; reason: string; source: string | null }> {
  return parseCsv(readFileSync(dataFile('vn-calendar-2026.csv'), 'utf8')).map((r) => ({
    day: r.date ?? '',
    working: r.working === 'true',
    reason: r.reason ?? '',
    source: r.source || null,
  }));
}

/** Units, old-unit mapping, categories and default routing. Re-running inserts nothing twice and never overwrites an admin's edits. */
export async function seedOrganisation(db: Db): Promise<void> {
  await db
    .insert(units)
    .values({ code: CITY_UNIT.code, name: CITY_UNIT.name, fullName: CITY_UNIT.fullName, kind: 'city', effectiveFrom: '2008-08-01' })
    .onConflictDoNothing();
  const [city] = await db.select({ id: units.id }).from(units).where(sql`${units.code} = ${CITY_UNIT.code}`);
  if (!city) throw new Error('city unit missing after seeding');

  await db
    .insert(units)
    .values(
      DEPARTMENTS.map((d) => ({
        code: d.code,
        name: d.name,
        fullName: d.fullName,
        kind: d.kind,
        parentId: city.id,
        effectiveFrom: DEPARTMENTS_EFFECTIVE_FROM,
      })),
    )
    .onConflictDoNothing();

  await db
    .insert(units)
    .values(
      readWardRows().map((w) => ({
        code: w.code,
        name: w.name,
        fullName: w.fullName,
        kind: w.kind,
        parentId: city.id,
        effectiveFrom: WARDS_EFFECTIVE_FROM,
        meta: { nameEn: w.nameEn },
      })),
    )
    .onConflictDoNothing();

  const unitIdByCode = new Map((await db.select({ id: units.id, code: units.code }).from(units)).map((u) => [u.code, u.id]));

  const formedFrom = ZFormedFrom.parse(JSON.parse(readFileSync(dataFile('hanoi-wards-2025-formed-from.json'), 'utf8')));
  const legacyRows = formedFrom.units.flatMap((u) => {
    const unitId = unitIdByCode.get(u.code);
    if (unitId === undefined) return [];
    return u.formed_from.map((old) => ({
      oldCode: old.old_code,
      oldFullName: old.old_full_name,
      unitId,
      share: old.type,
      effectiveTo: '2025-06-30',
    }));
  });
  for (let i = 0; i < legacyRows.length; i += 500) {
    await db.insert(legacyUnits).values(legacyRows.slice(i, i + 500)).onConflictDoNothing();
  }

  await db
    .insert(categories)
    .values(
      CATEGORIES.map((c, index) => ({
        code: c.code,
        name: c.name,
        description: c.description,
        defaultUnitId: c.defaultUnitCode ? (unitIdByCode.get(c.defaultUnitCode) ?? null) : null,
        routeToArea: c.routeToArea,
        sortOrder: index + 1,
      })),
    )
    .onConflictDoNothing();

  // Routing rules have no natural key: seed them once, on an empty table, so admin changes survive restarts.
  const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(routingRules)) as [{ count: number }];
  if (count === 0) {
    const categoryRows = await db.select().from(categories);
    const rules = categoryRows
      .filter((c) => c.defaultUnitId !== null || c.routeToArea)
      .map((c) => ({
        categoryId: c.id,
        areaUnitId: null,
        targetUnitId: c.routeToArea ? null : c.defaultUnitId,
        routeToArea: c.routeToArea,
        priority: 100,
        note: 'Mặc định theo lĩnh vực',
      }));
    if (rules.length > 0) await db.insert(routingRules).values(rules);
  }
}

export async function seedCalendar(db: Db): Promise<void> {
  await db.insert(calendarDays).values(readCalendarRows()).onConflictDoNothing();
}

export async function seedSlaRules(db: Db, rules: Array<typeof slaRules.$inferInsert>): Promise<void> {
  if (rules.length > 0) await db.insert(slaRules).values(rules).onConflictDoNothing();
}
