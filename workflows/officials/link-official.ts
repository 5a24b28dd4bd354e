import { randomInt } from 'node:crypto';
import { and, eq, isNull, lte, ne, or } from 'drizzle-orm';
import { officialLinkCodes, officials } from '../../db/schema.js';
import type { Db, Queryable } from '../../runtime/db.js';

/**
 * Linking an official's Zalo account (so nudges and approvals reach them in Zalo): the admin generates a
 * one-time 6-digit code in the console, the official sends "liên kết <mã>" to the OA, and the bot calls
 * linkOfficialByCode with the sender's Zalo user id.
 */

export const LINK_CODE_TTL_MS = 15 * 60 * 1000;
export const LINK_CODE_PATTERN = /^\d{6}$/;

export interface LinkCode {
  code: string;
  expiresAt: Date;
}

/**
 * A fresh code for the official; their older unused codes and every expired code are removed, so at most
 * one code per official is live and the 6-digit space stays mostly free. A collision with another live
 * code is retried with a new number (the code is the primary key).
 */
export async function createOfficialLinkCode(db: Db, officialId: number, now: Date): Promise<LinkCode> {
  const expiresAt = new Date(now.getTime() + LINK_CODE_TTL_MS);
  return db.transaction(async (tx) => {
    await tx
      .delete(officialLinkCodes)
      .where(or(lte(officialLinkCodes.expiresAt, now), and(eq(officialLinkCodes.officialId, officialId), isNull(officialLinkCodes.usedAt))));
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const inserted = await tx
        .insert(officialLinkCodes)
        .values({ code, officialId, expiresAt })
        .onConflictDoNothing()
        .returning({ code: officialLinkCodes.code });
      if (inserted.length > 0) return { code, expiresAt };
    }
    throw new Error('could not allocate a free official link code');
  });
}

export type LinkOfficialResult =
  | { ok: true; officialId: number; fullName: string }
  | { ok: false; reason: 'invalid_code' | 'expired' | 'official_inactive' | 'zalo_in_use' };

/** What the bot answers the official, in Vietnamese, for each outcome. */
export const LINK_OFFICIAL_MESSAGES = {
  linked: (fullName: string) => `Đã liên kết tài khoản Zalo này với cán bộ ${fullName}. Từ nay anh/chị sẽ nhận thông báo công việc qua Zalo.`,
  invalid_code: 'Mã liên kết không đúng hoặc đã được sử dụng. Vui lòng kiểm tra lại hoặc đề nghị quản trị viên cấp mã mới.',
  expired: 'Mã liên kết đã hết hạn (hiệu lực 15 phút). Vui lòng đề nghị quản trị viên cấp mã mới.',
  official_inactive: 'Tài khoản cán bộ đã ngừng hoạt động nên không thể liên kết. Vui lòng liên hệ quản trị viên.',
  zalo_in_use: 'Tài khoản Zalo này đang được liên kết với một cán bộ khác. Vui lòng liên hệ quản trị viên.',
} as const;

/**
 * Uses a code: locks it, checks it is unused and unexpired, and sets officials.zalo_user_id. Runs inside
 * the caller's transaction (the bot's, with the inbound event), so a crash leaves neither half done.
 * A used or unknown code gives the same answer, so codes cannot be probed one by one.
 */
export async function linkOfficialByCode(tx: Queryable, zaloUserId: string, code: string, now: Date): Promise<LinkOfficialResult> {
  const given = code.trim();
  if (!LINK_CODE_PATTERN.test(given) || zaloUserId.trim() === '') return { ok: false, reason: 'invalid_code' };
  const [row] = await tx.select().from(officialLinkCodes).where(eq(officialLinkCodes.code, given)).for('update');
  if (!row || row.usedAt !== null) return { ok: false, reason: 'invalid_code' };
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };

  const [official] = await tx
    .select({ id: officials.id, fullName: officials.fullName, active: officials.active })
    .from(officials)
    .where(eq(officials.id, row.officialId));
  if (!official) return { ok: false, reason: 'invalid_code' };
  if (!official.active) return { ok: false, reason: 'official_inactive' };

  const [other] = await tx
    .select({ id: officials.id })
    .from(officials)
    .where(and(eq(officials.zaloUserId, zaloUserId), ne(officials.id, official.id)));
  if (other) return { ok: false, reason: 'zalo_in_use' };

  await tx.update(officials).set({ zaloUserId }).where(eq(officials.id, official.id));
  await tx.update(officialLinkCodes).set({ usedAt: now }).where(eq(officialLinkCodes.code, given));
  return { ok: true, officialId: official.id, fullName: official.fullName };
}

/** Removes the link (an official changed phone, or left): notifications fall back to e-mail. */
export async function unlinkOfficialZalo(q: Queryable, officialId: number): Promise<void> {
  await q.update(officials).set({ zaloUserId: null }).where(eq(officials.id, officialId));
}
