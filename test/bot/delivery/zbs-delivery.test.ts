import { and, asc, eq, inArray } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botPart } from '../../../bot/bot.part.js';
import { buildZbsTemplateData } from '../../../bot/delivery/zbs-template-data.js';
import { nextTemplateWindowOpening } from '../../../bot/delivery/zbs-sender.js';
import { createZaloConnection } from '../../../bot/zalo-connection.js';
import { contacts, messages, officials, outbox, zaloUsers } from '../../../db/schema.js';
import { deliverOutboxRow, insertOutbox, type OutboxSender } from '../../../runtime/outbox/outbox.js';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';
import { seedContact, seedOfficial, seedUnit } from '../../helpers/seed-org.js';

/**
 * Outside Zalo's 7-day window a notification with an approved ZBS template goes as a template message by phone
 * through the Business API (ZALO.md §5.1), else by e-mail, else it is flagged. Zalo is nock: every request is
 * checked against the documented wire format.
 */

const BUSINESS = 'https://business.openapi.zalo.me';
const ACCESS_TOKEN = 'zbs-test-access-token';
const DAY_MS = 24 * 3_600_000;
const ZBS_TEMPLATE_IDS = JSON.stringify({
  'case-answered': '7895417a7d3f9461cd2e',
  'case-received': { id: '231234', params: { ma_phan_anh: 'caseCode', han_xu_ly: 'answerDueDate' } },
  'official-case-assigned': '250001',
});

const ANSWERED = {
  caseCode: 'PA-2026-000123',
  statusLabel: 'Đã trả lời',
  answerDueDate: '16/03/2026',
  answerText: 'Phường đã thu gom rác tại ngõ 5 Hàng Bạc.',
};

describe('ZBS template messages outside the Zalo window', () => {
  let t: TestApp;
  let send: OutboxSender;
  let unitId: number;
  let nextKey = 1;

  beforeAll(async () => {
    nock.disableNetConnect();
    t = await buildTestApp({
      env: {
        ZALO_APP_ID: '360846524940903967',
        ZALO_APP_SECRET: 'app-secret',
        ZALO_OA_SECRET_KEY: 'oa-secret-key',
        ZALO_OA_ID: '388613280878808645',
        TOKEN_ENCRYPTION_KEY: 'k'.repeat(32),
        ZALO_ZBS_TEMPLATE_IDS: ZBS_TEMPLATE_IDS,
      },
      parts: [],
    });
    await createZaloConnection(t.deps).tokens!.seed({ accessToken: ACCESS_TOKEN, refreshToken: 'zbs-test-refresh-token', expiresInSec: 90_000 });
    const senders = botPart.senders!(t.deps);
    // E-mail rows are only written here; the mailer has its own tests.
    send = (row) => senders[row.kind]!(row);
    unitId = await seedUnit(t.database.db, { name: 'Phường Hoàn Kiếm', code: '00070', kind: 'ward' });
  });
  afterAll(async () => {
    await t?.close();
    nock.enableNetConnect();
  });
  beforeEach(() => nock.cleanAll());
  afterEach(() => expect(nock.pendingMocks()).toEqual([]));

  async function citizen(values: { phone?: string | null; email?: string | null; lastInteractionDaysAgo?: number }): Promise<number> {
    const db = t.database.db;
    const id = await seedContact(db, { phone: values.phone ?? undefined });
    const [row] = await db.update(contacts).set({ phone: values.phone ?? null, email: values.email ?? null }).where(eq(contacts.id, id)).returning({ zaloUserId: contacts.zaloUserId });
    if (values.lastInteractionDaysAgo !== undefined) {
      await db.insert(zaloUsers).values({ zaloUserId: row!.zaloUserId!, lastInteractionAt: new Date(t.clock.now().getTime() - values.lastInteractionDaysAgo * DAY_MS) });
    }
    return id;
  }

  /** A workflow notification, routed and then sent the way the outbox job does; returns every row it led to. */
  async function notify(recipient: Record<string, unknown>, template: string, data: Record<string, unknown>) {
    const db = t.database.db;
    const key = `test:${nextKey++}`;
    await insertOutbox(db, [{ key, kind: 'notify', recipient, template, data }], t.clock.now());
    for (let round = 0; round < 3; round++) {
      const due = await db.select({ id: outbox.id }).from(outbox).where(and(eq(outbox.status, 'pending'), inArray(outbox.kind, ['notify', 'zbs']))).orderBy(asc(outbox.id));
      for (const { id } of due) await deliverOutboxRow(db, id, send, t.clock.now());
    }
    const rows = await db.select().from(outbox).orderBy(asc(outbox.id));
    return rows.filter((r) => r.key === key || r.key.startsWith(`${key}:`));
  }

  /** Expects one POST /message/template as ZALO.md §5.1 documents it, and answers it. */
  function expectTemplateCall(
    expected: { phone: string; templateId: string; templateData: Record<string, unknown> },
    answer: object = { error: 0, message: 'Success', data: { msg_id: 'zbs-msg-1', sent_time: '1772416800000' } },
    status = 200,
  ) {
    const seen: { body?: Record<string, unknown>; token?: string } = {};
    nock(BUSINESS)
      .post('/message/template', (body: Record<string, unknown>) => {
        seen.body = body;
        return true;
      })
      .reply(function reply() {
        seen.token = String(this.req.headers['access_token']);
        return [status, answer];
      });
    return () => {
      expect(seen.token).toBe(ACCESS_TOKEN);
      expect(seen.body).toEqual({ phone: expected.phone, template_id: expected.templateId, template_data: expected.templateData, tracking_id: expect.stringMatching(/^pakn-outbox-\d+$/) });
      expect(String(seen.body?.tracking_id).length).toBeLessThanOrEqual(48);
    };
  }

  it('sends the approved template by phone (84…) and logs it on the case as a ZBS message', async () => {
    const contactId = await citizen({ phone: '0912 345 678', email: 'an@example.com', lastInteractionDaysAgo: 10 });
    const check = expectTemplateCall({ phone: '84912345678', templateId: '7895417a7d3f9461cd2e', templateData: ANSWERED });
    const rows = await notify({ type: 'contact', contactId }, 'case-answered', { ...ANSWERED, mergedIntoCode: null });
    check();
    expect(rows.map((r) => [r.kind, r.status, r.channel])).toEqual([
      ['notify', 'sent', 'zbs'],
      ['zbs', 'sent', 'zbs'],
    ]);
    const [logged] = await t.database.db.select().from(messages).where(eq(messages.outboxId, rows[1]!.id));
    expect(logged).toMatchObject({ contactId, channel: 'zbs', kind: 'template', direction: 'out', zaloMsgId: 'zbs-msg-1', deliveryStatus: 'sent' });
    expect(logged?.text).toBe('Kết quả xử lý phản ánh PA-2026-000123:\nPhường đã thu gom rác tại ngõ 5 Hàng Bạc.');
    // The row names the contact, never the number.
    expect(JSON.stringify(rows[1]!.recipient)).not.toContain('912345678');
  });

  it('maps the notification fields to the template’s own parameter names when configured', async () => {
    const contactId = await citizen({ phone: '+84 987 654 321', lastInteractionDaysAgo: 8 });
    const check = expectTemplateCall({ phone: '84987654321', templateId: '231234', templateData: { ma_phan_anh: 'PA-2026-000124', han_xu_ly: '20/03/2026' } });
    const rows = await notify({ type: 'contact', contactId }, 'case-received', { caseCode: 'PA-2026-000124', answerDueDate: '20/03/2026', statusLabel: 'Đã tiếp nhận' });
    check();
    expect(rows.at(-1)).toMatchObject({ kind: 'zbs', status: 'sent' });
  });

  it('inside the window it is still a free consultation message, not a template', async () => {
    const contactId = await citizen({ phone: '0912345670', lastInteractionDaysAgo: 1 });
    const rows = await notify({ type: 'contact', contactId }, 'case-answered', ANSWERED);
    expect(rows.map((r) => r.kind)).toEqual(['notify', 'zalo']);
  });

  it('without a template for the notification, or without a mobile number, e-mail; without either, a flag', async () => {
    const noTemplate = await citizen({ phone: '0912345671', email: 'binh@example.com', lastInteractionDaysAgo: 9 });
    const assigned = await notify({ type: 'contact', contactId: noTemplate }, 'case-assigned', { caseCode: 'PA-2026-000125', unitName: 'Phường Hoàn Kiếm', answerDueDate: '16/03/2026' });
    expect(assigned.map((r) => [r.kind, r.channel])).toEqual([
      ['notify', 'email'],
      ['email', null],
    ]);

    const landline = await citizen({ phone: '024 3825 3536', email: 'chi@example.com', lastInteractionDaysAgo: 9 });
    expect((await notify({ type: 'contact', contactId: landline }, 'case-answered', ANSWERED)).map((r) => r.kind)).toEqual(['notify', 'email']);

    const nothing = await citizen({ phone: '024 3825 3537', lastInteractionDaysAgo: 9 });
    const flagged = await notify({ type: 'contact', contactId: nothing }, 'case-answered', ANSWERED);
    expect(flagged.map((r) => [r.kind, r.status])).toEqual([['notify', 'flagged']]);
  });

  it('when Zalo says the person cannot get it, the e-mail goes instead, or a person is asked to act', async () => {
    const withEmail = await citizen({ phone: '0912345672', email: 'dung@example.com', lastInteractionDaysAgo: 30 });
    expectTemplateCall({ phone: '84912345672', templateId: '7895417a7d3f9461cd2e', templateData: ANSWERED }, { error: -114, message: 'User is not eligible to receive' });
    const fellBack = await notify({ type: 'contact', contactId: withEmail }, 'case-answered', ANSWERED);
    expect(fellBack.map((r) => [r.kind, r.status, r.channel])).toEqual([
      ['notify', 'sent', 'zbs'],
      ['zbs', 'sent', 'email'],
      ['email', 'pending', null],
    ]);
    expect(fellBack[2]).toMatchObject({ template: 'citizen-notification', recipient: { email: 'dung@example.com' } });

    const withoutEmail = await citizen({ phone: '0912345673', lastInteractionDaysAgo: 30 });
    expectTemplateCall({ phone: '84912345673', templateId: '7895417a7d3f9461cd2e', templateData: ANSWERED }, { error: -131, message: 'Template is not approved' });
    const flagged = await notify({ type: 'contact', contactId: withoutEmail }, 'case-answered', ANSWERED);
    expect(flagged.at(-1)).toMatchObject({ kind: 'zbs', status: 'flagged' });
    expect(flagged.at(-1)?.lastError).toContain('-131');
  });

  it('a server error is retried later, not given up', async () => {
    const contactId = await citizen({ phone: '0912345674', lastInteractionDaysAgo: 30 });
    expectTemplateCall({ phone: '84912345674', templateId: '7895417a7d3f9461cd2e', templateData: ANSWERED }, { error: -1, message: 'Internal error' }, 503);
    const rows = await notify({ type: 'contact', contactId }, 'case-answered', ANSWERED);
    const zbs = rows.at(-1)!;
    expect(zbs).toMatchObject({ kind: 'zbs', status: 'pending', attempts: 1 });
    expect(zbs.availableAt.getTime() - t.clock.now().getTime()).toBeGreaterThanOrEqual(60_000);
  });

  it('refused at night (-133): waits for 06:00 in Hà Nội without spending an attempt, then goes out', async () => {
    const contactId = await citizen({ phone: '0912345675', email: 'dem@example.com', lastInteractionDaysAgo: 30 });
    expectTemplateCall({ phone: '84912345675', templateId: '7895417a7d3f9461cd2e', templateData: ANSWERED }, { error: -133, message: 'Can not send ZNS at night' });
    const rows = await notify({ type: 'contact', contactId }, 'case-answered', ANSWERED);
    const zbs = rows.at(-1)!;
    // Not given to e-mail: the same template goes out in the morning.
    expect(rows.map((r) => r.kind)).toEqual(['notify', 'zbs']);
    expect(zbs).toMatchObject({ status: 'pending', attempts: 0 });
    expect(zbs.availableAt).toEqual(nextTemplateWindowOpening(t.clock.now()));
    expect(zbs.lastError).toContain('-133');
  });

  it('reaches an official outside the window by template when configured, before e-mail', async () => {
    const db = t.database.db;
    const official = await seedOfficial(db, { unitId, roles: ['handler'], name: 'Phạm Thị Xử Lý' });
    await db.update(officials).set({ phone: '0987000111', email: 'xuly@hoankiem.test', zaloUserId: 'zalo-official-1' }).where(eq(officials.id, official.id));
    await db.insert(zaloUsers).values({ zaloUserId: 'zalo-official-1', lastInteractionAt: new Date(t.clock.now().getTime() - 20 * DAY_MS) });
    const data = { caseCode: 'PA-2026-000126', unitName: 'Phường Hoàn Kiếm', excerpt: 'Rác tồn đọng', acceptDueDate: '03/03/2026', answerDueDate: '16/03/2026', seq: 5, caseId: 9 };
    const check = expectTemplateCall({
      phone: '84987000111',
      templateId: '250001',
      templateData: { caseCode: 'PA-2026-000126', unitName: 'Phường Hoàn Kiếm', excerpt: 'Rác tồn đọng', acceptDueDate: '03/03/2026', answerDueDate: '16/03/2026', recipientName: 'Phạm Thị Xử Lý', caseUrl: 'http://pakn.test' },
    });
    const rows = await notify({ type: 'official', officialId: official.id }, 'official-case-assigned', data);
    check();
    expect(rows.map((r) => [r.kind, r.status])).toEqual([
      ['notify', 'sent'],
      ['zbs', 'sent'],
    ]);
  });
});

describe('the template night window', () => {
  it('opens at the next 06:00 in Hà Nội', () => {
    expect(nextTemplateWindowOpening(new Date('2026-03-02T23:30:00+07:00')).toISOString()).toBe(new Date('2026-03-03T06:00:00+07:00').toISOString());
    expect(nextTemplateWindowOpening(new Date('2026-03-03T02:00:00+07:00')).toISOString()).toBe(new Date('2026-03-03T06:00:00+07:00').toISOString());
    expect(nextTemplateWindowOpening(new Date('2026-03-03T06:00:00+07:00')).toISOString()).toBe(new Date('2026-03-04T06:00:00+07:00').toISOString());
    expect(nextTemplateWindowOpening(new Date('2026-12-31T22:00:00+07:00')).toISOString()).toBe(new Date('2027-01-01T06:00:00+07:00').toISOString());
  });
});

describe('ZBS template parameters', () => {
  it('sends text and number fields under their own names, leaving out empty and internal ones', () => {
    expect(buildZbsTemplateData({ caseCode: 'PA-2026-000001', extraWorkingDays: 5, reason: '', mergedIntoCode: null, seq: 3, caseId: 7, transferred: true, list: [1] })).toEqual({
      caseCode: 'PA-2026-000001',
      extraWorkingDays: 5,
    });
  });

  it('with a mapping, only the mapped parameters', () => {
    expect(buildZbsTemplateData({ caseCode: 'PA-2026-000001', answerDueDate: '16/03/2026', statusLabel: 'x' }, { ma_phan_anh: 'caseCode', han: 'answerDueDate', thieu: 'khongCo' })).toEqual({
      ma_phan_anh: 'PA-2026-000001',
      han: '16/03/2026',
    });
  });
});
