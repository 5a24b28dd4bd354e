import { eq, max } from 'drizzle-orm';
import { inboundEvents, zaloTokens } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';

export interface ZaloTokenStatusRow {
  oaId: string;
  accessExpiresAt: Date;
  refreshIssuedAt: Date;
  status: 'ok' | 'dead';
  lastError: string | null;
  updatedAt: Date;
}

/** The token row's facts only: the encrypted tokens never leave the bot's token store. */
export async function findZaloTokenStatus(db: Db, oaId: string): Promise<ZaloTokenStatusRow | null> {
  const [row] = await db
    .select({
      oaId: zaloTokens.oaId,
      accessExpiresAt: zaloTokens.accessExpiresAt,
      refreshIssuedAt: zaloTokens.refreshIssuedAt,
      status: zaloTokens.status,
      lastError: zaloTokens.lastError,
      updatedAt: zaloTokens.updatedAt,
    })
    .from(zaloTokens)
    .where(eq(zaloTokens.oaId, oaId));
  return row ?? null;
}

/** When Zalo last reached our webhook: a silent webhook is the first sign of a broken OA setting. */
export async function findLastWebhookAt(db: Db): Promise<Date | null> {
  const [row] = await db.select({ at: max(inboundEvents.receivedAt) }).from(inboundEvents).where(eq(inboundEvents.source, 'zalo'));
  return row?.at ?? null;
}
