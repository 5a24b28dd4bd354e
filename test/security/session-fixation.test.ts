import { createHmac, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME, createConsolePart } from '../../console/console.routes.js';
import { sessions } from '../../db/schema.js';
import { seedAll } from '../../runtime/seed.js';
import { ConsoleClient, DEMO_PASSWORD, readCsrfToken } from '../console/console-client.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * Session fixation on the console.
 *
 * Already proven in test/console/console-access.test.ts: the id changes at login and the pre-login id is gone
 * from the store ("gives a new session id at login and forgets the old one"), and after logout the old cookie
 * no longer opens the inbox. Here, what an attacker who planted a session could still try afterwards: ride the
 * victim's login with the planted id or with the CSRF token that came with it, plant an id of their own making
 * or one signed with another secret, or keep a session across a change of user.
 */

const SESSION_SECRET = 'fixation-test-session-secret-0123456789abcdef';

/** A cookie value as @fastify/cookie signs it: `<value>.<base64 HMAC-SHA256 without padding>`. */
function signCookie(value: string, secret: string): string {
  return encodeURIComponent(`${value}.${createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')}`);
}

describe('session fixation', () => {
  let database: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedAll(database.db, { demo: true });
    t = await buildTestApp({ parts: [createConsolePart({ loginRateLimit: { max: 10_000, timeWindowMs: 60_000 } })], database, env: { SESSION_SECRET } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await database?.destroy();
  });

  const withCookie = (cookie: string, extra: Record<string, string> = {}) => ({ cookie: `${CONSOLE_COOKIE_NAME}=${cookie}`, ...extra });

  it('a planted pre-login session and its CSRF token are worth nothing once the victim has logged in', async () => {
    // The attacker opens the login page, keeps the session cookie and its form token, and plants the cookie in
    // the victim's browser.
    const attacker = new ConsoleClient(t.app);
    const plantedToken = readCsrfToken((await attacker.get('/console/login')).body);
    const plantedCookie = attacker.cookie!;
    const plantedSid = attacker.sessionId()!;

    const victim = new ConsoleClient(t.app);
    victim.cookie = plantedCookie;
    const login = await victim.post('/console/login', { _csrf: plantedToken, login: 'lanhdao', password: DEMO_PASSWORD });
    expect(login.statusCode).toBe(303);
    expect(victim.sessionId()).not.toBe(plantedSid);
    expect(await database.db.select().from(sessions).where(eq(sessions.sid, plantedSid))).toEqual([]);

    // The planted cookie opens nothing…
    const asVictim = await t.app.inject({ method: 'GET', url: '/console/inbox', headers: withCookie(plantedCookie) });
    expect(asVictim.statusCode).toBe(302);
    // …and the form token that came with it does not pass for the victim's new session either.
    const victimPage = await victim.get('/console/inbox');
    expect(victimPage.statusCode).toBe(200);
    expect(readCsrfToken(victimPage.body)).not.toBe(plantedToken);
    const forged = await victim.post('/console/logout', { _csrf: plantedToken });
    expect(forged.statusCode).toBe(403);
    expect((await victim.get('/console/inbox')).statusCode).toBe(200);
  });

  it('an id the attacker made up, or signed with another secret, is never adopted', async () => {
    const madeUp = randomBytes(24).toString('base64url');
    for (const cookie of [madeUp, signCookie(madeUp, 'not-the-session-secret-0123456789abcdef'), `${madeUp}.forged-signature`]) {
      const page = await t.app.inject({ method: 'GET', url: '/console/login', headers: withCookie(cookie) });
      expect(page.statusCode).toBe(200);
      const issued = page.cookies.find((c) => c.name === CONSOLE_COOKIE_NAME);
      // A fresh session of the server's own making replaces it.
      expect(issued?.value).toBeTruthy();
      expect(decodeURIComponent(issued!.value)).not.toContain(madeUp);
      const victim = new ConsoleClient(t.app);
      victim.cookie = issued!.value;
      expect((await victim.post('/console/login', { _csrf: readCsrfToken(page.body), login: 'chuyenvien', password: DEMO_PASSWORD })).statusCode).toBe(303);
      expect(victim.sessionId()).not.toBe(madeUp);
      expect(await database.db.select().from(sessions).where(eq(sessions.sid, madeUp))).toEqual([]);
    }
    // Even an id signed with the real secret but never issued by the server is not a session.
    const unissued = signCookie(randomBytes(24).toString('base64url'), SESSION_SECRET);
    expect((await t.app.inject({ method: 'GET', url: '/console/inbox', headers: withCookie(unissued) })).statusCode).toBe(302);
  });

  it('logging in as someone else from a signed-in session starts a new session and ends the old one', async () => {
    const browser = new ConsoleClient(t.app);
    await browser.login('chuyenvien');
    const first = { sid: browser.sessionId()!, cookie: browser.cookie! };
    // The login page redirects a signed-in official; the form is still posted, e.g. from an old tab.
    const token = readCsrfToken((await browser.get('/console/inbox')).body);
    expect((await browser.post('/console/login', { _csrf: token, login: 'dieuphoi', password: DEMO_PASSWORD })).statusCode).toBe(303);
    expect(browser.sessionId()).not.toBe(first.sid);
    expect(await database.db.select().from(sessions).where(eq(sessions.sid, first.sid))).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/console/inbox', headers: withCookie(first.cookie) })).statusCode).toBe(302);
    const inbox = await browser.get('/console/inbox');
    expect(inbox.body).toContain('Điều phối');
  });
});
