import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME, createConsolePart } from '../../console/console.routes.js';
import { officials, sessions, units } from '../../db/schema.js';
import { hashPassword } from '../../runtime/password.js';
import { seedAll } from '../../runtime/seed.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient, readCsrfToken } from './console-client.js';

const SESSION_SECRET = 'console-test-session-secret-0123456789abcdef';
/** Tests log in many times from one address; the per-IP limit has its own test below. */
const RELAXED = createConsolePart({ loginRateLimit: { max: 10_000, timeWindowMs: 60_000 } });

async function createOfficial(db: TestDatabase['db'], login: string, options: { active?: boolean; isDemo?: boolean } = {}) {
  const [unit] = await db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
  if (!unit) throw new Error('ward 00070 not seeded');
  await db.insert(officials).values({
    unitId: unit.id,
    login,
    fullName: `Cán bộ ${login}`,
    roles: ['handler'],
    passwordHash: await hashPassword('mat-khau-rieng-123'),
    active: options.active ?? true,
    isDemo: options.isDemo ?? false,
  });
}

describe.each(DRIVERS)('console access on %s', (driver) => {
  let database: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    await seedAll(database.db, { demo: true });
    await createOfficial(database.db, 'khoathu');
    await createOfficial(database.db, 'nghiviec', { active: false });
    await createOfficial(database.db, 'chinhthuc');
    t = await buildTestApp({ parts: [RELAXED], database, env: { SESSION_SECRET } });
  });
  afterAll(async () => {
    await t?.close();
    await database?.destroy();
  });

  it('sends a visitor who is not logged in to the login page with a 302', async () => {
    for (const url of ['/console', '/console/', '/console/inbox', '/console/cases/1', '/console/dashboard']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(302);
      expect(res.headers.location, url).toBe('/console/login');
    }
  });

  it('serves a plain login form with labels, a CSRF field and safe cookie and CSP headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/console/login' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<html lang="vi">');
    expect(res.body).toContain('<form method="post" action="/console/login"');
    expect(res.body).toContain('<label for="login">Tên đăng nhập</label>');
    expect(res.body).toContain('<label for="password">Mật khẩu</label>');
    expect(res.body).toContain('href="#noi-dung"');
    expect(readCsrfToken(res.body)).toMatch(/^[\w-]{20,}$/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const cookie = res.cookies.find((c) => c.name === CONSOLE_COOKIE_NAME);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console' });
    expect(cookie?.secure).toBeFalsy();
  });

  it('serves the stylesheet and script as files under /console/assets/', async () => {
    const css = await t.app.inject({ method: 'GET', url: '/console/assets/console.css' });
    expect(css.statusCode).toBe(200);
    expect(css.body).toContain(':focus-visible');
    const js = await t.app.inject({ method: 'GET', url: '/console/assets/console.js' });
    expect(js.statusCode).toBe(200);
  });

  it('logs in, lands on the inbox and shows the official, their unit and role in the header', async () => {
    const client = new ConsoleClient(t.app);
    const res = await client.login('chuyenvien');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/inbox');
    const inbox = await client.get('/console/inbox');
    expect(inbox.statusCode).toBe(200);
    expect(inbox.body).toContain('Trần Văn Chuyên');
    expect(inbox.body).toContain('Chuyên viên xử lý');
    expect(inbox.body).toContain('Hoàn Kiếm');
    expect(inbox.body).toContain('>Hộp thư</a>');
    expect(inbox.body).toContain('>Bảng điều khiển</a>');
    expect(inbox.body).toContain('Đăng xuất');
    expect(inbox.body).not.toContain('>Quản trị</a>');
    // /console is the same entry point
    const home = await client.get('/console');
    expect(home.statusCode).toBe(302);
    expect(home.headers.location).toBe('/console/inbox');
  });

  it('shows the admin menu to admins only', async () => {
    const admin = new ConsoleClient(t.app);
    await admin.login('quantri');
    const page = await admin.get('/console/inbox');
    expect(page.body).toContain('>Quản trị</a>');
    expect((await admin.get('/console/admin')).statusCode).toBe(200);
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    expect((await handler.get('/console/admin')).statusCode).toBe(403);
  });

  it('gives a new session id at login and forgets the old one (no fixation)', async () => {
    const client = new ConsoleClient(t.app);
    const page = await client.get('/console/login');
    const before = client.sessionId();
    expect(before).toBeTruthy();
    const res = await client.post('/console/login', { _csrf: readCsrfToken(page.body), login: 'lanhdao', password: 'demo1234' });
    expect(res.statusCode).toBe(303);
    const after = client.sessionId();
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    const rows = await database.db.select({ sid: sessions.sid }).from(sessions);
    const sids = rows.map((r) => r.sid);
    expect(sids).toContain(after);
    expect(sids).not.toContain(before);
    // The planted id is worth nothing: it is not logged in.
    const planted = await t.app.inject({ method: 'GET', url: '/console/inbox', headers: { cookie: `${CONSOLE_COOKIE_NAME}=${page.cookies[0]?.value}` } });
    expect(planted.statusCode).toBe(302);
  });

  it('refuses a wrong password or an unknown login with a 401 page in Vietnamese', async () => {
    const client = new ConsoleClient(t.app);
    const wrong = await client.login('chuyenvien', 'sai-mat-khau');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Tên đăng nhập hoặc mật khẩu không đúng.');
    expect(wrong.body).toContain('value="chuyenvien"');
    const unknown = await client.login('khongtontai', 'sai-mat-khau');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.body).toContain('Tên đăng nhập hoặc mật khẩu không đúng.');
    expect((await client.get('/console/inbox')).statusCode).toBe(302);
    // the failure count of a real account is reset by the next good login
    expect((await client.login('chuyenvien')).statusCode).toBe(303);
  });

  it('locks an account for 15 minutes after 5 wrong passwords, even against the right one', async () => {
    const client = new ConsoleClient(t.app);
    for (let i = 1; i <= 4; i++) expect((await client.login('khoathu', `sai-${i}`)).statusCode).toBe(401);
    const fifth = await client.login('khoathu', 'sai-5');
    expect(fifth.statusCode).toBe(423);
    expect(fifth.body).toContain('Tài khoản tạm bị khóa do nhập sai mật khẩu 5 lần liên tiếp');
    expect(fifth.body).toContain('15 phút');

    const right = await client.login('khoathu', 'mat-khau-rieng-123');
    expect(right.statusCode).toBe(423);
    const [row] = await database.db.select({ lockedUntil: officials.lockedUntil }).from(officials).where(eq(officials.login, 'khoathu'));
    expect(row?.lockedUntil?.getTime()).toBe(t.clock.now().getTime() + 15 * 60_000);

    t.clock.advance(10 * 60_000);
    const stillLocked = await client.login('khoathu', 'mat-khau-rieng-123');
    expect(stillLocked.statusCode).toBe(423);
    expect(stillLocked.body).toContain('5 phút');

    t.clock.advance(5 * 60_000 + 1);
    const afterLock = await client.login('khoathu', 'mat-khau-rieng-123');
    expect(afterLock.statusCode).toBe(303);
    const [reset] = await database.db
      .select({ failedLogins: officials.failedLogins, lockedUntil: officials.lockedUntil })
      .from(officials)
      .where(eq(officials.login, 'khoathu'));
    expect(reset).toEqual({ failedLogins: 0, lockedUntil: null });
  });

  it('refuses an inactive official, but only after the right password', async () => {
    const client = new ConsoleClient(t.app);
    expect((await client.login('nghiviec', 'sai')).statusCode).toBe(401);
    const res = await client.login('nghiviec', 'mat-khau-rieng-123');
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Tài khoản đã ngừng hoạt động');
  });

  it('logs out deactivated officials on their next request', async () => {
    const client = new ConsoleClient(t.app);
    await client.login('chinhthuc', 'mat-khau-rieng-123');
    expect((await client.get('/console/inbox')).statusCode).toBe(200);
    await database.db.update(officials).set({ active: false }).where(eq(officials.login, 'chinhthuc'));
    const res = await client.get('/console/inbox');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/console/login');
    await database.db.update(officials).set({ active: true }).where(eq(officials.login, 'chinhthuc'));
  });

  it('answers 403 with a Vietnamese page when the CSRF token is missing or wrong', async () => {
    const anonymous = new ConsoleClient(t.app);
    await anonymous.get('/console/login');
    const noToken = await anonymous.post('/console/login', { login: 'chuyenvien', password: 'demo1234' });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('Biểu mẫu đã hết hạn hoặc không hợp lệ');
    const wrongToken = await anonymous.post('/console/login', { _csrf: 'x'.repeat(43), login: 'chuyenvien', password: 'demo1234' });
    expect(wrongToken.statusCode).toBe(403);
    expect(anonymous.sessionId()).toBeTruthy();

    const client = new ConsoleClient(t.app);
    await client.login('chuyenvien');
    const logout = await client.post('/console/logout', {});
    expect(logout.statusCode).toBe(403);
    const command = await client.post('/console/cases/1/commands/add_note', { version: 1, text: 'ghi chú' });
    expect(command.statusCode).toBe(403);
    // A token from another session does not work either.
    const other = new ConsoleClient(t.app);
    await other.login('lanhdao');
    const otherToken = readCsrfToken((await other.get('/console/inbox')).body);
    expect((await client.post('/console/logout', { _csrf: otherToken })).statusCode).toBe(403);
    expect((await client.get('/console/inbox')).statusCode).toBe(200);
  });

  it('logs out with a POST: the session is gone and the old cookie no longer opens the inbox', async () => {
    const client = new ConsoleClient(t.app);
    await client.login('dieuphoi');
    const sid = client.sessionId();
    const cookie = client.cookie;
    const inbox = await client.get('/console/inbox');
    const res = await client.post('/console/logout', { _csrf: readCsrfToken(inbox.body) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/login');
    const rows = await database.db.select().from(sessions).where(eq(sessions.sid, String(sid)));
    expect(rows).toHaveLength(0);
    const replay = await t.app.inject({ method: 'GET', url: '/console/inbox', headers: { cookie: `${CONSOLE_COOKIE_NAME}=${cookie}` } });
    expect(replay.statusCode).toBe(302);
    expect(replay.headers.location).toBe('/console/login');
  });

  it('returns to the page that was asked for before the login', async () => {
    const client = new ConsoleClient(t.app);
    const first = await client.get('/console/inbox?view=overdue');
    expect(first.statusCode).toBe(302);
    const res = await client.login('lanhdao');
    expect(res.headers.location).toBe('/console/inbox?view=overdue');
  });

  describe('in production mode', () => {
    let prod: TestApp;
    beforeAll(async () => {
      prod = await buildTestApp({
        parts: [RELAXED],
        database,
        env: {
          SESSION_SECRET,
          APP_MODE: 'production',
          DATABASE_URL: 'postgres://unused@127.0.0.1:5432/unused',
          PUBLIC_BASE_URL: 'https://pakn.example.vn',
          // Production refuses the sandbox: these only satisfy the config, the console never calls Zalo.
          ZALO_APP_ID: 'test-app',
          ZALO_APP_SECRET: 'test-app-secret',
          ZALO_OA_SECRET_KEY: 'test-oa-secret',
          ZALO_OA_ID: 'test-oa',
          TOKEN_ENCRYPTION_KEY: 'test-token-encryption-key-0123456789',
        },
      });
    });
    afterAll(async () => prod?.close());

    it('refuses the demo accounts and lets real officials in', async () => {
      const https = { 'x-forwarded-proto': 'https' };
      const demo = new ConsoleClient(prod.app, https);
      const refused = await demo.login('dieuphoi');
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('Tài khoản demo không được phép đăng nhập');
      expect(refused.body).not.toContain('demo1234');
      expect((await demo.get('/console/inbox')).statusCode).toBe(302);

      const real = new ConsoleClient(prod.app, https);
      const ok = await real.login('chinhthuc', 'mat-khau-rieng-123');
      expect(ok.statusCode).toBe(303);
      const cookie = ok.cookies.find((c) => c.name === CONSOLE_COOKIE_NAME);
      expect(cookie?.secure).toBe(true);
      expect((await real.get('/console/inbox')).statusCode).toBe(200);
    });

    it('does not let a demo session from before the switch keep working', async () => {
      const demoApp = new ConsoleClient(t.app);
      await demoApp.login('dieuphoi');
      const res = await prod.app.inject({
        method: 'GET',
        url: '/console/inbox',
        headers: { cookie: `${CONSOLE_COOKIE_NAME}=${demoApp.cookie}`, 'x-forwarded-proto': 'https' },
      });
      expect(res.statusCode).toBe(302);
    });
  });

  describe('with a per-IP login limit', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await buildTestApp({
        parts: [createConsolePart({ loginRateLimit: { max: 3, timeWindowMs: 60_000 } })],
        database,
        env: { SESSION_SECRET },
      });
    });
    afterAll(async () => limited?.close());

    it('answers 429 in Vietnamese once an address has tried too often', async () => {
      const client = new ConsoleClient(limited.app);
      for (let i = 0; i < 3; i++) expect((await client.login('khongtontai', 'sai')).statusCode).toBe(401);
      const blocked = await client.login('khongtontai', 'sai');
      expect(blocked.statusCode).toBe(429);
      expect(blocked.body).toContain('thử đăng nhập quá nhiều lần');
      // Other pages are not limited.
      expect((await client.get('/console/login')).statusCode).toBe(200);
    });
  });
});
