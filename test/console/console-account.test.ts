import { eq, like } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifySender } from '../../bot/delivery/notify-sender.js';
import { LOCKOUT_MS } from '../../console/auth/login-lockout.js';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { officials, outbox, sessions, zaloUsers } from '../../db/schema.js';
import { isTemporaryPasswordHash, verifyPassword } from '../../runtime/password.js';
import { createTemplateRenderer } from '../../runtime/templates.js';
import { sweepDigests } from '../../workflows/nudges/daily-digest.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient, readCsrfToken } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World, type WorldOfficial } from './console-world.js';

/**
 * Tài khoản của tôi: the notification preferences an official sets in the console are the ones delivery
 * honours. Unit A's leader has Zalo (talked to the OA recently) and e-mail; a case of unit A is due for
 * acceptance on Tuesday 03/03/2026, so the leader's morning digest has something to say every day.
 */

const at = (local: string): Date => new Date(`${local}:00+07:00`);
const PAGE = '/console/account';
const PASSWORD_URL = `${PAGE}/password`;
const NEW_PASSWORD = 'mây trắng bay qua Hồ Gươm';

function readSecret(html: string): string {
  const match = /<output class="secret"[^>]*>([^<]+)<\/output>/.exec(html);
  if (!match?.[1]) throw new Error('no secret on the page');
  return match[1];
}

/** The main navigation's links (the header's logo link aside). */
function navLinks(html: string): string[] {
  const nav = /<nav class="main-nav"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]!);
}

async function postPairs(world: World, client: ConsoleClient, url: string, pairs: Array<[string, string]>): Promise<LightMyRequestResponse> {
  const page = await client.get(PAGE);
  const body = new URLSearchParams([['_csrf', readCsrfToken(page.body)], ...pairs]);
  return world.t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: `${CONSOLE_COOKIE_NAME}=${client.cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
}

describe.each(DRIVERS)('my account on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let leader: WorldOfficial;
  let client: ConsoleClient;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    leader = world.official('unit_leader', 'a');
    await database.db.update(officials).set({ email: 'lanhdao@sxd.test', zaloUserId: 'zalo-lanhdao-a', title: 'Phó Giám đốc' }).where(eq(officials.id, leader.id));
    await database.db.insert(zaloUsers).values({ zaloUserId: 'zalo-lanhdao-a', displayName: 'Lãnh đạo A', isFollower: true, lastInteractionAt: at('2026-03-02T08:00') });
    await world.createCaseFor('a');
    client = new ConsoleClient(world.t.app);
    await client.login(leader.login, WORLD_PASSWORD);
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const preferencesOf = async (officialId: number) => (await database.db.select({ p: officials.preferences }).from(officials).where(eq(officials.id, officialId)))[0]?.p;

  /** Today's digest of the leader, routed by the notify sender as the outbox job would: which channel it took. */
  async function digestChannel(day: string): Promise<string | null> {
    world.t.clock.set(at(`${day}T07:30`));
    await sweepDigests({ db: database.db }, world.t.clock.now());
    const [row] = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.key, `digest:${leader.id}:${day}`));
    if (!row) return null;
    const send = createNotifySender({ db: database.db, clock: world.t.clock, config: world.t.deps.config, templates: createTemplateRenderer(), kick: async () => undefined });
    const result = await send(row);
    expect(result.ok).toBe(true);
    const forwarded = await database.db
      .select({ kind: outbox.kind })
      .from(outbox)
      .where(like(outbox.key, `digest:${leader.id}:${day}:%`));
    expect(forwarded).toHaveLength(1);
    return forwarded[0]!.kind;
  }

  it('shows who I am and how I am notified, defaults included', async () => {
    const page = await client.get(PAGE);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('aria-current="page">Tài khoản của tôi</a>');
    expect(page.body).toContain('<dd>Phó Giám đốc</dd>');
    expect(page.body).toContain('<dd>lanhdao@sxd.test</dd>');
    expect(page.body).toContain('<dd>Đã liên kết</dd>');
    expect(page.body).toContain('<input type="checkbox" name="channels" value="zalo" checked> Zalo');
    expect(page.body).toContain('<input type="checkbox" name="channels" value="email" checked> E-mail');
    expect(page.body).toContain('<input type="checkbox" name="digest" checked>');

    // An official the notifications cannot reach yet is told so beside each channel.
    const handler = new ConsoleClient(world.t.app);
    await handler.login(world.official('handler', 'b').login, WORLD_PASSWORD);
    const theirs = await handler.get(PAGE);
    expect(theirs.body).toContain('Tài khoản chưa liên kết Zalo');
    expect(theirs.body).toContain('Tài khoản chưa có địa chỉ e-mail');
  });

  it('a preference change changes delivery: Zalo, then e-mail only, then no digest at all', async () => {
    expect(await digestChannel('2026-03-03')).toBe('zalo');

    const emailOnly = await postPairs(world, client, `${PAGE}/preferences`, [
      ['channels', 'email'],
      ['digest', 'on'],
    ]);
    expect(emailOnly.statusCode).toBe(303);
    expect(emailOnly.headers.location).toBe(PAGE);
    expect(await preferencesOf(leader.id)).toEqual({ channels: ['email'], digest: true });
    const page = await client.get(PAGE);
    expect(page.body).toContain('Đã lưu cách nhận thông báo.');
    expect(page.body).toContain('<input type="checkbox" name="channels" value="zalo"> Zalo');
    // Still inside the Zalo window, but the official chose e-mail.
    expect(await digestChannel('2026-03-04')).toBe('email');

    const noDigest = await postPairs(world, client, `${PAGE}/preferences`, [
      ['channels', 'zalo'],
      ['channels', 'email'],
    ]);
    expect(noDigest.statusCode).toBe(303);
    expect(await preferencesOf(leader.id)).toEqual({ channels: ['zalo', 'email'], digest: false });
    expect(await digestChannel('2026-03-05')).toBeNull();
  });

  it('refuses no channel or an unknown one, and a form without its token, changing nothing', async () => {
    const before = await preferencesOf(leader.id);
    const none = await postPairs(world, client, `${PAGE}/preferences`, [['digest', 'on']]);
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Vui lòng chọn ít nhất một kênh nhận thông báo (Zalo hoặc e-mail)');
    // The page shows what was sent (digest ticked, no channel), not what is stored.
    expect(none.body).toContain('<input type="checkbox" name="digest" checked>');
    expect(none.body).toContain('<input type="checkbox" name="channels" value="zalo"> Zalo');

    const sms = await postPairs(world, client, `${PAGE}/preferences`, [['channels', 'sms']]);
    expect(sms.statusCode).toBe(400);
    expect(sms.body).toContain('Kênh nhận thông báo không hợp lệ.');

    const noCsrf = await client.post(`${PAGE}/preferences`, { channels: 'email' });
    expect(noCsrf.statusCode).toBe(403);
    expect(await preferencesOf(leader.id)).toEqual(before);
  });

  const credentialsOf = async (officialId: number) => {
    const [row] = await database.db
      .select({ hash: officials.passwordHash, failedLogins: officials.failedLogins, lockedUntil: officials.lockedUntil })
      .from(officials)
      .where(eq(officials.id, officialId));
    return row!;
  };
  const sessionIdsOf = async (officialId: number) =>
    (await database.db.select({ sid: sessions.sid, data: sessions.data }).from(sessions)).filter((r) => r.data.officialId === officialId).map((r) => r.sid).sort();

  async function signedIn(login: string, password = WORLD_PASSWORD): Promise<ConsoleClient> {
    const c = new ConsoleClient(world.t.app);
    const res = await c.login(login, password);
    expect(res.statusCode, `login ${login}`).toBe(303);
    return c;
  }

  const changePassword = (c: ConsoleClient, currentPassword: string, newPassword: string, newPasswordRepeat = newPassword) =>
    c.submit(PAGE, PASSWORD_URL, { currentPassword, newPassword, newPasswordRepeat });

  it('offers the password form on the account page, usable without a script', async () => {
    const page = await client.get(PAGE);
    expect(page.body).toContain('<h2 id="password-heading">Đổi mật khẩu</h2>');
    expect(page.body).toContain('<form method="post" action="/console/account/password">');
    expect(page.body).toContain('<label for="pw-current">Mật khẩu hiện tại</label>');
    expect(page.body).toContain('name="currentPassword" type="password" autocomplete="current-password" required>');
    expect(page.body).toContain('name="newPassword" type="password" autocomplete="new-password" minlength="10"');
    expect(page.body).toContain('<label for="pw-repeat">Nhập lại mật khẩu mới</label>');
  });

  it('refuses a new password that breaks a rule, costing no attempt, keeping nothing typed and changing nothing', async () => {
    const me = world.official('dispatcher', 'a');
    const c = await signedIn(me.login);
    const before = await credentialsOf(me.id);
    const cases: Array<[string, string, string, string]> = [
      ['', NEW_PASSWORD, NEW_PASSWORD, 'Vui lòng nhập mật khẩu hiện tại.'],
      [WORLD_PASSWORD, '   ', '   ', 'Vui lòng nhập mật khẩu mới.'],
      ['doan-sai-mat-khau', 'chin-ky-t', 'chin-ky-t', 'Mật khẩu mới phải có ít nhất 10 ký tự.'],
      [WORLD_PASSWORD, 'x'.repeat(201), 'x'.repeat(201), 'Mật khẩu mới quá dài (tối đa 200 ký tự).'],
      [WORLD_PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}!`, 'Hai lần nhập mật khẩu mới không khớp nhau.'],
      [WORLD_PASSWORD, 'Dispatcher-A', 'Dispatcher-A', 'Mật khẩu mới không được trùng với tên đăng nhập.'],
      [WORLD_PASSWORD, WORLD_PASSWORD, WORLD_PASSWORD, 'Mật khẩu mới phải khác mật khẩu hiện tại.'],
    ];
    for (const [current, next, repeat, message] of cases) {
      const res = await changePassword(c, current, next, repeat);
      expect(res.statusCode, message).toBe(400);
      expect(res.body).toContain(message);
      expect(res.body).toContain('id="loi-thao-tac"');
      // Passwords are never written back into the page.
      expect(res.body).not.toContain(`value="${next}"`);
      expect(res.body).not.toContain(WORLD_PASSWORD);
    }
    // A wrong current password with a broken rule is not even checked: the rules cost no attempt.
    expect(await credentialsOf(me.id)).toEqual(before);
    expect((await c.get('/console/inbox')).statusCode).toBe(200);
  });

  it('changes the password: a new scrypt hash, every other session ended, this browser on a new session id', async () => {
    const me = world.official('dispatcher', 'a');
    const here = await signedIn(me.login);
    const elsewhere = await signedIn(me.login);
    const bystander = await signedIn(world.official('dispatcher', 'b').login);
    const oldSid = here.sessionId();
    expect(await sessionIdsOf(me.id)).toEqual(expect.arrayContaining([oldSid, elsewhere.sessionId()]));

    const res = await changePassword(here, WORLD_PASSWORD, NEW_PASSWORD);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(PAGE);
    // Session fixation: the browser that changed it continues on a new id, and it is the official's only session.
    expect(here.sessionId()).not.toBe(oldSid);
    expect(await sessionIdsOf(me.id)).toEqual([here.sessionId()]);
    const page = await here.get(PAGE);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Đã đổi mật khẩu.');

    const other = await elsewhere.get('/console/inbox');
    expect(other.statusCode).toBe(302);
    expect(other.headers.location).toBe('/console/login');
    expect((await bystander.get('/console/inbox')).statusCode).toBe(200);

    const stored = await credentialsOf(me.id);
    expect(stored.hash).toMatch(/^scrypt\$/);
    expect(stored.hash).not.toContain(NEW_PASSWORD);
    expect(await verifyPassword(NEW_PASSWORD, stored.hash)).toBe(true);
    expect(isTemporaryPasswordHash(stored.hash)).toBe(false);
    expect((await new ConsoleClient(world.t.app).login(me.login, WORLD_PASSWORD)).statusCode).toBe(401);
    expect((await new ConsoleClient(world.t.app).login(me.login, NEW_PASSWORD)).statusCode).toBe(303);
  });

  it('counts a wrong current password toward the login lockout, both ways, so the form cannot be used to guess', async () => {
    const me = world.official('viewer', 'a');
    const c = await signedIn(me.login);
    // Two wrong logins, then wrong current passwords in the form: the fifth failure in a row locks the account.
    for (let i = 0; i < 2; i++) expect((await new ConsoleClient(world.t.app).login(me.login, 'doan-sai-mat-khau')).statusCode).toBe(401);
    for (let i = 0; i < 2; i++) {
      const wrong = await changePassword(c, 'doan-sai-mat-khau', NEW_PASSWORD);
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body).toContain('Mật khẩu hiện tại không đúng.');
    }
    expect((await credentialsOf(me.id)).failedLogins).toBe(4);
    const fifth = await changePassword(c, 'doan-sai-mat-khau', NEW_PASSWORD);
    expect(fifth.statusCode).toBe(423);
    expect(fifth.body).toContain('Tài khoản tạm bị khóa do nhập sai mật khẩu 5 lần liên tiếp. Vui lòng thử lại sau 15 phút');

    // Locked: even the right current password is refused unchecked, in the form and at the login.
    const right = await changePassword(c, WORLD_PASSWORD, NEW_PASSWORD);
    expect(right.statusCode).toBe(423);
    expect((await new ConsoleClient(world.t.app).login(me.login, WORLD_PASSWORD)).statusCode).toBe(423);
    expect(await verifyPassword(WORLD_PASSWORD, (await credentialsOf(me.id)).hash)).toBe(true);
    // The session itself goes on: the lock stops guesses, not the work of whoever is signed in.
    expect((await c.get('/console/inbox')).statusCode).toBe(200);

    world.t.clock.set(new Date(world.t.clock.now().getTime() + LOCKOUT_MS));
    const done = await changePassword(c, WORLD_PASSWORD, NEW_PASSWORD);
    expect(done.statusCode).toBe(303);
    // A correct current password is a successful login: the count starts again.
    expect(await credentialsOf(me.id)).toMatchObject({ failedLogins: 0, lockedUntil: null });
  });

  it('refuses the change without the form token, changing and counting nothing', async () => {
    const me = world.official('handler', 'a');
    const c = await signedIn(me.login);
    const before = await credentialsOf(me.id);
    const noCsrf = await c.post(PASSWORD_URL, { currentPassword: WORLD_PASSWORD, newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD });
    expect(noCsrf.statusCode).toBe(403);
    const forged = await c.post(PASSWORD_URL, { _csrf: 'khong-phai-ma-cua-phien', currentPassword: WORLD_PASSWORD, newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD });
    expect(forged.statusCode).toBe(403);
    expect(await credentialsOf(me.id)).toEqual(before);
  });

  it('makes an official whose password an admin reset change it before anything else; API tokens go on working', async () => {
    const me = world.official('handler', 'b');
    const before = await signedIn(me.login);
    const admin = await signedIn(world.official('admin', 'a').login);
    const reset = await admin.submit('/console/admin/officials', `/console/admin/officials/${me.id}/reset-password`, {});
    expect(reset.statusCode).toBe(200);
    expect(reset.body).toContain('phải đặt mật khẩu mới của riêng mình');
    const temporary = readSecret(reset.body);
    expect(isTemporaryPasswordHash((await credentialsOf(me.id)).hash)).toBe(true);

    // The session signed in with the old password is over.
    const stale = await before.get('/console/inbox');
    expect(stale.statusCode).toBe(302);
    expect(stale.headers.location).toBe('/console/login');

    // Asked for the reports page, signed in with the temporary password: sent to the change form first.
    const c = new ConsoleClient(world.t.app);
    expect((await c.get('/console/reports')).statusCode).toBe(302);
    const login = await c.login(me.login, temporary);
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe(PAGE);

    for (const url of ['/console/inbox', '/console/reports', '/console/dashboard', `/console/admin`, '/console/no-such-page']) {
      const res = await c.get(url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location, url).toBe(PAGE);
    }
    const prefs = await preferencesOf(me.id);
    const post = await c.submit(PAGE, `${PAGE}/preferences`, { channels: 'zalo' });
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toBe(PAGE);
    expect(await preferencesOf(me.id)).toEqual(prefs);

    const page = await c.get(PAGE);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Mật khẩu anh/chị đang dùng do quản trị viên cấp. Vui lòng đặt mật khẩu mới');
    expect(page.body).toContain('name="currentPassword" type="password" autocomplete="current-password" required autofocus>');
    expect(page.body).not.toContain('action="/console/account/preferences"');
    // No links to pages that would only send the official back here; the logout stays.
    expect(navLinks(page.body)).toEqual([]);
    expect(page.body).toContain('action="/console/logout"');

    // The API authenticates its tokens without the console session: nothing to change there.
    const api = await world.t.app.inject({ method: 'GET', url: '/api/v1/cases', headers: { authorization: `Bearer ${me.token}` } });
    expect(api.statusCode).toBe(200);

    // The temporary password is the current one; keeping it is not a change.
    expect((await changePassword(c, temporary, temporary)).statusCode).toBe(400);
    const done = await changePassword(c, temporary, NEW_PASSWORD);
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/console/reports');
    const reports = await c.get('/console/reports');
    expect(reports.statusCode).toBe(200);
    expect(reports.body).toContain('Đã đổi mật khẩu.');
    expect(isTemporaryPasswordHash((await credentialsOf(me.id)).hash)).toBe(false);
    expect(navLinks((await c.get(PAGE)).body)).toContain('/console/inbox');

    // Signing out is always possible, before the change too.
    const again = new ConsoleClient(world.t.app);
    const secondReset = readSecret((await admin.submit('/console/admin/officials', `/console/admin/officials/${me.id}/reset-password`, {})).body);
    await again.login(me.login, secondReset);
    const out = await again.submit(PAGE, '/console/logout', {});
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/console/login');
  });

  it('sends a visitor without a session to the login page', async () => {
    const res = await world.t.app.inject({ method: 'GET', url: PAGE });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/console/login');
  });
});
