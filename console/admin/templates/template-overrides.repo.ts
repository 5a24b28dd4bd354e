import { eq } from 'drizzle-orm';
import { templateOverrides } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';

/**
 * The admin's edited texts, by template name. The renderers of the bot and the mailer apply them with
 * TemplateRenderer.setOverrides(await listTemplateOverrides(db)); until they do, edits show here only.
 */
export async function listTemplateOverrides(db: Db): Promise<Record<string, string>> {
  const rows = await db.select({ name: templateOverrides.name, body: templateOverrides.body }).from(templateOverrides);
  return Object.fromEntries(rows.map((r) => [r.name, r.body]));
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
