import { and, eq, like, lt } from 'drizzle-orm';
import { z } from 'zod';
import { settings } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';

/**
 * Failed "liên kết <mã>" attempts per Zalo user, kept in `settings` (key `official-link-failures:<user id>`) so
 * that every process counts the same attempts: the web and worker processes, and several workers.
 */
const KEY_PREFIX = 'official-link-failures:';
const ZFailures = z.object({ failures: z.array(z.iso.datetime()) });

const keyOf = (zaloUserId: string) => `${KEY_PREFIX}${zaloUserId}`;

/** The user's failures since `since`, oldest first; the row stays locked until the caller's transaction ends. */
export async function loadLinkFailures(tx: Queryable, zaloUserId: string, since: Date): Promise<Date[]> {
  const [row] = await tx.select({ value: settings.value }).from(settings).where(eq(settings.key, keyOf(zaloUserId))).for('update');
  const parsed = ZFailures.safeParse(row?.value);
  if (!parsed.success) return [];
  return parsed.data.failures
    .map((at) => new Date(at))
    .filter((at) => at.getTime() > since.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
}

export async function saveLinkFailures(tx: Queryable, zaloUserId: string, failures: Date[], now: Date): Promise<void> {
  const value = { failures: failures.map((d) => d.toISOString()) };
  await tx
    .insert(settings)
    .values({ key: keyOf(zaloUserId), value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}

export async function clearLinkFailures(tx: Queryable, zaloUserId: string): Promise<void> {
  await tx.delete(settings).where(eq(settings.key, keyOf(zaloUserId)));
}

/** Forgets every user's record whose last failure is older than `before`: nothing in it counts any more. */
export async function purgeLinkFailures(tx: Queryable, before: Date): Promise<void> {
  await tx.delete(settings).where(and(like(settings.key, `${KEY_PREFIX}%`), lt(settings.updatedAt, before)));
}
