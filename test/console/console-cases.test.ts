import { randomUUID } from 'node:crypto';
import { and, eq, ne } from 'drizzle-orm';
import { contacts } from '../../db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsolePart } from '../../console/console.routes.js';
import { createCaseServiceDeps } from '../../console/case-service-deps.js';
import { attachments, cases, categories, messages, officials, outbox, units } from '../../db/schema.js';
import { seedAll } from '../../runtime/seed.js';
import { createCase, type CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { seedContact } from '../helpers/seed-org.js';
import { ConsoleClient, readCsrfToken, readVersion } from './console-client.js';

const SESSION_SECRET = 'console-test-session-secret-0123456789abcdef';
const HOSTILE = 'Rác tràn ra đường <script>alert(1)</script> và {{7*7}} ở ngõ 5';

describe.each(DRIVERS)('console cases on %s', (driver) => {
  let database: TestDatabase;
  let t: TestApp;
  let caseDeps: CaseServiceDeps;
  let wardId: number;
  let otherWardId: number;
  let wasteCategory: number;
  let otherCategory: number;
  let contactId: number;
  /** Hoàn Kiếm, routed to the ward: in scope for chuyenvien and lanhdao. */
  let wardCase: { id: number; code: string };
  /** Another ward: out of scope for them. */
  let otherWardCase: { id: number; code: string };
  /** No routing: waits in the dispatcher's triage queue. */
  let triageCase: { id: number; code: string };

  const idOf = async <T extends { id: number }>(rows: Promise<T[]>) => {
    const [row] = await rows;
    if (!row) throw new Error('reference row missing');
    return row.id;
  };

  async function officialId(login: string): Promise<number> {
    return idOf(database.db.select({ id: officials.id }).from(officials).where(eq(officials.login, login)));
  }

  async function statusOf(caseId: number) {
    const [row] = await database.db.select({ status: cases.status, version: cases.version }).from(cases).where(eq(cases.id, caseId));
    return row;
  }

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    await seedAll(database.db, { demo: true });
    t = await buildTestApp({ parts: [createConsolePart({ loginRateLimit: { max: 10_000, timeWindowMs: 60_000 } })], database, env: { SESSION_SECRET } });
    caseDeps = createCaseServiceDeps(t.deps);

    wardId = await idOf(database.db.select({ id: units.id }).from(units).where(eq(units.code, '00070')));
    otherWardId = await idOf(
      database.db.select({ id: units.id }).from(units).where(and(eq(units.kind, 'ward'), ne(units.code, '00070'))).limit(1),
    );
    wasteCategory = await idOf(database.db.select({ id: categories.id }).from(categories).where(eq(categories.code, 've-sinh-moi-truong')));
    otherCategory = await idOf(database.db.select({ id: categories.id }).from(categories).where(eq(categories.code, 'khac')));
    contactId = await seedContact(database.db, { fullName: 'Nguyễn Văn Dân', phone: '0912345678' });

    const base = { channel: 'zalo' as const, contact: { id: contactId }, contactKind: 'citizen' as const };
    const ward = await createCase(caseDeps, {
      ...base,
      categoryId: wasteCategory,
      areaUnitId: wardId,
      description: HOSTILE,
      address: 'Ngõ 5 Hàng Bạc',
      latitude: 21.034,
      longitude: 105.852,
    });
    wardCase = { id: ward.case.id, code: ward.case.code };
    const other = await createCase(caseDeps, { ...base, categoryId: wasteCategory, areaUnitId: otherWardId, description: 'Rác ở phường khác' });
    otherWardCase = { id: other.case.id, code: other.case.code };
    const triage = await createCase(caseDeps, { ...base, categoryId: otherCategory, description: 'Đề nghị sửa vỉa hè đường Láng' });
    triageCase = { id: triage.case.id, code: triage.case.code };
  });
  afterAll(async () => {
    await t?.close();
    await database?.destroy();
  });

  it('routes the fixture cases as expected', async () => {
    expect((await statusOf(wardCase.id))?.status).toBe('assigned');
    expect((await statusOf(otherWardCase.id))?.status).toBe('assigned');
    expect((await statusOf(triageCase.id))?.status).toBe('received');
  });

  it("shows an official only the cases of their scope", async () => {
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const all = await handler.get('/console/inbox?view=all');
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain(wardCase.code);
    expect(all.body).not.toContain(otherWardCase.code);
    expect(all.body).not.toContain(triageCase.code);
    const unit = await handler.get('/console/inbox?view=unit');
    expect(unit.body).toContain(wardCase.code);
    expect(unit.body).not.toContain(otherWardCase.code);

    const dispatcher = new ConsoleClient(t.app);
    await dispatcher.login('dieuphoi');
    const triage = await dispatcher.get('/console/inbox');
    expect(triage.body).toContain('Chờ phân loại');
    expect(triage.body).toContain(triageCase.code);
    expect(triage.body).not.toContain(wardCase.code);
    const everything = await dispatcher.get('/console/inbox?view=all');
    for (const c of [wardCase, otherWardCase, triageCase]) expect(everything.body).toContain(c.code);
  });

  it('renders each inbox row with category, ward, received date, status label and SLA badge', async () => {
    const leader = new ConsoleClient(t.app);
    await leader.login('lanhdao');
    const res = await leader.get('/console/inbox?view=unit');
    expect(res.body).toContain(`href="/console/cases/${wardCase.id}"`);
    expect(res.body).toContain('Rác thải, vệ sinh môi trường');
    expect(res.body).toContain('Phường Hoàn Kiếm');
    expect(res.body).toContain('09:00 02/03/2026');
    expect(res.body).toContain('Đã chuyển xử lý');
    expect(res.body).toMatch(/class="sla sla--(ok|due_soon)">còn \d+ ngày làm việc|hạn hôm nay/);
  });

  it('filters by status, category, ward, sender kind, dates and accent-insensitive search', async () => {
    const dispatcher = new ConsoleClient(t.app);
    await dispatcher.login('dieuphoi');
    const byStatus = await dispatcher.get('/console/inbox?view=all&status=received');
    expect(byStatus.body).toContain(triageCase.code);
    expect(byStatus.body).not.toContain(wardCase.code);
    const byWard = await dispatcher.get(`/console/inbox?view=all&areaUnitId=${otherWardId}`);
    expect(byWard.body).toContain(otherWardCase.code);
    expect(byWard.body).not.toContain(wardCase.code);
    const byCategory = await dispatcher.get(`/console/inbox?view=all&categoryId=${otherCategory}`);
    expect(byCategory.body).toContain(triageCase.code);
    expect(byCategory.body).not.toContain(otherWardCase.code);
    const business = await dispatcher.get('/console/inbox?view=all&contactKind=business');
    expect(business.body).toContain('Không có hồ sơ nào phù hợp.');
    const dates = await dispatcher.get('/console/inbox?view=all&from=2026-03-02&to=2026-03-02');
    expect(dates.body).toContain(triageCase.code);
    const before = await dispatcher.get('/console/inbox?view=all&to=2026-03-01');
    expect(before.body).not.toContain(triageCase.code);
    const search = await dispatcher.get('/console/inbox?view=all&q=duong+lang');
    expect(search.body).toContain(triageCase.code);
    expect(search.body).not.toContain(wardCase.code);
    expect(search.body).toContain('value="duong lang"');
    const junk = await dispatcher.get('/console/inbox?view=all&status=khong-co&from=hom-qua');
    expect(junk.statusCode).toBe(400);
    expect(junk.body).toContain('Điều kiện lọc không hợp lệ');
  });

  it('renders a citizen description as text, never as markup or a template, on the inbox and the case page', async () => {
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    for (const url of ['/console/inbox?view=all', `/console/cases/${wardCase.id}`]) {
      const res = await handler.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain('<script>alert(1)</script>');
      expect(res.body, url).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(res.body, url).toContain('{{7*7}}');
      expect(res.body, url).not.toContain('và 49 ở');
    }
  });

  it('shows the case page: details, place with coordinates and map link, contact for the unit, timeline', async () => {
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const res = await handler.get(`/console/cases/${wardCase.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`Hồ sơ ${wardCase.code}`);
    expect(res.body).toContain('Ngõ 5 Hàng Bạc');
    expect(res.body).toContain('21.034000, 105.852000');
    expect(res.body).toContain('https://www.openstreetmap.org/?mlat=21.034000&amp;mlon=105.852000');
    expect(res.body).toContain('Nguyễn Văn Dân');
    expect(res.body).toContain('0912345678');
    expect(res.body).toContain('Tiếp nhận phản ánh, kiến nghị');
    expect(res.body).toContain('Chuyển đơn vị xử lý');
    expect(res.body).toContain('Đơn vị chủ trì: Phường Hoàn Kiếm');
    // The forms this handler may use now, from the workflows' permission rules.
    expect(res.body).toContain(`action="/console/cases/${wardCase.id}/commands/accept"`);
    expect(res.body).toContain(`action="/console/cases/${wardCase.id}/commands/add_note"`);
    expect(res.body).not.toContain('/commands/refuse"');
    expect(res.body).not.toContain('/commands/return"');

    const dispatcher = new ConsoleClient(t.app);
    await dispatcher.login('dieuphoi');
    const seenByDispatcher = await dispatcher.get(`/console/cases/${wardCase.id}`);
    expect(seenByDispatcher.statusCode).toBe(200);
    expect(seenByDispatcher.body).not.toContain('0912345678');
    expect(seenByDispatcher.body).toContain('chỉ hiển thị cho cán bộ của đơn vị chủ trì');
    expect(seenByDispatcher.body).toContain('/commands/transfer"');
  });

  it('answers 404 for a case outside the official scope, exactly like a missing one', async () => {
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const outside = await handler.get(`/console/cases/${otherWardCase.id}`);
    expect(outside.statusCode).toBe(404);
    expect(outside.body).toContain('Không tìm thấy hồ sơ.');
    expect((await handler.get('/console/cases/999999')).statusCode).toBe(404);
    expect((await handler.get('/console/cases/abc')).statusCode).toBe(404);
  });

  it('runs a command posted through the form and refuses a stale version with 409', async () => {
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const page = await handler.get(`/console/cases/${wardCase.id}`);
    const csrf = readCsrfToken(page.body);
    const version = readVersion(page.body);

    const accepted = await handler.post(`/console/cases/${wardCase.id}/commands/accept`, {
      _csrf: csrf,
      version,
      handlerId: await officialId('chuyenvien'),
    });
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe(`/console/cases/${wardCase.id}`);
    expect(await statusOf(wardCase.id)).toEqual({ status: 'in_progress', version: version + 1 });
    const after = await handler.get(`/console/cases/${wardCase.id}`);
    expect(after.body).toContain('Đơn vị đã tiếp nhận hồ sơ và giao cán bộ xử lý.');
    expect(after.body).toContain('Cán bộ xử lý: Trần Văn Chuyên');
    // The flash is shown once.
    expect((await handler.get(`/console/cases/${wardCase.id}`)).body).not.toContain('Đơn vị đã tiếp nhận hồ sơ và giao cán bộ xử lý.');

    const stale = await handler.post(`/console/cases/${wardCase.id}/commands/add_note`, { _csrf: csrf, version, text: 'Ghi chú muộn' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Hồ sơ đã được người khác cập nhật');
    expect((await statusOf(wardCase.id))?.version).toBe(version + 1);

    const note = await handler.post(`/console/cases/${wardCase.id}/commands/add_note`, { _csrf: csrf, version: version + 1, text: 'Đã liên hệ tổ dân phố' });
    expect(note.statusCode).toBe(303);
    expect((await handler.get(`/console/cases/${wardCase.id}`)).body).toContain('Ghi chú: Đã liên hệ tổ dân phố');
  });

  it("re-renders the page with the workflows' Vietnamese message when a command is refused", async () => {
    const dispatcher = new ConsoleClient(t.app);
    await dispatcher.login('dieuphoi');
    const page = await dispatcher.get(`/console/cases/${triageCase.id}`);
    expect(page.body).toContain('Không thuộc phạm vi tiếp nhận');
    const csrf = readCsrfToken(page.body);
    const version = readVersion(page.body);

    const badReason = await dispatcher.post(`/console/cases/${triageCase.id}/commands/refuse`, { _csrf: csrf, version, reason: 'ly-do-tu-che' });
    expect(badReason.statusCode).toBe(422);
    expect(badReason.body).toContain('Lý do từ chối phải chọn trong danh sách quy định.');
    const malformed = await dispatcher.post(`/console/cases/${triageCase.id}/commands/assign`, { _csrf: csrf, version, unitId: 'abc' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).toContain('Dữ liệu gửi lên không hợp lệ.');
    const unknownType = await dispatcher.post(`/console/cases/${triageCase.id}/commands/auto_close`, { _csrf: csrf, version });
    expect(unknownType.statusCode).toBe(404);

    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const handlerPage = await handler.get(`/console/cases/${wardCase.id}`);
    const forbidden = await handler.post(`/console/cases/${wardCase.id}/commands/refuse`, {
      _csrf: readCsrfToken(handlerPage.body),
      version: readVersion(handlerPage.body),
      reason: 'trung_lap',
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.body).toContain('Bạn không có quyền thực hiện thao tác này với hồ sơ.');
    const outOfScope = await handler.post(`/console/cases/${otherWardCase.id}/commands/add_note`, {
      _csrf: readCsrfToken(handlerPage.body),
      version: 1,
      text: 'x',
    });
    expect(outOfScope.statusCode).toBe(404);
  });

  it('offers the answer templates and prefills the draft from the chosen one', async () => {
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const page = await handler.get(`/console/cases/${wardCase.id}`);
    expect(page.body).toContain('name="template"');
    expect(page.body).toContain('Kính gửi Ông/Bà');
    expect(page.body).toContain(wardCase.code);
    const chosen = await handler.get(`/console/cases/${wardCase.id}?template=khong-du-can-cu`);
    expect(chosen.body).toContain('<option value="khong-du-can-cu" selected>');
    expect(chosen.body).toContain('name="templateName" value="khong-du-can-cu"');
    const traversal = await handler.get(`/console/cases/${wardCase.id}?template=..%2F..%2Fpackage`);
    expect(traversal.statusCode).toBe(200);
  });

  it('queues a free-text Zalo reply in the outbox with a pending message, once per form', async () => {
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const page = await handler.get(`/console/cases/${wardCase.id}`);
    expect(page.body).toContain('Nhắn tin cho người gửi qua Zalo');
    const replyId = /name="replyId" value="([0-9a-f-]{36})"/.exec(page.body)?.[1];
    expect(replyId).toBeTruthy();
    const form = { _csrf: readCsrfToken(page.body), replyId, text: 'Chào anh, phường đã cử người <b>kiểm tra</b>.' };

    const sent = await handler.post(`/console/cases/${wardCase.id}/reply`, form);
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe(`/console/cases/${wardCase.id}#dong-thoi-gian`);
    const timeline = await handler.get(`/console/cases/${wardCase.id}`);
    expect(timeline.body).toContain('Đã đưa tin nhắn vào hàng đợi gửi qua Zalo.');
    expect(timeline.body).toContain('Chào anh, phường đã cử người &lt;b&gt;kiểm tra&lt;/b&gt;.');
    expect(timeline.body).toContain('Trạng thái gửi: Đang chờ gửi');

    // The same form sent again (double click, resend after a timeout) is the same message.
    const again = await handler.post(`/console/cases/${wardCase.id}/reply`, form);
    expect(again.statusCode).toBe(303);
    expect((await handler.get(`/console/cases/${wardCase.id}`)).body).toContain('Tin nhắn này đã được gửi trước đó.');

    const rows = await database.db.select().from(outbox).where(eq(outbox.key, `console-reply:${wardCase.id}:${replyId}`));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const [contact] = await database.db.select({ zaloUserId: contacts.zaloUserId }).from(contacts).where(eq(contacts.id, contactId));
    expect(row).toMatchObject({
      kind: 'zalo',
      caseId: wardCase.id,
      status: 'pending',
      recipient: { contactId, userId: contact?.zaloUserId },
      data: { messages: [{ type: 'text', text: form.text }] },
    });
    const sentMessages = await database.db.select().from(messages).where(eq(messages.outboxId, row.id));
    expect(sentMessages).toHaveLength(1);
    expect(sentMessages[0]).toMatchObject({ direction: 'out', deliveryStatus: 'pending', caseId: wardCase.id, officialId: await officialId('chuyenvien') });

    await database.db.update(outbox).set({ status: 'failed', lastError: 'user not reachable' }).where(eq(outbox.id, row.id));
    expect((await handler.get(`/console/cases/${wardCase.id}`)).body).toContain('Trạng thái gửi: Gửi không thành công');
    await database.db.update(messages).set({ deliveryStatus: 'delivered' }).where(eq(messages.outboxId, row.id));
    expect((await handler.get(`/console/cases/${wardCase.id}`)).body).toContain('Trạng thái gửi: Đã đến máy người nhận');

    const empty = await handler.post(`/console/cases/${wardCase.id}/reply`, { ...form, replyId: randomUUID(), text: '   ' });
    expect(empty.statusCode).toBe(400);
  });

  it('merges citizen messages and photos into the timeline, escaped, with links to the attachments', async () => {
    const [inbound] = await database.db
      .insert(messages)
      .values({
        caseId: wardCase.id,
        contactId,
        direction: 'in',
        channel: 'zalo',
        kind: 'image',
        text: 'Ảnh hiện trường <img src=x onerror=alert(1)>',
        deliveryStatus: 'received',
        at: new Date('2026-03-02T02:05:00Z'),
      })
      .returning({ id: messages.id });
    const [photo] = await database.db
      .insert(attachments)
      .values({ caseId: wardCase.id, messageId: inbound!.id, kind: 'image', sourceUrl: 'https://photo.example/anh.jpg', status: 'pending' })
      .returning({ id: attachments.id });

    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const page = await handler.get(`/console/cases/${wardCase.id}`);
    expect(page.body).toContain('Ảnh hiện trường &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(page.body).toContain(`href="/console/cases/${wardCase.id}/attachments/${photo!.id}"`);
    // received and accepted at 09:00 (fake clock), the photo at 09:05: one timeline, ordered by time
    const order = ['Tiếp nhận phản ánh, kiến nghị', 'Đơn vị tiếp nhận xử lý', 'Ảnh hiện trường'].map((s) => page.body.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const file = await handler.get(`/console/cases/${wardCase.id}/attachments/${photo!.id}`);
    expect(file.statusCode).toBe(302);
    expect(file.headers.location).toBe('https://photo.example/anh.jpg');

    const anonymous = await t.app.inject({ method: 'GET', url: `/console/cases/${wardCase.id}/attachments/${photo!.id}` });
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toBe('/console/login');
  });

  it('takes a case from draft to published through the forms: send back, approve, publish', async () => {
    const leader = new ConsoleClient(t.app);
    await leader.login('lanhdao');
    const casePage = () => leader.get(`/console/cases/${wardCase.id}`);
    const post = async (type: string, form: Record<string, string>) => {
      const page = await casePage();
      return leader.post(`/console/cases/${wardCase.id}/commands/${type}`, { _csrf: readCsrfToken(page.body), version: readVersion(page.body), ...form });
    };

    expect((await post('draft_answer', { text: '   ' })).statusCode).toBe(422);
    const drafted = await post('draft_answer', { text: 'Phường đã thu gom rác ngày 03/3/2026.', templateName: 'da-khac-phuc' });
    expect(drafted.statusCode).toBe(303);
    expect((await statusOf(wardCase.id))?.status).toBe('pending_approval');
    const pending = await casePage();
    expect(pending.body).toContain('Đã lưu dự thảo trả lời.');
    expect(pending.body).toContain('/commands/approve"');
    expect(pending.body).toContain('/commands/send_back"');

    expect((await post('send_back', { comment: 'Bổ sung thời gian thu gom' })).statusCode).toBe(303);
    expect((await statusOf(wardCase.id))?.status).toBe('in_progress');
    const back = await casePage();
    expect(back.body).toContain('Ý kiến: Bổ sung thời gian thu gom');
    // The sent-back draft, not a fresh template, is what the handler continues from.
    expect(back.body).toContain('Phường đã thu gom rác ngày 03/3/2026.</textarea>');

    await post('draft_answer', { text: 'Phường đã thu gom rác lúc 7 giờ ngày 03/3/2026.' });
    const approved = await post('approve', { text: 'Phường đã thu gom rác lúc 7 giờ sáng ngày 03/3/2026.' });
    expect(approved.statusCode).toBe(303);
    const [row] = await database.db.select({ status: cases.status, answerText: cases.answerText }).from(cases).where(eq(cases.id, wardCase.id));
    expect(row).toEqual({ status: 'answered', answerText: 'Phường đã thu gom rác lúc 7 giờ sáng ngày 03/3/2026.' });
    const answered = await casePage();
    expect(answered.body).toContain('Đã duyệt và gửi trả lời cho người gửi.');
    expect(answered.body).toContain('Nội dung đã trả lời');
    const answerIntents = await database.db.select().from(outbox).where(and(eq(outbox.caseId, wardCase.id), eq(outbox.template, 'case-answered')));
    expect(answerIntents).toHaveLength(1);

    const dispatcher = new ConsoleClient(t.app);
    await dispatcher.login('dieuphoi');
    const page = await dispatcher.get(`/console/cases/${wardCase.id}`);
    const published = await dispatcher.post(`/console/cases/${wardCase.id}/commands/publish`, {
      _csrf: readCsrfToken(page.body),
      version: readVersion(page.body),
      title: 'Rác tồn đọng ở ngõ 5 Hàng Bạc',
    });
    expect(published.statusCode).toBe(303);
    expect((await dispatcher.get(`/console/cases/${wardCase.id}`)).body).toContain('Ngày công khai');
  });

  it('renders Vietnamese 404 pages for unknown console paths and keeps them behind the login', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/console/khong-co' })).headers.location).toBe('/console/login');
    const handler = new ConsoleClient(t.app);
    await handler.login('chuyenvien');
    const res = await handler.get('/console/khong-co');
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Không tìm thấy trang hoặc dữ liệu yêu cầu.');
    expect(res.headers['content-type']).toContain('text/html');
  });

  it('pages through the inbox with a "Trang sau" link carrying after=', async () => {
    for (let i = 0; i < 26; i++) {
      await createCase(caseDeps, {
        channel: 'console',
        contact: null,
        contactKind: 'citizen',
        categoryId: otherCategory,
        description: `Hồ sơ phân trang số ${i}`,
      });
    }
    const dispatcher = new ConsoleClient(t.app);
    await dispatcher.login('dieuphoi');
    const first = await dispatcher.get('/console/inbox?view=triage&q=phan+trang');
    const next = /href="(\/console\/inbox\?[^"]*after=\d+[^"]*)" rel="next">Trang sau</.exec(first.body)?.[1];
    expect(next).toBeTruthy();
    const second = await dispatcher.get(next!.replace(/&amp;/g, '&'));
    expect(second.statusCode).toBe(200);
    const codesOf = (html: string) => [...html.matchAll(/class="case-code">([^<]+)</g)].map((m) => m[1]);
    const firstCodes = codesOf(first.body);
    const secondCodes = codesOf(second.body);
    expect(firstCodes).toHaveLength(25);
    expect(secondCodes).toHaveLength(1);
    expect(firstCodes).not.toContain(secondCodes[0]);
    expect(second.body).not.toContain('rel="next"');
    expect(second.body).toContain('Về trang đầu');
  });
});
