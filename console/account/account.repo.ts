import { eq } from 'drizzle-orm';
import { officials } from '../../db/schema.js';
import type { Db, Queryable } from '../../runtime/db.js';
import { revokeOfficialSessions } from '../session-store.js';

export type NotificationPreferences = (typeof officials.$inferSelect)['preferences'];

export interface AccountView {
  login: string;
  fullName: string;
  title: string | null;
  email: string | null;
  zaloLinked: boolean;
  preferences: NotificationPreferences;
}

export async function loadAccount(q: Queryable, officialId: number): Promise<AccountView | undefined> {
  const [row] = await q
    .select({
      login: officials.login,
      fullName: officials.fullName,
      title: officials.title,
      email: officials.email,
      zaloUserId: officials.zaloUserId,
      preferences: officials.preferences,
    })
    .from(officials)
    .where(eq(officials.id, officialId));
  if (!row) return undefined;
  const { zaloUserId, ...rest } = row;
  return { ...rest, zaloLinked: zaloUserId !== null };
}

/**
 * Stored whole: bot/delivery/notify-sender.ts reads `channels` (default both) and workflows/nudges/daily-digest.ts
 * reads `digest` (default on) from this column.
 */
export async function saveNotificationPreferences(q: Queryable, officialId: number, preferences: Required<NotificationPreferences>): Promise<void> {
  await q.update(officials).set({ preferences }).where(eq(officials.id, officialId));
}

/**
 * The official's own new password, in one transaction: the hash (a plain one, so any "issued by an admin" mark
 * goes), the failed-attempt count and lock cleared as after a successful login, and every console session of
 * theirs ended — the caller gives the browser that made the change a fresh one. Returns how many sessions ended.
 */
export async function replaceOwnPassword(db: Db, officialId: number, passwordHash: string): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.update(officials).set({ passwordHash, failedLogins: 0, lockedUntil: null }).where(eq(officials.id, officialId));
    return revokeOfficialSessions(tx, officialId);
  });
}
