import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCKOUT_MS, LOCKOUT_THRESHOLD } from '../../console/auth/login-lockout.js';
import { createConsolePart } from '../../console/console.routes.js';
import { officials, units } from '../../db/schema.js';
import { hashPassword } from '../../runtime/password.js';
import { seedAll } from '../../runtime/seed.js';
import { ConsoleClient } from '../console/console-client.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * Password guessing against POST /console/login.
 *
 * Already proven in test/console/console-access.test.ts and not repeated: five wrong passwords in a row lock the
 * account for 15 minutes, the right password is refused while it lasts (423) and accepted after; an unknown
 * login answers like a wrong password; the per-address limit answers 429.
 *
 * Here: the header X-Forwarded-For is believed only from a proxy on the same host (TRUST_PROXY=loopback), so a
 * client connecting directly cannot walk past the per-address limit by rotating it; the account lock does not
 * depend on where the guesses come from (the header rotated on every try through the local proxy, which walks
 * past the per-address limit as a botnet would), and a burst of guesses sent at
 * once cannot outrun the lock, i.e. no more than LOCKOUT_THRESHOLD passwords are ever tried per lock period.
 */

const PASSWORD = 'Mat-Khau-Dung-2026!';
const SESSION_SECRET = 'bruteforce-test-session-secret-0123456789abcdef';

describe('login brute force', () => {
  let database: TestDatabase;
  let t: TestApp;
  let ip = 0;
  /** A different client address on every call, as a botnet or a rotating proxy would have. */
  const nextIp = () => `203.0.113.${(ip = (ip % 250) + 1)}`;

  async function createOfficial(login: string): Promise<void> {
    const [unit] = await database.db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
    await database.db.insert(officials).values({ unitId: unit!.id, login, fullName: `Cán bộ ${login}`, roles: ['handler'], passwordHash: await hashPassword(PASSWORD) });
  }

  async function lockState(login: string) {
    const [row] = await database.db.select({ failedLogins: officials.failedLogins, lockedUntil: officials.lockedUntil }).from(officials).where(eq(officials.login, login));
    return row!;
  }

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    await seedAll(database.db, { demo: false });
    for (const login of ['xoayvong', 'dongloat', 'dongloat2']) await createOfficial(login);
    // The production per-address limit is 30/min; 3 here so that walking past it is visible.
    t = await buildTestApp({ parts: [createConsolePart({ loginRateLimit: { max: 3, timeWindowMs: 60_000 } })], database, env: { SESSION_SECRET } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await database?.destroy();
  });

  it('a client connecting directly cannot pick its address with X-Forwarded-For to escape the per-address limit', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const direct = new ConsoleClient(t.app, { 'x-forwarded-for': nextIp() }, '198.51.100.7');
      statuses.push((await direct.login('khongcoai', `doan-sai-${i}`)).statusCode);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });

  it('locks the account whatever address each guess comes from, and refuses the right password from yet another one', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= LOCKOUT_THRESHOLD + 3; i++) {
      const attacker = new ConsoleClient(t.app, { 'x-forwarded-for': nextIp() });
      statuses.push((await attacker.login('xoayvong', `doan-sai-${i}`)).statusCode);
    }
    // The per-address limit (3) never fired: each guess came from a new address. The account lock did.
    expect(statuses).not.toContain(429);
    expect(statuses).toEqual([...Array<number>(LOCKOUT_THRESHOLD - 1).fill(401), ...Array<number>(4).fill(423)]);
    const owner = new ConsoleClient(t.app, { 'x-forwarded-for': nextIp() });
    const right = await owner.login('xoayvong', PASSWORD);
    expect(right.statusCode).toBe(423);
    expect(right.body).toContain('Tài khoản tạm bị khóa');
    expect((await owner.get('/console/inbox')).statusCode).toBe(302);
    // Guesses during the lock do not extend it or count towards the next one.
    expect(await lockState('xoayvong')).toEqual({ failedLogins: 0, lockedUntil: new Date(t.clock.now().getTime() + LOCKOUT_MS) });
    t.clock.advance(LOCKOUT_MS + 1);
    expect((await new ConsoleClient(t.app, { 'x-forwarded-for': nextIp() }).login('xoayvong', PASSWORD)).statusCode).toBe(303);
  });

  it('a burst of guesses sent at once cannot slip the right password past the lock', async () => {
    const burst = 30;
    const guesses = Array.from({ length: burst }, (_, i) => `doan-sai-${i}`);
    // All in flight together, each from its own address, the right password last: the lock must hold it back
    // even though every guess was read from the database before the first password check finished.
    const answers = await Promise.all([...guesses, PASSWORD].map((password) => new ConsoleClient(t.app, { 'x-forwarded-for': nextIp() }).login('dongloat', password)));
    const codes = answers.map((a) => a.statusCode);
    expect(codes.at(-1), `answers: ${codes.join(',')}`).toBe(423);
    expect(codes).not.toContain(303);
    // At most LOCKOUT_THRESHOLD guesses were actually checked: every other one was refused as locked, unchecked.
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(LOCKOUT_THRESHOLD - 1);
    expect(codes.filter((c) => c === 423).length).toBeGreaterThanOrEqual(burst + 1 - (LOCKOUT_THRESHOLD - 1));
    expect((await lockState('dongloat')).lockedUntil?.getTime()).toBe(t.clock.now().getTime() + LOCKOUT_MS);
  });

  it('a burst that contains the right password among the first guesses still lets its owner in', async () => {
    // The legitimate case of the rule above: the right password, tried first, with a few wrong ones around it.
    const answers = await Promise.all([PASSWORD, 'sai-1', 'sai-2'].map((password) => new ConsoleClient(t.app, { 'x-forwarded-for': nextIp() }).login('dongloat2', password)));
    expect(answers[0]!.statusCode).toBe(303);
    expect(answers.slice(1).map((a) => a.statusCode)).toEqual([401, 401]);
  });
});
