import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { and, asc, eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachments, cases, categories, consents, contacts, conversations, inboundEvents, messages, officialLinkCodes, officials, units } from '../../db/schema.js';
import { loadWorkingCalendar } from '../../workflows/calendar/calendar.repo.js';
import type { Actor } from '../../workflows/cases/actor.js';
import type { CaseCommand } from '../../workflows/cases/case-commands.js';
import { createCase, runCaseCommand, type CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { LINK_CODE_TTL_MS } from '../../workflows/officials/link-official.js';
import { DIALOG_TTL_MS } from '../../bot/conversation/engine.js';
import { queueConsoleReply } from '../../console/cases/case-reply.js';
import { tinyPng } from '../helpers/png.js';
import { ChatHarness, renderOaMessages, type Chat } from './zalo-chat.js';
import { parseTranscript, renderTranscript } from './transcript-file.js';

/**
 * Golden transcripts replayed through the real pipeline: signed webhook → inbound_events → job →
 * conversation engine → outbox → Zalo sender → the sandbox's fake OA API, on a fake clock fixed at
 * 2026-03-02 09:00 (Hà Nội), so codes and due dates are stable. `UPDATE_TRANSCRIPTS=1` rewrites them.
 */

const DIR = fileURLToPath(new URL('./transcripts/', import.meta.url));
const UPDATE = process.env.UPDATE_TRANSCRIPTS === '1';
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort();
const PHOTO = tinyPng();

let h: ChatHarness;

beforeAll(async () => {
  // Zalo's photo CDN: the attachment job copies citizens' photos from there.
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith('127.0.0.1'));
  nock('https://photo.zdn.vn').persist().get(/^\/pakn\//).reply(200, PHOTO, { 'content-type': 'image/jpeg' });
  h = await ChatHarness.start({ driver: 'pg' });
});

afterAll(async () => {
  await h?.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

function caseServiceDeps(): CaseServiceDeps {
  return { db: h.db, clock: h.clock, loadCalendar: () => loadWorkingCalendar(h.db) };
}

async function idOf<T extends { id: number }>(rows: Promise<T[]>): Promise<number> {
  const [row] = await rows;
  if (!row) throw new Error('reference row missing');
  return row.id;
}

async function ensureContact(zaloUserId: string, fullName: string, phone: string): Promise<number> {
  const now = h.clock.now();
  const [row] = await h.db
    .insert(contacts)
    .values({ zaloUserId, fullName, phone, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: contacts.zaloUserId, set: { fullName, phone } })
    .returning({ id: contacts.id });
  return row!.id;
}

async function caseOf(code: string) {
  const [row] = await h.db.select().from(cases).where(eq(cases.code, code));
  if (!row) throw new Error(`case ${code} not found`);
  return row;
}

/** A handler of Phường Hoàn Kiếm, not linked to Zalo yet, with one-time link codes made "by the admin". */
async function officialWithLinkCodes(login: string, fullName: string, codes: Array<{ code: string; validForMs: number }>): Promise<void> {
  const wardId = await idOf(h.db.select({ id: units.id }).from(units).where(eq(units.code, '00070')));
  const [official] = await h.db.insert(officials).values({ unitId: wardId, login, fullName, roles: ['handler'] }).returning({ id: officials.id });
  const now = h.clock.now().getTime();
  await h.db.insert(officialLinkCodes).values(codes.map((c) => ({ code: c.code, officialId: official!.id, expiresAt: new Date(now + c.validForMs) })));
}

async function linkedZaloUserOf(login: string): Promise<string | null> {
  const [row] = await h.db.select({ zaloUserId: officials.zaloUserId }).from(officials).where(eq(officials.login, login));
  return row?.zaloUserId ?? null;
}

/** Work a transcript needs done before it starts, and checks of what it left in the database. */
const SETUP: Record<string, (chat: Chat) => Promise<void>> = {
  'official-link.txt': () =>
    officialWithLinkCodes('lienket', 'Nguyễn Thị Liên', [
      { code: '246810', validForMs: LINK_CODE_TTL_MS },
      // Made earlier and left unused: past its 15 minutes.
      { code: '135790', validForMs: -60_000 },
    ]),
  'official-link-attempts.txt': () => officialWithLinkCodes('doanma', 'Trần Văn Đoán', [{ code: '975310', validForMs: LINK_CODE_TTL_MS }]),
  'lookup.txt': async (chat) => {
    const wardId = await idOf(h.db.select({ id: units.id }).from(units).where(eq(units.code, '00070')));
    const lighting = await idOf(h.db.select({ id: categories.id }).from(categories).where(eq(categories.code, 'chieu-sang')));
    const other = await ensureContact('zalo-someone-else', 'Lê Thị Khác', '0933333333');
    const own = await ensureContact(chat.userId, 'Nguyễn Văn An', '0912345678');
    const base = { channel: 'zalo' as const, contactKind: 'citizen' as const, categoryId: lighting, areaUnitId: wardId };
    await createCase(caseServiceDeps(), { ...base, contact: { id: other }, description: 'Đèn đường ở ngõ 5 Hàng Bạc không sáng, đề nghị sửa.', address: 'Ngõ 5 Hàng Bạc, số nhà 7' });
    await createCase(caseServiceDeps(), { ...base, contact: { id: own }, description: 'Đèn đường ở ngõ 12 Tràng Tiền bị hỏng hai tuần nay.', address: 'Ngõ 12 Tràng Tiền' });
    // Their notifications belong to the past: routed now, before the conversation starts.
    await h.relayAndSettle();
  },
};

const CHECKS: Record<string, (chat: Chat) => Promise<void>> = {
  'official-link.txt': async (chat) => {
    expect(await linkedZaloUserOf('lienket')).toBe(chat.userId);
  },
  'official-link-attempts.txt': async () => {
    expect(await linkedZaloUserOf('doanma')).toBeNull();
  },
  'citizen-happy-path.txt': async (chat) => {
    const c = await caseOf('PA-2026-000001');
    const [contact] = await h.db.select().from(contacts).where(eq(contacts.zaloUserId, chat.userId));
    expect(c).toMatchObject({ status: 'assigned', channel: 'zalo', contactId: contact!.id, address: 'Ngõ 12 Tràng Tiền, phường Hoàn Kiếm', consentVersion: 'pakn-zalo-2026-01' });
    expect(contact).toMatchObject({ kind: 'citizen', fullName: 'Nguyễn Văn An', phone: '0912345678' });
    expect(await h.db.select().from(consents).where(eq(consents.contactId, contact!.id))).toHaveLength(1);
    // Every message of the conversation is on record, in both directions, in order.
    const log = await h.db.select().from(messages).where(eq(messages.zaloUserId, chat.userId)).orderBy(asc(messages.id));
    expect(log.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual([
      'phản ánh',
      '#loai:nguoi-dan',
      expect.stringMatching(/^#linh-vuc:\d+$/),
      'Ngõ 12 Tràng Tiền, phường Hoàn Kiếm',
      'Đèn đường ở ngõ 12 Tràng Tiền bị hỏng hai tuần nay, buổi tối rất tối và nguy hiểm.',
      '#anh:bo-qua',
      'Nguyễn Văn An, 0912345678',
      '#dong-y',
      '#gui-phan-anh',
    ]);
    expect(log.filter((m) => m.direction === 'out').every((m) => m.deliveryStatus === 'sent' && m.zaloMsgId)).toBe(true);
  },
  'business.txt': async (chat) => {
    const [contact] = await h.db.select().from(contacts).where(eq(contacts.zaloUserId, chat.userId));
    expect(contact).toMatchObject({ kind: 'business', companyName: 'Công ty TNHH Thương mại Hà Thành', taxCode: '0101234567', fullName: 'Trần Thị Bình' });
    expect(await caseOf('PA-2026-000001')).toMatchObject({ contactKind: 'business' });
  },
  'photo-location.txt': async () => {
    const c = await caseOf('PA-2026-000001');
    expect(c).toMatchObject({ latitude: 21.0285, longitude: 105.8542, address: 'Đầu ngõ 25 Hàng Bông, phường Hoàn Kiếm' });
    const files = await h.db.select().from(attachments).where(eq(attachments.caseId, c.id)).orderBy(asc(attachments.id));
    expect(files.map((f) => f.sourceUrl)).toEqual(['https://photo.zdn.vn/pakn/rac-ngo-25.jpg', 'https://photo.zdn.vn/pakn/rac-ngo-25-gan.jpg']);
    // The attachment job copied them from the CDN into our storage.
    expect(files.map((f) => [f.status, f.mime, f.size])).toEqual([
      ['stored', 'image/png', PHOTO.length],
      ['stored', 'image/png', PHOTO.length],
    ]);
  },
  'cancel-midway.txt': async (chat) => {
    expect(await h.db.select().from(cases)).toEqual([]);
    const [conversation] = await h.db.select().from(conversations).where(eq(conversations.zaloUserId, chat.userId));
    expect(conversation).toMatchObject({ dialog: null, step: null });
  },
  'burst.txt': async (chat) => {
    // Processed one at a time, oldest first.
    const events = await h.db.select().from(inboundEvents).where(eq(inboundEvents.senderId, chat.userId)).orderBy(asc(inboundEvents.id));
    expect(events.map((e) => e.status)).toEqual(Array(6).fill('done'));
  },
};

/** Replays one transcript and returns the file as the product answered it. */
async function replay(file: string): Promise<string> {
  const expected = readFileSync(`${DIR}${file}`, 'utf8');
  const items = parseTranscript(expected);
  await h.resetConversations();
  const chat = await h.newChat('Người dùng thử');
  await SETUP[file]?.(chat);
  const answers: string[][] = [];
  for (const item of items) {
    if (item.kind !== 'batch') continue;
    for (const input of item.inputs) await chat.perform(input);
    await h.settle();
    answers.push(renderOaMessages(await chat.readNew()));
  }
  await CHECKS[file]?.(chat);
  return renderTranscript(items, answers);
}

describe('golden transcripts', () => {
  it.each(FILES)('%s', async (file) => {
    const actual = await replay(file);
    if (UPDATE) writeFileSync(`${DIR}${file}`, actual);
    else expect(actual).toBe(readFileSync(`${DIR}${file}`, 'utf8'));
  });
});

/** Runs inputs without recording them: getting a case to where a test wants it. */
async function say(chat: Chat, ...inputs: string[]): Promise<string[]> {
  const answers = [];
  for (const input of inputs) {
    await chat.perform(input);
    await h.settle();
    answers.push(...(await chat.readNew()));
  }
  return renderOaMessages(answers);
}

const INTAKE_TO_WARD_HOAN_KIEM = [
  '[follow]',
  'phản ánh',
  '[tap Người dân]',
  '[tap Rác thải, vệ sinh môi trường]',
  'Đầu ngõ 25 Hàng Bông, phường Hoàn Kiếm',
  'Rác thải tồn đọng ở đầu ngõ 25 Hàng Bông ba ngày nay chưa được thu gom, bốc mùi.',
  '[tap Bỏ qua]',
  'Nguyễn Văn An, 0912345678',
  '[tap Đồng ý]',
  '[tap Gửi phản ánh]',
];

describe('dialog expiry', () => {
  it('ends a dialog idle for 24 hours with a message when the bot ticks, and starts clean afterwards', async () => {
    await h.resetConversations();
    const chat = await h.newChat('Người dùng thử');
    await say(chat, '[follow]', 'phản ánh', '[tap Người dân]');

    // A tick just before the 24 hours pass changes nothing.
    h.clock.advance(DIALOG_TTL_MS - 60_000);
    await h.tick();
    expect(await chat.readNew()).toEqual([]);
    expect((await h.db.select().from(conversations).where(eq(conversations.zaloUserId, chat.userId)))[0]).toMatchObject({ dialog: 'intake', step: 'category' });

    h.clock.advance(2 * 60_000);
    await h.tick();
    expect(renderOaMessages(await chat.readNew())).toEqual([
      '< Phiên gửi phản ánh trước đã hết hạn sau 24 giờ không có trả lời nên đã được hủy. Gõ "phản ánh" để bắt đầu lại.',
    ]);
    expect((await h.db.select().from(conversations).where(eq(conversations.zaloUserId, chat.userId)))[0]).toMatchObject({ dialog: null, step: null });
    // Once more changes nothing: the message goes out once.
    await h.tick();
    expect(await chat.readNew()).toEqual([]);

    // "2" was a category choice in the dialog; now it is just text the bot does not understand.
    const after = await say(chat, '2');
    expect(after[0]).toBe('< Xin lỗi, tôi chưa hiểu yêu cầu "2".');
  });

  it('tells a citizen who comes back after 24 hours, before any tick, that the dialog expired', async () => {
    await h.resetConversations();
    const chat = await h.newChat('Người dùng thử');
    await say(chat, '[follow]', 'phản ánh');
    h.clock.advance(DIALOG_TTL_MS + 60_000);
    const answer = await say(chat, '[tap Người dân]');
    expect(answer[0]).toBe('< Phiên gửi phản ánh trước đã hết hạn sau 24 giờ không có trả lời nên đã được hủy. Gõ "phản ánh" để bắt đầu lại.');
    expect(await h.db.select().from(cases)).toEqual([]);
  });
});

describe('rating an answer', () => {
  async function actorOf(login: string): Promise<Actor> {
    const [o] = await h.db.select().from(officials).where(eq(officials.login, login));
    if (!o) throw new Error(`official ${login} missing`);
    return { type: 'official', officialId: o.id, unitId: o.unitId, roles: o.roles };
  }

  async function run(code: string, login: string, command: CaseCommand): Promise<void> {
    const c = await caseOf(code);
    const result = await runCaseCommand(caseServiceDeps(), { caseId: c.id, command, actor: await actorOf(login), expectedVersion: c.version });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    await h.relayAndSettle();
  }

  /** A case filed through the bot, accepted, answered and approved by the ward's demo officials. */
  async function answeredCase(): Promise<Chat> {
    await h.resetConversations();
    const chat = await h.newChat('Người dùng thử');
    await say(chat, ...INTAKE_TO_WARD_HOAN_KIEM);
    expect(await caseOf('PA-2026-000001')).toMatchObject({ status: 'assigned' });
    await run('PA-2026-000001', 'lanhdao', { type: 'accept' });
    await run('PA-2026-000001', 'chuyenvien', { type: 'draft_answer', text: 'Phường đã bố trí thu gom toàn bộ rác tại đầu ngõ 25 Hàng Bông trong ngày 03/3/2026.' });
    await run('PA-2026-000001', 'lanhdao', { type: 'approve' });
    expect(await caseOf('PA-2026-000001')).toMatchObject({ status: 'answered' });
    return chat;
  }

  it('sends the answer with rating buttons; "Hài lòng" closes the case', async () => {
    const chat = await answeredCase();
    expect(renderOaMessages(await chat.readNew())).toEqual([
      '< Kết quả xử lý phản ánh PA-2026-000001:',
      '< Phường đã bố trí thu gom toàn bộ rác tại đầu ngõ 25 Hàng Bông trong ngày 03/3/2026.',
      '<',
      '< Anh/chị đánh giá thế nào về kết quả xử lý?',
      '<   [Nút: Hài lòng]',
      '<   [Nút: Chấp nhận]',
      '<   [Nút: Chưa hài lòng]',
    ]);
    expect(await say(chat, '[tap Hài lòng]')).toEqual(['< Cảm ơn anh/chị đã đánh giá kết quả xử lý phản ánh PA-2026-000001.']);
    expect(await caseOf('PA-2026-000001')).toMatchObject({ status: 'closed', rating: 'hai_long' });
    // A second tap on an old button cannot rate twice.
    expect(await say(chat, '[tap Chấp nhận]')).toEqual([expect.stringMatching(/^< Phản ánh PA-2026-000001 hiện không thể đánh giá/)]);
    expect(await caseOf('PA-2026-000001')).toMatchObject({ status: 'closed', rating: 'hai_long' });
  });

  it('"Chưa hài lòng" reopens the case for the ward', async () => {
    const chat = await answeredCase();
    await chat.readNew();
    const answer = await say(chat, '[tap Chưa hài lòng]');
    // The case's own notification was written first, then the answer to the tap.
    expect(answer).toEqual([
      '< Phản ánh PA-2026-000001 đã được mở lại để xem xét, xử lý tiếp. Hạn trả lời mới: 16/03/2026.',
      '<',
      expect.stringMatching(/^< Cảm ơn anh\/chị đã phản hồi\. Phản ánh PA-2026-000001 đã được chuyển lại cho .*Hoàn Kiếm để xem xét, xử lý tiếp\.$/),
    ]);
    expect(await caseOf('PA-2026-000001')).toMatchObject({ status: 'in_progress', rating: 'chua_hai_long', reopenCount: 1 });
  });
});

describe('outside a dialog', () => {
  it('takes free text after an official wrote on the case as an answer to that official, acknowledged once', async () => {
    await h.resetConversations();
    const chat = await h.newChat('Người dùng thử');
    await say(chat, ...INTAKE_TO_WARD_HOAN_KIEM);
    const c = await caseOf('PA-2026-000001');
    const [handler] = await h.db.select().from(officials).where(eq(officials.login, 'chuyenvien'));
    await queueConsoleReply(h.db, {
      caseId: c.id,
      contactId: c.contactId!,
      zaloUserId: chat.userId,
      officialId: handler!.id,
      text: 'Anh/chị cho biết rác tập kết ở bên trái hay bên phải đầu ngõ?',
      replyId: 'r1',
      now: h.clock.now(),
    });
    await h.relayAndSettle();
    expect(renderOaMessages(await chat.readNew())).toContain('< Anh/chị cho biết rác tập kết ở bên trái hay bên phải đầu ngõ?');

    expect(await say(chat, 'Bên trái, cạnh cột điện')).toEqual([
      '< Tin nhắn của anh/chị đã được chuyển tới cán bộ đang xử lý phản ánh PA-2026-000001. Cán bộ sẽ trả lời anh/chị tại đây.',
    ]);
    // The rest of the conversation is between the citizen and the official: no bot replies in between.
    expect(await say(chat, 'Sáng nay vẫn chưa thu gom')).toEqual(['< (no reply)']);
    const inbound = await h.db.select().from(messages).where(and(eq(messages.zaloUserId, chat.userId), eq(messages.direction, 'in'))).orderBy(asc(messages.id));
    expect(inbound.slice(-2).map((m) => [m.text, m.caseId])).toEqual([
      ['Bên trái, cạnh cột điện', c.id],
      ['Sáng nay vẫn chưa thu gom', c.id],
    ]);

    // Two days after the official's message, free text is no longer taken as part of that chat.
    h.clock.advance(49 * 60 * 60 * 1000);
    expect((await say(chat, 'xin chào'))[0]).toBe('< Xin lỗi, tôi chưa hiểu yêu cầu "xin chào".');
  });

  it('does not reply twice to a message Zalo delivers twice', async () => {
    await h.resetConversations();
    const chat = await h.newChat('Người dùng thử');
    await say(chat, '[follow]');
    await chat.perform('xin chào');
    await chat.user.redeliverAll();
    await h.settle();
    const replies = await chat.readNew();
    expect(replies.map((m) => m.text)).toEqual(['Xin lỗi, tôi chưa hiểu yêu cầu "xin chào".', expect.stringContaining('Anh/chị muốn làm gì?')]);
    expect(await h.db.select().from(messages).where(and(eq(messages.zaloUserId, chat.userId), eq(messages.direction, 'in')))).toHaveLength(1);
  });
});
