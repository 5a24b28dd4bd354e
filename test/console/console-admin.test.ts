import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { listTemplateOverrides } from '../../runtime/template-overrides.repo.js';
import { categories, inboundEvents, officialLinkCodes, officials, routingRules, slaRules, templateOverrides, units, zaloTokens } from '../../db/schema.js';
import { createCase } from '../../workflows/cases/case-service.js';
import { linkOfficialByCode, LINK_CODE_TTL_MS } from '../../workflows/officials/link-official.js';
import { DEFAULT_SLA_RULES } from '../../workflows/sla/sla-rules.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient, readCsrfToken } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World } from './console-world.js';

/** Posts a form with repeated fields (checkbox groups), with the page's CSRF token. */
async function postPairs(world: World, client: ConsoleClient, url: string, pairs: Array<[string, string]>): Promise<LightMyRequestResponse> {
  const page = await client.get('/console/admin');
  const body = new URLSearchParams([['_csrf', readCsrfToken(page.body)], ...pairs]);
  return world.t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: `${CONSOLE_COOKIE_NAME}=${client.cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
}

function readSecret(html: string): string {
  const match = /<output class="secret"[^>]*>([^<]+)<\/output>/.exec(html);
  if (!match?.[1]) throw new Error('no secret on the page');
  return match[1];
}

describe.each(DRIVERS)('admin area on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let admin: ConsoleClient;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    await database.db.insert(slaRules).values(DEFAULT_SLA_RULES.map((r) => ({ ...r })));
    admin = new ConsoleClient(world.t.app);
    await admin.login(world.official('admin', 'a').login, WORLD_PASSWORD);
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const newCaseDue = async (categoryId = world.categories.a) => {
    const created = await createCase(world.caseDeps, { channel: 'console', contact: null, contactKind: 'citizen', categoryId, description: 'Kiểm tra hạn' });
    return { due: created.case.answerDueAt?.toISOString(), unitId: created.case.responsibleUnitId };
  };

  it('adds, edits and deletes an exception day, and the next case is due accordingly', async () => {
    // Monday 2 March 09:00 + 10 working days
    expect((await newCaseDue()).due).toBe('2026-03-16T10:30:00.000Z');
    const added = await admin.submit('/console/admin/calendar', '/console/admin/calendar', { day: '2026-03-10', working: 'off', reason: 'Nghỉ đột xuất <b>thử</b>' });
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe('/console/admin/calendar?year=2026');
    expect((await newCaseDue()).due).toBe('2026-03-17T10:30:00.000Z');
    const page = await admin.get('/console/admin/calendar?year=2026');
    expect(page.body).toContain('Đã thêm ngày vào lịch.');
    expect(page.body).toContain('Thứ ba, 10/03/2026');
    expect(page.body).toContain('value="Nghỉ đột xuất &lt;b&gt;thử&lt;/b&gt;"');

    const twice = await admin.submit('/console/admin/calendar', '/console/admin/calendar', { day: '2026-03-10', working: 'off', reason: 'Lần nữa' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('Ngày này đã có trong lịch.');

    const madeWorking = await admin.submit('/console/admin/calendar', '/console/admin/calendar/2026-03-10', { working: 'working', reason: 'Đi làm lại' });
    expect(madeWorking.statusCode).toBe(303);
    expect((await newCaseDue()).due).toBe('2026-03-16T10:30:00.000Z');
    const deleted = await admin.submit('/console/admin/calendar', '/console/admin/calendar/2026-03-10/delete', {});
    expect(deleted.statusCode).toBe(303);
    expect((await admin.get('/console/admin/calendar?year=2026')).body).not.toContain('10/03/2026');

    const invalid = await admin.submit('/console/admin/calendar', '/console/admin/calendar', { day: '2026-02-30', working: 'off', reason: '' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('Ngày không hợp lệ');
    expect(invalid.body).toContain('Vui lòng ghi lý do');
  });

  it('previews a template with the sample data printed as text, in JSON and without scripts', async () => {
    const page = await admin.get('/console/admin/templates/edit?name=zalo/case-received');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Mã phản ánh: PA-2026-000123');
    expect(page.body).toContain('src="/console/assets/template-preview.js"');
    const csrf = readCsrfToken(page.body);
    const body = 'Nội dung: {{description}} | thô: {{{description}}} | {{caseCode}}';
    const sample = JSON.stringify({ description: '<script>alert(1)</script> {{7*7}}', caseCode: 'PA-2026-000001' });
    const headers = { cookie: `${CONSOLE_COOKIE_NAME}=${admin.cookie}`, 'content-type': 'application/x-www-form-urlencoded' };
    const json = await world.t.app.inject({
      method: 'POST',
      url: '/console/admin/templates/preview',
      headers: { ...headers, accept: 'application/json' },
      payload: new URLSearchParams({ _csrf: csrf, name: 'zalo/case-received', body, sample }).toString(),
    });
    expect(json.statusCode).toBe(200);
    const text = (json.json() as { ok: boolean; text: string }).text;
    expect(text).toContain('Nội dung: &lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}');
    expect(text).toContain('{{7*7}}');
    expect(text).not.toContain('49');
    expect(await listTemplateOverrides(database.db)).toEqual({});

    // Without scripts the form posts and the page shows the preview, escaped once more as HTML.
    const html = await world.t.app.inject({
      method: 'POST',
      url: '/console/admin/templates/preview',
      headers,
      payload: new URLSearchParams({ _csrf: csrf, name: 'zalo/case-received', body, sample }).toString(),
    });
    expect(html.statusCode).toBe(200);
    expect(html.body).not.toContain('<script>alert(1)');
    expect(html.body).toContain('thô: &lt;script&gt;alert(1)&lt;/script&gt;');

    const broken = await world.t.app.inject({
      method: 'POST',
      url: '/console/admin/templates/preview',
      headers: { ...headers, accept: 'application/json' },
      payload: new URLSearchParams({ _csrf: csrf, body: '{{#if caseCode}}chưa đóng', sample: '[1,2]' }).toString(),
    });
    expect(broken.statusCode).toBe(400);
    expect((broken.json() as { error: string }).error).toContain('Dữ liệu mẫu phải là một đối tượng JSON');
  });

  it('saves a template override, refuses a broken one and restores the file text', async () => {
    const name = 'zalo/case-received';
    const saved = await admin.submit(`/console/admin/templates/edit?name=${name}`, '/console/admin/templates/save', {
      name,
      body: 'Đã nhận phản ánh {{caseCode}}. Nội dung: {{description}}',
    });
    expect(saved.statusCode).toBe(303);
    expect(await listTemplateOverrides(database.db)).toEqual({ [name]: 'Đã nhận phản ánh {{caseCode}}. Nội dung: {{description}}' });
    const [row] = await database.db.select().from(templateOverrides).where(eq(templateOverrides.name, name));
    expect(row?.updatedBy).toBe(world.official('admin', 'a').id);
    const page = await admin.get(`/console/admin/templates/edit?name=${name}`);
    expect(page.body).toContain('Đang dùng nội dung đã sửa');
    expect(page.body).toContain('Nội dung: Rác tràn ra đường &amp;lt;b&amp;gt;ngõ 5&amp;lt;/b&amp;gt;');
    expect((await admin.get('/console/admin/templates')).body).toMatch(/zalo\/case-received<\/a> <span class="status">Đã sửa/);

    const broken = await admin.submit(`/console/admin/templates/edit?name=${name}`, '/console/admin/templates/save', { name, body: '{{#each}}' });
    expect(broken.statusCode).toBe(400);
    expect(broken.body).toContain('Mẫu có lỗi cú pháp Handlebars');
    const unknown = await admin.submit('/console/admin/templates', '/console/admin/templates/save', { name: '../../etc/passwd', body: 'x' });
    expect(unknown.statusCode).toBe(404);
    expect(await listTemplateOverrides(database.db)).toHaveProperty([name]);

    const reset = await admin.submit(`/console/admin/templates/edit?name=${name}`, '/console/admin/templates/reset', { name });
    expect(reset.statusCode).toBe(303);
    expect(await listTemplateOverrides(database.db)).toEqual({});
  });

  it('creates an official with a temporary password, resets it and deactivates the account', async () => {
    const invalid = await postPairs(world, admin, '/console/admin/officials', [['login', 'A'], ['fullName', ''], ['unitId', String(world.units.b)]]);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('Tên đăng nhập gồm 3–50 ký tự');
    expect(invalid.body).toContain('Vui lòng nhập họ và tên.');
    expect(invalid.body).toContain('Vui lòng chọn ít nhất một vai trò.');

    const created = await postPairs(world, admin, '/console/admin/officials', [
      ['login', 'Nguyenvana'],
      ['fullName', 'Nguyễn Văn A'],
      ['email', 'a@hanoi.gov.vn'],
      ['unitId', String(world.units.b)],
      ['roles', 'handler'],
      ['roles', 'unit_leader'],
    ]);
    expect(created.statusCode).toBe(200);
    expect(created.headers['cache-control']).toBe('no-store');
    const password = readSecret(created.body);
    expect(password).toMatch(/^[A-Za-z0-9]{12}$/);
    const [row] = await database.db.select().from(officials).where(eq(officials.login, 'nguyenvana'));
    expect(row).toMatchObject({ fullName: 'Nguyễn Văn A', unitId: world.units.b, roles: ['handler', 'unit_leader'], active: true });
    expect(row?.passwordHash).not.toContain(password);

    const duplicate = await postPairs(world, admin, '/console/admin/officials', [['login', 'nguyenvana'], ['fullName', 'Khác'], ['unitId', String(world.units.b)], ['roles', 'viewer']]);
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.body).toContain('Tên đăng nhập đã được sử dụng');

    // The password the admin handed over is the newcomer's to replace before anything else.
    const newcomer = new ConsoleClient(world.t.app);
    const firstLogin = await newcomer.login('nguyenvana', password);
    expect(firstLogin.statusCode).toBe(303);
    expect(firstLogin.headers.location).toBe('/console/account');
    const held = await newcomer.get('/console/inbox');
    expect(held.statusCode).toBe(303);
    expect(held.headers.location).toBe('/console/account');
    const own = await newcomer.submit('/console/account', '/console/account/password', {
      currentPassword: password,
      newPassword: 'mat-khau-cua-rieng-toi',
      newPasswordRepeat: 'mat-khau-cua-rieng-toi',
    });
    expect(own.statusCode).toBe(303);
    expect(own.headers.location).toBe('/console/inbox');
    expect((await newcomer.get('/console/inbox')).statusCode).toBe(200);

    const reset = await admin.submit('/console/admin/officials', `/console/admin/officials/${row!.id}/reset-password`, {});
    const fresh = readSecret(reset.body);
    expect(fresh).not.toBe(password);
    // A reset ends the sessions signed in with the password it replaces.
    expect((await newcomer.get('/console/inbox')).statusCode).toBe(302);
    expect((await new ConsoleClient(world.t.app).login('nguyenvana', 'mat-khau-cua-rieng-toi')).statusCode).toBe(401);
    const afterReset = await new ConsoleClient(world.t.app).login('nguyenvana', fresh);
    expect(afterReset.statusCode).toBe(303);
    expect(afterReset.headers.location).toBe('/console/account');

    const access = await postPairs(world, admin, `/console/admin/officials/${row!.id}/access`, [['unitId', String(world.units.a)], ['roles', 'viewer']]);
    expect(access.statusCode).toBe(303);
    const [changed] = await database.db.select().from(officials).where(eq(officials.id, row!.id));
    expect(changed).toMatchObject({ unitId: world.units.a, roles: ['viewer'] });

    const signedIn = new ConsoleClient(world.t.app);
    await signedIn.login('nguyenvana', fresh);
    const deactivated = await admin.submit('/console/admin/officials', `/console/admin/officials/${row!.id}/deactivate`, {});
    expect(deactivated.statusCode).toBe(303);
    expect((await signedIn.get('/console/account')).statusCode).toBe(302);
    const self = await admin.submit('/console/admin/officials', `/console/admin/officials/${world.official('admin', 'a').id}/deactivate`, {});
    expect(self.statusCode).toBe(422);
    expect(self.body).toContain('Không thể tự ngừng hoạt động');
  });

  it('issues a one-time Zalo link code that the bot redeems once, within 15 minutes', async () => {
    const target = world.official('handler', 'b');
    const page = await admin.submit('/console/admin/officials', `/console/admin/officials/${target.id}/link-code`, {});
    expect(page.statusCode).toBe(200);
    const code = readSecret(page.body);
    expect(code).toMatch(/^\d{6}$/);
    expect(page.body).toContain(`liên kết ${code}`);
    const [stored] = await database.db.select().from(officialLinkCodes).where(eq(officialLinkCodes.code, code));
    expect(stored?.expiresAt.getTime()).toBe(world.t.clock.now().getTime() + LINK_CODE_TTL_MS);

    const now = world.t.clock.now();
    expect(await database.db.transaction((tx) => linkOfficialByCode(tx, 'zalo-can-bo-b', ` ${code} `, now))).toEqual({
      ok: true,
      officialId: target.id,
      fullName: `Cán bộ ${target.login}`,
    });
    const [linked] = await database.db.select({ zaloUserId: officials.zaloUserId }).from(officials).where(eq(officials.id, target.id));
    expect(linked?.zaloUserId).toBe('zalo-can-bo-b');
    expect(await linkOfficialByCode(database.db, 'zalo-can-bo-b', code, now)).toEqual({ ok: false, reason: 'invalid_code' });
    expect(await linkOfficialByCode(database.db, 'x', 'abc', now)).toEqual({ ok: false, reason: 'invalid_code' });

    // Another official's code cannot take over a Zalo account already linked.
    const other = world.official('viewer', 'b');
    const second = readSecret((await admin.submit('/console/admin/officials', `/console/admin/officials/${other.id}/link-code`, {})).body);
    expect(await linkOfficialByCode(database.db, 'zalo-can-bo-b', second, now)).toEqual({ ok: false, reason: 'zalo_in_use' });
    expect(await linkOfficialByCode(database.db, 'zalo-nguoi-xem', second, new Date(now.getTime() + LINK_CODE_TTL_MS))).toEqual({
      ok: false,
      reason: 'expired',
    });
    // A new code replaces the official's unused one.
    const third = readSecret((await admin.submit('/console/admin/officials', `/console/admin/officials/${other.id}/link-code`, {})).body);
    expect(await linkOfficialByCode(database.db, 'zalo-nguoi-xem', second, now)).toEqual({ ok: false, reason: 'invalid_code' });
    expect(await linkOfficialByCode(database.db, 'zalo-nguoi-xem', third, now)).toMatchObject({ ok: true, officialId: other.id });

    const unlinked = await admin.submit('/console/admin/officials', `/console/admin/officials/${target.id}/unlink-zalo`, {});
    expect(unlinked.statusCode).toBe(303);
    const [after] = await database.db.select({ zaloUserId: officials.zaloUserId }).from(officials).where(eq(officials.id, target.id));
    expect(after?.zaloUserId).toBeNull();
  });

  it("toggles a unit's approval and assignment strategy", async () => {
    const res = await admin.submit('/console/admin/units', `/console/admin/units/${world.units.a}`, { assignmentStrategy: 'round_robin' });
    expect(res.statusCode).toBe(303);
    const [row] = await database.db.select().from(units).where(eq(units.id, world.units.a));
    expect(row).toMatchObject({ requiresApproval: false, assignmentStrategy: 'round_robin' });
    const bad = await admin.submit('/console/admin/units', `/console/admin/units/${world.units.a}`, { assignmentStrategy: 'ngau_nhien' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Cách giao việc không hợp lệ.');
    await admin.submit('/console/admin/units', `/console/admin/units/${world.units.a}`, { requiresApproval: 'on', assignmentStrategy: 'least_open' });
  });

  it('creates and edits categories and routing rules that route the next case', async () => {
    const created = await admin.submit('/console/admin/categories', '/console/admin/categories', { name: 'Điện chiếu sáng', active: 'on', sortOrder: '5' });
    expect(created.statusCode).toBe(303);
    const [category] = await database.db.select().from(categories).where(eq(categories.name, 'Điện chiếu sáng'));
    expect(category).toMatchObject({ code: 'dien-chieu-sang', active: true, defaultUnitId: null, sortOrder: 5 });
    expect((await newCaseDue(category!.id)).unitId).toBeNull();

    const rule = await admin.submit('/console/admin/routing', '/console/admin/routing', { categoryId: String(category!.id), target: String(world.units.b), priority: '10' });
    expect(rule.statusCode).toBe(303);
    expect((await newCaseDue(category!.id)).unitId).toBe(world.units.b);
    const [ruleRow] = await database.db.select().from(routingRules).where(eq(routingRules.categoryId, category!.id));
    const paused = await admin.submit('/console/admin/routing', `/console/admin/routing/${ruleRow!.id}`, { priority: '20' });
    expect(paused.statusCode).toBe(303);
    expect((await newCaseDue(category!.id)).unitId).toBeNull();
    expect((await admin.submit('/console/admin/routing', `/console/admin/routing/${ruleRow!.id}/delete`, {})).statusCode).toBe(303);

    const edited = await admin.submit('/console/admin/categories', `/console/admin/categories/${category!.id}`, {
      name: 'Điện chiếu sáng công cộng',
      defaultUnitId: String(world.units.a),
      active: 'on',
    });
    expect(edited.statusCode).toBe(303);
    expect((await newCaseDue(category!.id)).unitId).toBe(world.units.a);

    const invalidRule = await admin.submit('/console/admin/routing', '/console/admin/routing', { target: '', priority: '0' });
    expect(invalidRule.statusCode).toBe(400);
    expect(invalidRule.body).toContain('Vui lòng chọn đơn vị nhận.');
    expect(invalidRule.body).toContain('Độ ưu tiên phải là số nguyên từ 1 đến 1000');
    const invalidCategory = await admin.submit('/console/admin/categories', '/console/admin/categories', { name: ' ', defaultUnitId: '999999' });
    expect(invalidCategory.statusCode).toBe(400);
    expect(invalidCategory.body).toContain('Vui lòng nhập tên lĩnh vực.');
  });

  it('edits an SLA limit with its legal source, which sets the next due date', async () => {
    const [rule] = await database.db.select().from(slaRules).where(eq(slaRules.code, 'answer-default'));
    const res = await admin.submit('/console/admin/sla', `/console/admin/sla/${rule!.id}`, {
      limitValue: '5',
      limitUnit: 'working_days',
      legalSource: 'Quyết định thử nghiệm số 1/QĐ-UBND',
      active: 'on',
    });
    expect(res.statusCode).toBe(303);
    expect((await newCaseDue()).due).toBe('2026-03-09T10:30:00.000Z');
    const bad = await admin.submit('/console/admin/sla', `/console/admin/sla/${rule!.id}`, { limitValue: '0', limitUnit: 'tuan', legalSource: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Thời hạn phải là số nguyên từ 1 đến 365.');
    expect(bad.body).toContain('Vui lòng ghi căn cứ pháp lý');
    await admin.submit('/console/admin/sla', `/console/admin/sla/${rule!.id}`, { limitValue: '10', limitUnit: 'working_days', legalSource: rule!.legalSource, active: 'on' });
  });

  it('shows the Zalo connection, with a red alert and the re-consent steps when the token is dead', async () => {
    const ok = await admin.get('/console/admin/zalo');
    expect(ok.body).toContain('Chưa có mã truy cập');
    expect(ok.body).toContain('Chưa nhận sự kiện nào');
    const oaId = world.t.deps.config.zalo.oaId;
    const now = world.t.clock.now();
    await database.db.insert(zaloTokens).values({
      oaId,
      accessTokenEnc: 'v1.x.y.z',
      refreshTokenEnc: 'v1.x.y.z',
      accessExpiresAt: new Date(now.getTime() - 3_600_000),
      refreshIssuedAt: new Date('2026-01-01T00:00:00Z'),
      status: 'dead',
      lastError: 'error -14014: refresh token <expired>',
      updatedAt: now,
    });
    await database.db.insert(inboundEvents).values({ dedupeKey: 'k-1', eventName: 'user_send_text', raw: '{}', receivedAt: new Date('2026-03-01T03:04:00Z') });
    const dead = await admin.get('/console/admin/zalo');
    expect(dead.body).toContain('class="alert alert--danger" role="alert"');
    expect(dead.body).toContain('Mất kết nối với Zalo Official Account.');
    expect(dead.body).toContain('/zalo/oauth/callback');
    expect(dead.body).toContain('error -14014: refresh token &lt;expired&gt;');
    expect(dead.body).toContain('10:04 01/03/2026');
    expect(dead.body).not.toContain('v1.x.y.z');
  });

  it('creates an API token shown once, stored hashed, and revokes it', async () => {
    const official = world.official('handler', 'a');
    const created = await postPairs(world, admin, '/console/admin/api-tokens', [['name', 'Hệ thống của Sở'], ['officialId', String(official.id)], ['scopes', 'cases:read']]);
    expect(created.statusCode).toBe(200);
    const token = readSecret(created.body);
    expect(token).toMatch(/^pakn_[\w-]{40,}$/);
    const list = await world.t.app.inject({ method: 'GET', url: '/api/v1/cases', headers: { authorization: `Bearer ${token}` } });
    expect(list.statusCode).toBe(200);
    const write = await world.t.app.inject({
      method: 'POST',
      url: '/api/v1/cases/1/commands',
      headers: { authorization: `Bearer ${token}` },
      payload: { command: { type: 'add_note', text: 'x' }, expectedVersion: 1 },
    });
    expect(write.statusCode).toBe(403);
    const page = await admin.get('/console/admin/api-tokens');
    expect(page.body).not.toContain(token);
    const id = /\/console\/admin\/api-tokens\/(\d+)\/revoke/.exec(page.body)?.[1];
    expect((await admin.submit('/console/admin/api-tokens', `/console/admin/api-tokens/${id}/revoke`, {})).statusCode).toBe(303);
    expect((await world.t.app.inject({ method: 'GET', url: '/api/v1/cases', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    const invalid = await postPairs(world, admin, '/console/admin/api-tokens', [['name', ''], ['officialId', '']]);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('Vui lòng chọn ít nhất một quyền.');
  });
});
