import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME, createConsolePart } from '../../console/console.routes.js';
import { LIVE_REFRESH_HEADER } from '../../console/page-renderer.js';
import { createCaseServiceDeps } from '../../console/case-service-deps.js';
import { parseCommandForm } from '../../console/cases/command-forms.js';
import { describeCategorySuggestions, describeDuplicateCandidates } from '../../console/cases/case-suggestions.js';
import { caseUnits, cases, categories, units } from '../../db/schema.js';
import { seedAll } from '../../runtime/seed.js';
import { createCase, type CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { seedContact } from '../helpers/seed-org.js';
import { ConsoleClient, readCsrfToken, readVersion } from './console-client.js';

/**
 * The case page at triage (duplicate candidates with a merge button, the classifier's category with a one-click
 * apply), co-handling units on the assign and transfer forms, and an extension to a picked date.
 */

const SESSION_SECRET = 'console-test-session-secret-0123456789abcdef';
const LAMP = 'Đèn đường ở ngõ 12 Tràng Tiền bị hỏng hai tuần nay, buổi tối rất tối và nguy hiểm cho người đi bộ.';
const LAMP_AGAIN = 'Đèn đường ngõ 12 Tràng Tiền hỏng hai tuần nay rồi, buổi tối rất tối, nguy hiểm <script>alert(1)</script> {{7*7}}';

describe.each(DRIVERS)('console triage and routing forms on %s', (driver) => {
  let database: TestDatabase;
  let t: TestApp;
  let caseDeps: CaseServiceDeps;
  const ids = { ward: 0, otherWard: 0, sxd: 0, syt: 0, other: 0, lighting: 0 };
  let lamp: { id: number; code: string };
  let lampAgain: { id: number; code: string };
  let lampElsewhere: { id: number; code: string };
  let pavement: { id: number; code: string };

  const idOf = async (rows: Promise<Array<{ id: number }>>) => {
    const [row] = await rows;
    if (!row) throw new Error('reference row missing');
    return row.id;
  };
  const unitId = (code: string) => idOf(database.db.select({ id: units.id }).from(units).where(eq(units.code, code)));
  const categoryId = (code: string) => idOf(database.db.select({ id: categories.id }).from(categories).where(eq(categories.code, code)));
  const rowOf = async (caseId: number) => {
    const [row] = await database.db.select().from(cases).where(eq(cases.id, caseId));
    if (!row) throw new Error(`case ${caseId} missing`);
    return row;
  };

  async function signIn(login: string): Promise<ConsoleClient> {
    const client = new ConsoleClient(t.app);
    expect((await client.login(login)).statusCode).toBe(303);
    return client;
  }

  /** Posts a command form of the case page with the page's CSRF token and version, as the browser would. */
  async function command(client: ConsoleClient, caseId: number, type: string, form: Record<string, string | number>) {
    const page = await client.get(`/console/cases/${caseId}`);
    return client.post(`/console/cases/${caseId}/commands/${type}`, { _csrf: readCsrfToken(page.body), version: readVersion(page.body), ...form });
  }

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    await seedAll(database.db, { demo: true });
    t = await buildTestApp({ parts: [createConsolePart({ loginRateLimit: { max: 10_000, timeWindowMs: 60_000 } })], database, env: { SESSION_SECRET } });
    caseDeps = createCaseServiceDeps(t.deps);
    ids.ward = await unitId('00070');
    ids.otherWard = await idOf(database.db.select({ id: units.id }).from(units).where(and(eq(units.kind, 'ward'), eq(units.code, '00004'))));
    ids.sxd = await unitId('SXD');
    ids.syt = await unitId('SYT');
    ids.other = await categoryId('khac');
    ids.lighting = await categoryId('chieu-sang');

    const contactId = await seedContact(database.db, { fullName: 'Nguyễn Văn Dân', phone: '0912345678' });
    // "Lĩnh vực khác" has no routing: every case waits at triage.
    const at = (description: string, areaUnitId: number | null, point?: { latitude: number; longitude: number }) =>
      createCase(caseDeps, {
        channel: 'zalo',
        contact: { id: contactId },
        contactKind: 'citizen',
        categoryId: ids.other,
        description,
        areaUnitId,
        ...(point ?? {}),
      }).then((r) => ({ id: r.case.id, code: r.case.code }));
    lamp = await at(LAMP, ids.ward, { latitude: 21.0245, longitude: 105.8556 });
    lampAgain = await at(LAMP_AGAIN, ids.ward, { latitude: 21.0246, longitude: 105.8557 });
    lampElsewhere = await at(LAMP, ids.otherWard);
    pavement = await at('Đề nghị sửa vỉa hè trước trường tiểu học bị vỡ nhiều chỗ', ids.ward);
  });
  afterAll(async () => {
    await t?.close();
    await database?.destroy();
  });

  it('lists similar cases of the same place at triage, escaped, each with its link and a merge button', async () => {
    const dispatcher = await signIn('dieuphoi');
    const page = await dispatcher.get(`/console/cases/${lamp.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Hồ sơ có thể trùng lặp');
    expect(page.body).toContain(`<a href="/console/cases/${lampAgain.id}" class="case-code">${lampAgain.code}</a>`);
    expect(page.body).toMatch(/Nội dung giống \d+%; cùng phường, xã, cách khoảng \d+ m/);
    expect(page.body).toContain(`name="intoCaseCode" value="${lampAgain.code}"`);
    expect(page.body).toContain(`Gộp vào ${lampAgain.code}`);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}');
    expect(page.body).not.toContain('<script>alert(1)');
    // Another ward without coordinates, and another subject in the same ward, are not the same report.
    expect(page.body).not.toContain(lampElsewhere.code);
    expect(page.body).not.toContain(pavement.code);
  });

  it("suggests the category the text reads as, with its confidence, and applies it in one click", async () => {
    const dispatcher = await signIn('dieuphoi');
    const page = await dispatcher.get(`/console/cases/${lamp.id}`);
    const suggestion = new RegExp(
      `<span class="suggestion-name">Chiếu sáng công cộng</span>\\s*<span class="confidence confidence--[^"]+">độ tin cậy (cao|trung bình|thấp) \\(\\d+%\\)</span>`,
    );
    expect(page.body).toMatch(suggestion);
    expect(page.body).toContain(`name="categoryId" value="${ids.lighting}"`);
    expect(page.body).toContain('aria-label="Áp dụng lĩnh vực Chiếu sáng công cộng"');

    const applied = await command(dispatcher, lamp.id, 'recategorise', { categoryId: ids.lighting });
    expect(applied.statusCode).toBe(303);
    const row = await rowOf(lamp.id);
    expect(row.categoryId).toBe(ids.lighting);
    expect(row.status).toBe('received');
    // A live refresh fetched in the background meanwhile leaves the flash to the page the redirect opens.
    const background = await t.app.inject({
      method: 'GET',
      url: `/console/cases/${lamp.id}`,
      headers: { cookie: `${CONSOLE_COOKIE_NAME}=${dispatcher.cookie}`, [LIVE_REFRESH_HEADER]: '1' },
    });
    expect(background.statusCode).toBe(200);
    expect(background.body).not.toContain('Đã đổi lĩnh vực của hồ sơ.');
    const after = await dispatcher.get(`/console/cases/${lamp.id}`);
    expect(after.body).toContain('Đã đổi lĩnh vực của hồ sơ.');
    expect(after.body).toContain('Từ lĩnh vực: Lĩnh vực khác. Sang lĩnh vực: Chiếu sáng công cộng');
    expect(after.body).toMatch(/Chiếu sáng công cộng<\/span>\s*<span class="confidence[^>]*>[^<]*<\/span>\s*<span class="tag tag--current">Lĩnh vực hiện tại<\/span>/);
    expect(after.body).not.toContain('aria-label="Áp dụng lĩnh vực Chiếu sáng công cộng"');

    const again = await command(dispatcher, lamp.id, 'recategorise', { categoryId: ids.lighting });
    expect(again.statusCode).toBe(422);
    expect(again.body).toContain('Hồ sơ đã thuộc lĩnh vực này.');
  });

  it('merges the case into a candidate with the button of its suggestion', async () => {
    const dispatcher = await signIn('dieuphoi');
    const page = await dispatcher.get(`/console/cases/${lampAgain.id}`);
    const form = new RegExp(
      `<form method="post" action="(/console/cases/${lampAgain.id}/commands/merge)" class="inline-form" data-confirm="Gộp hồ sơ này vào hồ sơ ${lamp.code}\\?[^"]*">[\\s\\S]*?name="intoCaseCode" value="(${lamp.code})"`,
    ).exec(page.body);
    expect(form).not.toBeNull();
    const merged = await dispatcher.post(form![1]!, { _csrf: readCsrfToken(page.body), version: readVersion(page.body), intoCaseCode: form![2]! });
    expect(merged.statusCode).toBe(303);
    expect(await rowOf(lampAgain.id)).toMatchObject({ status: 'merged', mergedIntoId: lamp.id });
    // A merged case is settled: it is no longer offered.
    expect((await dispatcher.get(`/console/cases/${lamp.id}`)).body).not.toContain(`Gộp vào ${lampAgain.code}`);
  });

  it('assigns with co-handling units, who then see the case, and keeps them ticked on a transfer', async () => {
    const dispatcher = await signIn('dieuphoi');
    const page = await dispatcher.get(`/console/cases/${pavement.id}`);
    expect(page.body).toContain('<summary>Đơn vị phối hợp (không bắt buộc)</summary>');
    expect(page.body).toContain(`id="form-assign-co-${ids.ward}" name="coUnitIds" value="${ids.ward}">`);

    const assigned = await command(dispatcher, pavement.id, 'assign', { unitId: ids.sxd, coUnitIds: ids.ward });
    expect(assigned.statusCode).toBe(303);
    const links = await database.db.select({ unitId: caseUnits.unitId, role: caseUnits.role }).from(caseUnits).where(eq(caseUnits.caseId, pavement.id));
    expect(links.sort((a, b) => a.unitId - b.unitId)).toEqual(
      [
        { unitId: ids.sxd, role: 'lead' },
        { unitId: ids.ward, role: 'co' },
      ].sort((a, b) => a.unitId - b.unitId),
    );

    const wardLeader = await signIn('lanhdao');
    const seen = await wardLeader.get(`/console/cases/${pavement.id}`);
    expect(seen.statusCode).toBe(200);
    expect(seen.body).toContain('<dt>Đơn vị phối hợp</dt><dd>Phường Hoàn Kiếm</dd>');
    expect(seen.body).toContain('/commands/add_note"');
    expect(seen.body).not.toContain('/commands/accept"');

    const transferPage = await dispatcher.get(`/console/cases/${pavement.id}`);
    expect(transferPage.body).toContain('<details class="co-units" open>');
    expect(transferPage.body).toContain(`id="form-transfer-co-${ids.ward}" name="coUnitIds" value="${ids.ward}" checked>`);
    const transferred = await command(dispatcher, pavement.id, 'transfer', { unitId: ids.syt, reason: 'Thuộc thẩm quyền Sở Y tế', coUnitIds: ids.ward });
    expect(transferred.statusCode).toBe(303);
    expect((await rowOf(pavement.id)).responsibleUnitId).toBe(ids.syt);
    expect((await wardLeader.get(`/console/cases/${pavement.id}`)).statusCode).toBe(200);
  });

  it('grants an extension to a picked day, ending with that working day or the next one', async () => {
    const dispatcher = await signIn('dieuphoi');
    const page = await dispatcher.get(`/console/cases/${pavement.id}`);
    expect(page.body).toMatch(/<input id="form-grant-extension-date" name="newDueDay" type="date" min="2026-\d{2}-\d{2}">/);
    expect(page.body).toContain('Hạn trả lời hiện tại: 17:30 16/03/2026.');

    const both = await command(dispatcher, pavement.id, 'grant_extension', { reason: 'Cần khảo sát', extraWorkingDays: 5, newDueDay: '2026-03-27' });
    expect(both.statusCode).toBe(422);
    expect(both.body).toContain('Thông tin gia hạn không hợp lệ');
    const neither = await command(dispatcher, pavement.id, 'grant_extension', { reason: 'Cần khảo sát' });
    expect(neither.statusCode).toBe(422);
    const impossible = await command(dispatcher, pavement.id, 'grant_extension', { reason: 'Cần khảo sát', newDueDay: '2026-02-30' });
    expect(impossible.statusCode).toBe(400);

    // Saturday 21/03/2026: the deadline falls at the end of Monday 23/03.
    const saturday = await command(dispatcher, pavement.id, 'grant_extension', { reason: 'Cần khảo sát hiện trường', newDueDay: '2026-03-21' });
    expect(saturday.statusCode).toBe(303);
    expect((await rowOf(pavement.id)).answerDueAt).toEqual(new Date('2026-03-23T17:30:00+07:00'));
    const after = await dispatcher.get(`/console/cases/${pavement.id}`);
    expect(after.body).toContain('Đã gia hạn thời hạn trả lời đến 17:30 23/03/2026.');
    expect(after.body).toContain('Hạn trả lời mới: 17:30 23/03/2026');

    const byDays = await command(dispatcher, pavement.id, 'grant_extension', { reason: 'Thêm thời gian phối hợp', extraWorkingDays: 2 });
    expect(byDays.statusCode).toBe(303);
    expect((await rowOf(pavement.id)).answerDueAt).toEqual(new Date('2026-03-25T17:30:00+07:00'));
  });

  it('keeps triage suggestions away from officials who cannot see a received case', async () => {
    const handler = await signIn('chuyenvien');
    expect((await handler.get(`/console/cases/${lamp.id}`)).statusCode).toBe(404);
  });
});

describe('triage suggestions, decided without a database', () => {
  const wardHandler = { type: 'official' as const, officialId: 5, unitId: 70, roles: ['handler' as const] };
  const candidate = (caseId: number, score: number) => ({ caseId, code: `PA-2026-00000${caseId}`, score, sameArea: true, receivedAt: new Date('2026-03-02T02:00:00Z') });
  const row = (id: number, responsibleUnitId: number | null, coUnitIds: number[] = []) => ({
    id,
    code: `PA-2026-00000${id}`,
    status: 'in_progress' as const,
    title: null,
    description: `Nội dung ${id}`,
    receivedAt: new Date('2026-03-02T02:00:00Z'),
    contactId: null,
    responsibleUnitId,
    coUnitIds,
  });

  it("lists only candidates in the official's scope, and a merge form only when they may merge", () => {
    const views = describeDuplicateCandidates({
      actor: wardHandler,
      caseView: { id: 1 },
      candidates: [candidate(2, 0.8), candidate(3, 0.7), candidate(4, 0.6), candidate(1, 0.9)],
      rows: [row(2, 70), row(3, 99), row(4, 99, [70]), row(1, 70)],
      canMerge: false,
    });
    expect(views.map((v) => v.code)).toEqual(['PA-2026-000002', 'PA-2026-000004']);
    expect(views.every((v) => v.merge === null)).toBe(true);
    expect(views[0]).toMatchObject({ similarity: '80%', place: 'cùng phường, xã', url: '/console/cases/2' });
  });

  it('drops categories that are unknown or out of use, marks the current one and offers apply only where allowed', () => {
    const input = {
      caseView: { id: 1, categoryId: 11 },
      suggestions: [
        { categoryCode: 'chieu-sang', confidence: 0.72 },
        { categoryCode: 'da-bo', confidence: 0.2 },
        { categoryCode: 'khong-co', confidence: 0.05 },
        { categoryCode: 'giao-thong', confidence: 0.03 },
      ],
      categories: [
        { id: 10, code: 'chieu-sang', name: 'Chiếu sáng công cộng', active: true },
        { id: 11, code: 'giao-thong', name: 'Giao thông, đường sá', active: true },
        { id: 12, code: 'da-bo', name: 'Đã bỏ', active: false },
      ],
    };
    const views = describeCategorySuggestions({ ...input, canRecategorise: true });
    expect(views.map((v) => [v.name, v.confidence, v.level, v.current, v.apply !== null])).toEqual([
      ['Chiếu sáng công cộng', '72%', 'cao', false, true],
      ['Giao thông, đường sá', '3%', 'thấp', true, false],
    ]);
    expect(describeCategorySuggestions({ ...input, canRecategorise: false }).every((v) => v.apply === null)).toBe(true);
  });

  it('parses co-handling units from ticked boxes and an extension date from the form', () => {
    expect(parseCommandForm('assign', { unitId: '5', coUnitIds: ['7', '8', ''] })).toEqual({ type: 'assign', unitId: 5, coUnitIds: [7, 8] });
    expect(parseCommandForm('assign', { unitId: '5', coUnitIds: '7' })).toEqual({ type: 'assign', unitId: 5, coUnitIds: [7] });
    expect(parseCommandForm('transfer', { unitId: '5', reason: 'Sai thẩm quyền' })).toEqual({ type: 'transfer', unitId: 5, reason: 'Sai thẩm quyền', coUnitIds: [] });
    expect(parseCommandForm('assign', { unitId: '5', coUnitIds: ['abc'] })).toBeNull();
    expect(parseCommandForm('grant_extension', { reason: 'Cần thêm thời gian', extraWorkingDays: '', newDueDay: '2026-04-01' })).toEqual({
      type: 'grant_extension_by_date',
      reason: 'Cần thêm thời gian',
      newDueDay: '2026-04-01',
    });
    expect(parseCommandForm('grant_extension', { reason: 'x', extraWorkingDays: '3', newDueDay: '' })).toEqual({ type: 'grant_extension', reason: 'x', extraWorkingDays: 3 });
    expect(parseCommandForm('grant_extension', { reason: 'x', newDueDay: '01/04/2026' })).toBeNull();
    expect(parseCommandForm('recategorise', { categoryId: '12' })).toEqual({ type: 'recategorise', categoryId: 12 });
  });
});
