import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import { officials, units } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import { isTemporaryPasswordHash, passwordStamp } from '../../runtime/password.js';
import type { Role } from '../../workflows/cases/actor.js';
import { describeUnitName } from '../reference-data.repo.js';
import { LOCKOUT_MS, LOCKOUT_THRESHOLD } from './login-lockout.js';

export interface OfficialCredentials {
  id: number;
  passwordHash: string | null;
  active: boolean;
  isDemo: boolean;
  lockedUntil: Date | null;
}

/** The signed-in official as every console page needs them: who, which unit, which roles. */
export interface ConsoleOfficial {
  id: number;
  login: string;
  fullName: string;
  unitId: number;
  unitName: string;
  roles: Role[];
  active: boolean;
  isDemo: boolean;
  /** The password was issued by an admin (temporary): every console page but the change form waits for a new one. */
  passwordChangeRequired: boolean;
  /** Fingerprint of the stored password hash; a session made before the last password change does not match it. */
  passwordStamp: string;
}

const credentialColumns = {
  id: officials.id,
  passwordHash: officials.passwordHash,
  active: officials.active,
  isDemo: officials.isDemo,
  lockedUntil: officials.lockedUntil,
};

export async function findCredentialsByLogin(db: Db, login: string): Promise<OfficialCredentials | null> {
  const [row] = await db.select(credentialColumns).from(officials).where(eq(officials.login, login));
  return row ?? null;
}

export async function findCredentialsById(db: Db, officialId: number): Promise<OfficialCredentials | null> {
  const [row] = await db.select(credentialColumns).from(officials).where(eq(officials.id, officialId));
  return row ?? null;
}

export async function findConsoleOfficial(db: Db, officialId: number): Promise<ConsoleOfficial | null> {
  const [row] = await db
    .select({
      id: officials.id,
      login: officials.login,
      fullName: officials.fullName,
      unitId: officials.unitId,
      unitName: units.name,
      unitFullName: units.fullName,
      unitKind: units.kind,
      roles: officials.roles,
      active: officials.active,
      isDemo: officials.isDemo,
      passwordHash: officials.passwordHash,
    })
    .from(officials)
    .innerJoin(units, eq(units.id, officials.unitId))
    .where(eq(officials.id, officialId));
  if (!row) return null;
  // The hash itself stays here: pages get only what it says.
  const { unitFullName, unitKind, passwordHash, ...official } = row;
  return {
    ...official,
    unitName: describeUnitName({ name: row.unitName, fullName: unitFullName, kind: unitKind }),
    passwordChangeRequired: isTemporaryPasswordHash(passwordHash),
    passwordStamp: passwordStamp(passwordHash),
  };
}

/**
 * Takes one password attempt for an account, before the password is checked, in a single UPDATE that refuses a
 * locked account: the attempt counts as a failure up front (a success resets the count), and the threshold-th
 * attempt locks the account and restarts the count for the period after the lock.
 *
 * Counting after the check, as this did before, let a burst of guesses sent at once all read "not locked" and all
 * be checked before the first failure was written: thirty guesses in one go, the right one among them, got in.
 * Now at most LOCKOUT_THRESHOLD passwords are checked per lock period however the guesses are timed.
 */
export async function claimLoginAttempt(
  db: Db,
  officialId: number,
  now: Date,
): Promise<{ allowed: true; lockedUntil: Date | null } | { allowed: false; lockedUntil: Date | null }> {
  const lockUntil = new Date(now.getTime() + LOCKOUT_MS);
  const reachesThreshold = sql`${officials.failedLogins} + 1 >= ${LOCKOUT_THRESHOLD}`;
  const [row] = await db
    .update(officials)
    .set({
      failedLogins: sql`case when ${reachesThreshold} then 0 else ${officials.failedLogins} + 1 end`,
      lockedUntil: sql`case when ${reachesThreshold} then ${lockUntil.toISOString()}::timestamptz else ${officials.lockedUntil} end`,
    })
    .where(and(eq(officials.id, officialId), or(isNull(officials.lockedUntil), lte(officials.lockedUntil, now))))
    .returning({ lockedUntil: officials.lockedUntil });
  if (row) return { allowed: true, lockedUntil: row.lockedUntil };
  const [current] = await db.select({ lockedUntil: officials.lockedUntil }).from(officials).where(eq(officials.id, officialId));
  return { allowed: false, lockedUntil: current?.lockedUntil ?? null };
}

export async function recordSuccessfulLogin(db: Db, officialId: number): Promise<void> {
  await db.update(officials).set({ failedLogins: 0, lockedUntil: null }).where(eq(officials.id, officialId));
}
