import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

// scrypt with N=2^15, r=8: ~32 MiB and ~50 ms per hash on this machine class; parameters are stored
// in the hash so they can be raised later without invalidating existing passwords.
const PARAMS = { N: 1 << 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * A password someone else chose and handed over (an admin creating an account or resetting its password, the
 * CLI's generated one) is stored with this mark in front of its hash: whoever received it must replace it at
 * their next console login. The mark travels with the credential itself, so the official's own new password
 * (a plain hash) clears it and an admin's reset sets it, with nothing else to keep in step.
 */
const TEMPORARY_MARK = 'temporary$';

export async function hashTemporaryPassword(password: string): Promise<string> {
  return `${TEMPORARY_MARK}${await hashPassword(password)}`;
}

/** Whether the stored password was issued by someone else and must be changed by its holder. */
export function isTemporaryPasswordHash(stored: string | null | undefined): boolean {
  return typeof stored === 'string' && stored.startsWith(TEMPORARY_MARK);
}

/**
 * A short fingerprint of the stored hash (never of the password): a console session records it at login and
 * is worth nothing once the password has changed, whoever changed it.
 */
export function passwordStamp(stored: string | null | undefined): string {
  return createHash('sha256')
    .update(stored ?? '')
    .digest('base64url')
    .slice(0, 22);
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) return false;
  const hash = isTemporaryPasswordHash(stored) ? stored.slice(TEMPORARY_MARK.length) : stored;
  const [scheme, n, r, p, saltB64, keyB64] = hash.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, 'base64');
  const key = await scrypt(password.normalize('NFC'), Buffer.from(saltB64, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
