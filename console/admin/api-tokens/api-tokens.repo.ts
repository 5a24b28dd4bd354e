import { desc, eq, isNull, and } from 'drizzle-orm';
import { apiTokens } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';

export interface AdminApiTokenRow {
  id: number;
  name: string;
  officialId: number | null;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function listApiTokensForAdmin(db: Db): Promise<AdminApiTokenRow[]> {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      officialId: apiTokens.officialId,
      scopes: apiTokens.scopes,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .orderBy(desc(apiTokens.id));
}

export async function insertApiToken(db: Db, values: { name: string; tokenHash: string; officialId: number; scopes: string[] }): Promise<number> {
  const [row] = await db.insert(apiTokens).values(values).returning({ id: apiTokens.id });
  if (!row) throw new Error('api token insert returned nothing');
  return row.id;
}

export async function revokeApiToken(db: Db, tokenId: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}
