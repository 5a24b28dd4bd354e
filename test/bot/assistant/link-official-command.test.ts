import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfficialLinker, LINK_FAILURE_WINDOW_MS } from '../../../bot/assistant/link-official-command.js';
import { createOfficialAssistant } from '../../../bot/assistant/official-assistant.js';
import { caseGateway } from '../../../bot/case-gateway.js';
import { handleZaloEvent, type ConversationDeps } from '../../../bot/conversation/engine.js';
import type { OutgoingMessage } from '../../../bot/conversation/outgoing.js';
import { createReferenceCache } from '../../../bot/reference-cache.js';
import { officialLinkCodes, officials, outbox, settings, units } from '../../../db/schema.js';
import { seedAll } from '../../../runtime/seed.js';
import { createTemplateRenderer } from '../../../runtime/templates.js';
import { LINK_CODE_TTL_MS } from '../../../workflows/officials/link-official.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

const NOW = new Date('2026-03-02T09:00:00+07:00');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

/** A process of the bot: its own conversation deps (linker, assistant) on the shared database. */
function botProcess(): ConversationDeps {
  const officialAssistant = createOfficialAssistant();
  return {
    templates: createTemplateRenderer(),
    cases: caseGateway,
    loadReference: createReferenceCache(),
    officialAssistant,
    linkOfficial: createOfficialLinker({ assistant: officialAssistant }),
  };
}

describe('an official links their Zalo account with "liên kết <mã>"', () => {
  let database: TestDatabase;
  let wardId: number;
  let nextEventId = 1;
  let nextCode = 100_000;
  let nextLogin = 1;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedAll(database.db, { demo: false });
    const [ward] = await database.db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
    wardId = ward!.id;
  });
  afterAll(async () => database?.destroy());

  async function newOfficial(fullName: string, values: Partial<typeof officials.$inferInsert> = {}): Promise<number> {
    const [row] = await database.db
      .insert(officials)
      .values({ unitId: wardId, login: `can-bo-${nextLogin++}`, fullName, roles: ['handler'], ...values })
      .returning({ id: officials.id });
    return row!.id;
  }

  async function codeFor(officialId: number, expiresAt = new Date(NOW.getTime() + LINK_CODE_TTL_MS)): Promise<string> {
    const code = String(nextCode++);
    await database.db.insert(officialLinkCodes).values({ code, officialId, expiresAt });
    return code;
  }

  async function say(deps: ConversationDeps, userId: string, text: string, now = NOW): Promise<{ text: string; recipient: Record<string, unknown> }> {
    const inboundEventId = nextEventId++;
    await database.db.transaction((tx) =>
      handleZaloEvent(deps, tx, { inboundEventId, event: { type: 'text', eventName: 'user_send_text', timestamp: now.getTime(), userId, msgId: `m${inboundEventId}`, text }, now }),
    );
    const [row] = await database.db.select().from(outbox).where(eq(outbox.key, `reply:${inboundEventId}`));
    const messages = (row?.data.messages as OutgoingMessage[] | undefined) ?? [];
    return { text: messages.map((m) => ('text' in m ? m.text : '')).join('\n---\n'), recipient: row?.recipient ?? {} };
  }

  it('links with a valid code and answers with the officials’ menu', async () => {
    const bot = botProcess();
    const id = await newOfficial('Trần Văn Chuyên');
    const code = await codeFor(id);
    const reply = await say(bot, 'zalo-new-official', `Liên kết ${code.slice(0, 3)} ${code.slice(3)}`);
    expect(reply.text.split('\n---\n')).toEqual([
      'Đã liên kết tài khoản Zalo này với cán bộ Trần Văn Chuyên. Từ nay anh/chị sẽ nhận thông báo công việc qua Zalo.',
      expect.stringMatching(/^Chào Trần Văn Chuyên\. Các lệnh dành cho cán bộ:\n• "việc của tôi"/),
    ]);
    expect(reply.recipient).toMatchObject({ userId: 'zalo-new-official', officialId: id });
    const [row] = await database.db.select({ zaloUserId: officials.zaloUserId }).from(officials).where(eq(officials.id, id));
    expect(row?.zaloUserId).toBe('zalo-new-official');
    // From now on the assistant answers this user, not the citizen menu.
    expect((await say(bot, 'zalo-new-official', 'viec cua toi')).text).toBe('Anh/chị hiện không có phản ánh nào đang chờ xử lý.');
    // A used code is refused like an unknown one.
    expect((await say(bot, 'zalo-other-user', `lien ket ${code}`)).text).toContain('Mã liên kết không đúng hoặc đã được sử dụng.');
  });

  it('asks for the code when none is given, without counting it as a failure', async () => {
    const reply = await say(botProcess(), 'zalo-forgetful', 'liên kết');
    expect(reply.text).toBe('Anh/chị gửi "liên kết" kèm mã 6 chữ số do quản trị viên cấp trên bảng điều khiển (Quản trị → Cán bộ), ví dụ: liên kết 123456');
    expect(await database.db.select().from(settings).where(like(settings.key, 'official-link-failures:zalo-forgetful'))).toEqual([]);
  });

  it('says why a code cannot be used: expired, inactive official, Zalo account of another official', async () => {
    const bot = botProcess();
    const expired = await codeFor(await newOfficial('Lê Thị Hết Hạn'), at(-1));
    expect((await say(bot, 'zalo-late', `liên kết ${expired}`)).text).toBe(
      'Mã liên kết đã hết hạn (hiệu lực 15 phút). Vui lòng đề nghị quản trị viên cấp mã mới.\nAnh/chị còn 4 lần thử trong 1 giờ.',
    );
    const inactive = await codeFor(await newOfficial('Ngô Văn Nghỉ', { active: false }));
    expect((await say(bot, 'zalo-inactive', `liên kết ${inactive}`)).text).toContain('Tài khoản cán bộ đã ngừng hoạt động');
    await newOfficial('Đã Liên Kết', { zaloUserId: 'zalo-taken' });
    const other = await codeFor(await newOfficial('Cán Bộ Khác'));
    expect((await say(bot, 'zalo-taken', `liên kết ${other}`)).text).toContain('Tài khoản Zalo này đang được liên kết với một cán bộ khác.');
  });

  it('after 5 wrong codes in an hour refuses even the right one, in every process, until the hour has passed', async () => {
    const web = botProcess();
    const worker = botProcess();
    const id = await newOfficial('Phạm Thị Thử');
    const right = await codeFor(id, at(120));
    const user = 'zalo-guesser';
    for (let i = 0; i < 4; i++) {
      const reply = await say(i % 2 === 0 ? web : worker, user, `liên kết 00000${i}`, at(i));
      expect(reply.text).toBe(`Mã liên kết không đúng hoặc đã được sử dụng. Vui lòng kiểm tra lại hoặc đề nghị quản trị viên cấp mã mới.\nAnh/chị còn ${4 - i} lần thử trong 1 giờ.`);
    }
    expect((await say(web, user, 'lien ket 999999', at(10))).text).toBe(
      'Mã liên kết không đúng hoặc đã được sử dụng. Vui lòng kiểm tra lại hoặc đề nghị quản trị viên cấp mã mới.\n' +
        'Tài khoản Zalo này đã nhập sai mã liên kết 5 lần trong 1 giờ nên tạm thời không thể liên kết. Vui lòng thử lại sau 50 phút hoặc liên hệ quản trị viên.',
    );
    // The other process counts the same attempts: the right code is not even looked at.
    expect((await say(worker, user, `liên kết ${right}`, at(30))).text).toBe(
      'Tài khoản Zalo này đã nhập sai mã liên kết 5 lần trong 1 giờ nên tạm thời không thể liên kết. Vui lòng thử lại sau 30 phút hoặc liên hệ quản trị viên.',
    );
    const [still] = await database.db.select({ zaloUserId: officials.zaloUserId }).from(officials).where(eq(officials.id, id));
    expect(still?.zaloUserId).toBeNull();

    // Once the first failure is an hour old, one more try is allowed, and it links.
    const later = new Date(at(0).getTime() + LINK_FAILURE_WINDOW_MS + 60_000);
    expect((await say(worker, user, `liên kết ${right}`, later)).text).toContain('Đã liên kết tài khoản Zalo này với cán bộ Phạm Thị Thử.');
    expect(await database.db.select().from(settings).where(eq(settings.key, `official-link-failures:${user}`))).toEqual([]);
  });

  it('a citizen writing about a "liên kết" gets the citizen conversation, not the linker', async () => {
    const reply = await say(botProcess(), 'zalo-citizen-7', 'liên kết giao thông ở ngõ 5 bị hỏng');
    expect(reply.text).toContain('Xin lỗi, tôi chưa hiểu yêu cầu');
  });
});
