import { and, asc, eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botPart } from '../../bot/bot.part.js';
import { officials, outbox, templateOverrides, zaloUsers } from '../../db/schema.js';
import { mailPart } from '../../runtime/mail/mail.part.js';
import { deliverOutboxRow, type OutboxSender } from '../../runtime/outbox/outbox.js';
import { listTemplateOverrides } from '../../runtime/template-overrides.repo.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World } from './console-world.js';

/**
 * An admin edits a text in the console (Quản trị → Mẫu tin nhắn) and the very next message uses it: the Zalo
 * message to the citizen and the e-mail to the official, rendered by the product's own senders (the notification
 * router of the bot and the mailer), not by the admin page.
 */
describe('edited templates reach the messages that are sent', () => {
  let database: TestDatabase;
  let world: World;
  let admin: ConsoleClient;
  let send: OutboxSender;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    world = await buildWorld(database);
    admin = new ConsoleClient(world.t.app);
    await admin.login(world.official('admin', 'a').login, WORLD_PASSWORD);
    // The citizen wrote to the OA a minute ago (inside the Zalo window); the handler of unit b reads e-mail.
    await database.db.insert(zaloUsers).values({ zaloUserId: 'zalo-world-citizen', lastInteractionAt: world.t.clock.now() });
    await database.db.update(officials).set({ email: 'xuly@syt.test' }).where(eq(officials.id, world.official('handler', 'b').id));
    const senders = { ...botPart.senders!(world.t.deps), ...mailPart.senders!(world.t.deps) };
    send = (row) => senders[row.kind]!(row);
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  /** A new case for unit b, its notifications routed (and e-mails rendered) the way the delivery job does. */
  async function newCaseMessages(description: string) {
    const created = await world.createCaseFor('b', { description });
    const now = world.t.clock.now();
    for (let round = 0; round < 4; round++) {
      const due = await database.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.caseId, created.id), eq(outbox.status, 'pending'), inArray(outbox.kind, ['notify', 'email'])))
        .orderBy(asc(outbox.id));
      for (const { id } of due) await deliverOutboxRow(database.db, id, send, now);
    }
    const rows = await database.db.select().from(outbox).where(and(eq(outbox.caseId, created.id), like(outbox.key, '%:email'))).orderBy(asc(outbox.id));
    const zalo = await database.db.select().from(outbox).where(and(eq(outbox.caseId, created.id), eq(outbox.kind, 'zalo'))).orderBy(asc(outbox.id));
    const zaloTexts = zalo.flatMap((r) => (r.data.messages as Array<{ text: string }>).map((m) => m.text));
    const mail = rows.find((r) => (r.recipient as { email?: string }).email === 'xuly@syt.test');
    return { code: created.code, zaloTexts, mail: mail?.result as { subject: string; text: string } | undefined };
  }

  const save = (name: string, body: string) => admin.submit(`/console/admin/templates/edit?name=${name}`, '/console/admin/templates/save', { name, body });
  const reset = (name: string) => admin.submit(`/console/admin/templates/edit?name=${name}`, '/console/admin/templates/reset', { name });

  it('uses the built-in texts before any edit', async () => {
    const { code, zaloTexts, mail } = await newCaseMessages('Quán ăn vỉa hè không bảo đảm vệ sinh');
    expect(zaloTexts).toContain(`Phản ánh của anh/chị đã được tiếp nhận.\nMã phản ánh: ${code}\nHạn trả lời dự kiến: 16/03/2026\nGõ "tra cứu ${code}" để theo dõi tình trạng xử lý.`);
    expect(mail?.subject).toBe(`[PAKN] Phản ánh ${code} được giao cho Sở Y tế`);
  });

  it('an edit saved in the console is the next Zalo message and the next e-mail', async () => {
    expect((await save('zalo/case-received', 'UBND TP đã nhận phản ánh {{caseCode}}. Hạn trả lời: {{answerDueDate}}.')).statusCode).toBe(303);
    expect((await save('email/official-case-assigned', 'Subject: [PAKN] Việc mới {{caseCode}} cho {{unitName}}\nKính gửi {{recipientName}},\n{{excerpt}}')).statusCode).toBe(303);

    const { code, zaloTexts, mail } = await newCaseMessages('Cơ sở giết mổ gia cầm trong khu dân cư');
    expect(zaloTexts).toContain(`UBND TP đã nhận phản ánh ${code}. Hạn trả lời: 16/03/2026.`);
    expect(zaloTexts.join('\n')).not.toContain('Phản ánh của anh/chị đã được tiếp nhận.');
    expect(mail).toEqual({ subject: `[PAKN] Việc mới ${code} cho Sở Y tế`, text: 'Kính gửi Cán bộ handler-b,\nCơ sở giết mổ gia cầm trong khu dân cư' });
  });

  it('refuses a text that would not render, with a Vietnamese message, and keeps the one in use', async () => {
    const unknownHelper = await save('zalo/case-received', 'Hạn: {{formatDate answerDueDate}}');
    expect(unknownHelper.statusCode).toBe(400);
    expect(unknownHelper.body).toContain('Mẫu dùng hàm &quot;formatDate&quot; không có trong hệ thống.');
    const noSubject = await save('email/official-case-assigned', 'Kính gửi {{recipientName}}');
    expect(noSubject.statusCode).toBe(400);
    expect(noSubject.body).toContain('Mẫu thư điện tử phải bắt đầu bằng dòng &quot;Subject: …&quot; (tiêu đề thư).');
    const runtime = await save('zalo/case-received', '{{#each}}{{/each}}');
    expect(runtime.statusCode).toBe(400);
    expect(runtime.body).toContain('Mẫu có lỗi cú pháp Handlebars');
    expect((await listTemplateOverrides(database.db))['zalo/case-received']).toBe('UBND TP đã nhận phản ánh {{caseCode}}. Hạn trả lời: {{answerDueDate}}.');
  });

  it('after a reset the built-in texts are back', async () => {
    expect((await reset('zalo/case-received')).statusCode).toBe(303);
    expect((await reset('email/official-case-assigned')).statusCode).toBe(303);
    const { code, zaloTexts, mail } = await newCaseMessages('Nhà hàng xả nước thải ra cống chung');
    expect(zaloTexts).toContain(`Phản ánh của anh/chị đã được tiếp nhận.\nMã phản ánh: ${code}\nHạn trả lời dự kiến: 16/03/2026\nGõ "tra cứu ${code}" để theo dõi tình trạng xử lý.`);
    expect(mail?.subject).toBe(`[PAKN] Phản ánh ${code} được giao cho Sở Y tế`);
  });

  it('a broken text written to the database behind the console’s back never stops a message', async () => {
    await database.db.insert(templateOverrides).values({ name: 'zalo/case-received', body: '{{#if}}hỏng{{/if}}', updatedAt: world.t.clock.now() });
    // Another process wrote it: this one notices at its next check (forced here instead of waiting 5 s).
    await admin.submit('/console/admin/templates/edit?name=zalo/case-assigned', '/console/admin/templates/reset', { name: 'zalo/case-assigned' });
    const { code, zaloTexts } = await newCaseMessages('Bán hàng rong lấn chiếm lòng đường');
    expect(zaloTexts).toContain(`Phản ánh của anh/chị đã được tiếp nhận.\nMã phản ánh: ${code}\nHạn trả lời dự kiến: 16/03/2026\nGõ "tra cứu ${code}" để theo dõi tình trạng xử lý.`);
    await database.db.delete(templateOverrides);
  });
});
