import { asc, eq, like } from 'drizzle-orm';
import { categories } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';
import { foldVietnamese } from '../../../workflows/text/fold-vietnamese.js';

export type AdminCategoryRow = typeof categories.$inferSelect;

export async function listCategoriesForAdmin(db: Db): Promise<AdminCategoryRow[]> {
  return db.select().from(categories).orderBy(asc(categories.sortOrder), asc(categories.id));
}

export interface CategoryValues {
  name: string;
  description?: string | undefined;
  defaultUnitId?: number | undefined;
  routeToArea: boolean;
  active: boolean;
  sortOrder: number;
}

/** "Giao thông, đường sá" → "giao-thong-duong-sa": the code Open311 publishes as service_code. */
export function slugifyCategoryName(name: string): string {
  const slug = foldVietnamese(name)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug === '' ? 'linh-vuc' : slug;
}

/** A new code from the name, with -2, -3… when it is taken; codes never change afterwards. */
export async function insertCategory(db: Db, values: CategoryValues): Promise<number> {
  const base = slugifyCategoryName(values.name);
  const taken = new Set((await db.select({ code: categories.code }).from(categories).where(like(categories.code, `${base}%`))).map((r) => r.code));
  let code = base;
  for (let n = 2; taken.has(code); n++) code = `${base}-${n}`;
  const [row] = await db
    .insert(categories)
    .values({ ...values, code, description: values.description ?? null, defaultUnitId: values.defaultUnitId ?? null })
    .returning({ id: categories.id });
  if (!row) throw new Error('category insert returned nothing');
  return row.id;
}

export async function updateCategory(db: Db, categoryId: number, values: CategoryValues): Promise<boolean> {
  const rows = await db
    .update(categories)
    .set({ ...values, description: values.description ?? null, defaultUnitId: values.defaultUnitId ?? null })
    .where(eq(categories.id, categoryId))
    .returning({ id: categories.id });
  return rows.length > 0;
}
