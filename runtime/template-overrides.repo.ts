import { asc, eq, sql } from 'drizzle-orm';
import { templateOverrides } from '../db/schema.js';
import type { Db } from './db.js';

/**
 * The admin's edited texts of the files under templates/, by template name (table template_overrides). The
 * console writes them; every renderer that sends (bot replies, Zalo notifications, e-mail) reads them through
 * the shared renderer of runtime/templates.ts, which checks readTemplateOverridesVersion before rendering.
 */
export async function listTemplateOverrides(db: Db): Promise<Record<string, string>> {
  const rows = await db.select({ name: templateOverrides.name, body: templateOverrides.body }).from(templateOverrides);
  return Object.fromEntries(rows.map((r) => [r.name, r.body]));
}

/**
 * A fingerprint of every override (name and a hash of its text): it changes with any save or delete, whatever
 * the clocks of the processes say, and costs one small query instead of reading every text again.
 */
export async function readTemplateOverridesVersion(db: Db): Promise<string> {
  const rows = await db
    .select({ name: templateOverrides.name, hash: sql<string>`md5(${templateOverrides.body})` })
    .from(templateOverrides)
    .orderBy(asc(templateOverrides.name));
  return rows.map((r) => `${r.name}:${r.hash}`).join('\n');
}

export async function saveTemplateOverride(db: Db, values: { name: string; body: string; updatedBy: number; now: Date }): Promise<void> {
  await db
    .insert(templateOverrides)
    .values({ name: values.name, body: values.body, updatedBy: values.updatedBy, updatedAt: values.now })
    .onConflictDoUpdate({ target: templateOverrides.name, set: { body: values.body, updatedBy: values.updatedBy, updatedAt: values.now } });
}

export async function deleteTemplateOverride(db: Db, name: string): Promise<boolean> {
  const rows = await db.delete(templateOverrides).where(eq(templateOverrides.name, name)).returning({ name: templateOverrides.name });
  return rows.length > 0;
}
