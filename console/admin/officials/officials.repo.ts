import { asc, eq } from 'drizzle-orm';
import { officials } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';
import { revokeOfficialSessions } from '../../session-store.js';
import type { Role } from '../../../workflows/cases/actor.js';

export interface AdminOfficialRow {
  id: number;
  login: string;
  fullName: string;
  title: string | null;
  email: string | null;
  unitId: number;
  roles: Role[];
  active: boolean;
  isDemo: boolean;
  zaloLinked: boolean;
  lockedUntil: Date | null;
}

export async function listOfficialsForAdmin(db: Db, unitId: number | null): Promise<AdminOfficialRow[]> {
  const query = db
    .select({
      id: officials.id,
      login: officials.login,
      fullName: officials.fullName,
      title: officials.title,
      email: officials.email,
      unitId: officials.unitId,
      roles: officials.roles,
      active: officials.active,
      isDemo: officials.isDemo,
      zaloUserId: officials.zaloUserId,
      lockedUntil: officials.lockedUntil,
    })
    .from(officials);
  const rows = await (unitId === null ? query : query.where(eq(officials.unitId, unitId))).orderBy(asc(officials.fullName), asc(officials.id));
  return rows.map(({ zaloUserId, ...r }) => ({ ...r, zaloLinked: zaloUserId !== null }));
}

export async function findOfficialForAdmin(db: Db, officialId: number): Promise<AdminOfficialRow | null> {
  const [row] = await db
    .select({
      id: officials.id,
      login: officials.login,
      fullName: officials.fullName,
      title: officials.title,
      email: officials.email,
      unitId: officials.unitId,
      roles: officials.roles,
      active: officials.active,
      isDemo: officials.isDemo,
      zaloUserId: officials.zaloUserId,
      lockedUntil: officials.lockedUntil,
    })
    .from(officials)
    .where(eq(officials.id, officialId));
  if (!row) return null;
  const { zaloUserId, ...rest } = row;
  return { ...rest, zaloLinked: zaloUserId !== null };
}

export async function isLoginTaken(db: Db, login: string): Promise<boolean> {
  const [row] = await db.select({ id: officials.id }).from(officials).where(eq(officials.login, login));
  return row !== undefined;
}

export interface NewOfficial {
  login: string;
  fullName: string;
  title?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  unitId: number;
  roles: Role[];
  passwordHash: string;
}

/** null when the login was taken meanwhile (unique index). */
export async function insertOfficial(db: Db, values: NewOfficial): Promise<number | null> {
  const rows = await db
    .insert(officials)
    .values({
      login: values.login,
      fullName: values.fullName,
      title: values.title ?? null,
      email: values.email ?? null,
      phone: values.phone ?? null,
      unitId: values.unitId,
      roles: values.roles,
      passwordHash: values.passwordHash,
    })
    .onConflictDoNothing()
    .returning({ id: officials.id });
  return rows[0]?.id ?? null;
}

export async function updateOfficialAccess(db: Db, officialId: number, values: { unitId: number; roles: Role[] }): Promise<boolean> {
  const rows = await db.update(officials).set(values).where(eq(officials.id, officialId)).returning({ id: officials.id });
  return rows.length > 0;
}

export async function setOfficialActive(db: Db, officialId: number, active: boolean): Promise<boolean> {
  const rows = await db.update(officials).set({ active }).where(eq(officials.id, officialId)).returning({ id: officials.id });
  return rows.length > 0;
}

/**
 * A new password also lifts a lockout (the admin has just checked who they are talking to) and ends the
 * official's console sessions: whoever was signed in with the old password is signed out.
 */
export async function setOfficialPassword(db: Db, officialId: number, passwordHash: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(officials)
      .set({ passwordHash, failedLogins: 0, lockedUntil: null })
      .where(eq(officials.id, officialId))
      .returning({ id: officials.id });
    if (rows.length === 0) return false;
    await revokeOfficialSessions(tx, officialId);
    return true;
  });
}
