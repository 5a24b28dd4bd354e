import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { cases, contacts, officials, units } from '../../db/schema.js';
import { loadWorkingCalendar } from '../../workflows/calendar/calendar.repo.js';
import type { CaseCommand } from '../../workflows/cases/case-commands.js';
import { runCaseCommand } from '../../workflows/cases/case-service.js';
import { ChatHarness, type Chat } from '../bot/zalo-chat.js';
import { ConsoleClient, readCsrfToken } from '../console/console-client.js';
import { readZip } from '../console/zip-reader.js';

/**
 * Stored XSS, end to end: a citizen files a case through the real bot (signed webhook → conversation engine →
 * case) with markup and Handlebars syntax in their description and their name (and their Zalo display name),
 * then the console shows it everywhere it shows citizens' words (to the ward's staff, who see the person). It must arrive as inert text: escaped in HTML, never
 * evaluated as a template, and no page may carry a script or an event-handler attribute we did not write.
 *
 * Already proven elsewhere with text planted directly in the database (not repeated here, this file adds the
 * path through the bot, the name fields, the attribute-breaking and template-injection payloads):
 * test/console/console-cases.test.ts (inbox and case page, an image caption), test/console/console-export.test.ts
 * (CSV formulas, XLSX), test/console/public-site.test.ts (/cong-khai), test/console/console-admin.test.ts
 * (template preview and a broken template refused), test/console/view-engine.test.ts (the `href` helper).
 */

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "'><svg onload=alert(3)>",
  '{{constructor}}',
  "{{constructor.constructor('return process')()}}",
  '{{{raw}}}',
  'javascript:alert(4)',
] as const;
const DESCRIPTION = `Đèn đường ngõ 12 Tràng Tiền hỏng ${PAYLOADS.join(' ')} đã hai tuần.`;
const ZALO_NAME = '"><img src=x onerror=alert(5)> {{constructor}}';
const CONTACT_NAME = 'Nguyễn <b onmouseover=alert(6)>An</b>';
const ANSWER = 'Đã thay bóng đèn <script>alert(7)</script> {{constructor}} "><img src=x onerror=alert(8)>.';

/** What must never appear in a page built from these texts: live markup or an evaluated template. */
const LIVE = [/<script(?![^>]*\bsrc="\/(console|assets)\/)/i, /<img\s[^>]*onerror/i, /<svg\s[^>]*onload/i, /<b\s[^>]*onmouseover/i, /\son[a-z]+\s*=\s*["']?alert/i];
const EVALUATED = ['function Object()', '[object Object]', '[object process]', 'function Function()'];

function expectInert(html: string, where: string): void {
  for (const pattern of LIVE) expect(html, `${where}: ${pattern}`).not.toMatch(pattern);
  for (const text of EVALUATED) expect(html, `${where}: ${text}`).not.toContain(text);
  // Every script tag is one of ours, loaded from a file (the CSP forbids inline scripts too).
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) expect(tag, where).toMatch(/\ssrc="\/(console\/assets|assets)\//);
}

describe('citizen text with markup and template syntax, from Zalo to every page that shows it', () => {
  let h: ChatHarness;
  let chat: Chat;
  let caseId: number;
  let caseCode: string;

  beforeAll(async () => {
    h = await ChatHarness.start({ driver: 'pg' });
    chat = await h.newChat(ZALO_NAME);
    for (const input of [
      '[follow]',
      'phản ánh',
      '[tap Người dân]',
      '[tap Chiếu sáng công cộng]',
      'Ngõ 12 Tràng Tiền, phường Hoàn Kiếm',
      DESCRIPTION,
      '[tap Bỏ qua]',
      `${CONTACT_NAME}, 0912345678`,
      '[tap Đồng ý]',
      '[tap Gửi phản ánh]',
      // And once more outside the dialog: the bot echoes what it did not understand.
      PAYLOADS.join(' '),
    ]) {
      await chat.perform(input);
      await h.settle();
      await chat.readNew();
    }
    const [row] = await h.db.select({ id: cases.id, code: cases.code }).from(cases);
    caseId = row!.id;
    caseCode = row!.code;
    // Routed to Sở Xây dựng; the dispatcher hands it to the ward, whose demo staff (who see the citizen's name)
    // answer it below.
    const [ward] = await h.db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
    await run('dieuphoi', { type: 'transfer', unitId: ward!.id, reason: 'Thuộc địa bàn phường' });
  }, 180_000);
  afterAll(async () => h?.close());

  const app = () => h.pakn.running.app!;

  async function run(login: string, command: CaseCommand): Promise<void> {
    const [o] = await h.db.select().from(officials).where(eq(officials.login, login));
    const [c] = await h.db.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    const deps = { db: h.db, clock: h.clock, loadCalendar: () => loadWorkingCalendar(h.db) };
    const result = await runCaseCommand(deps, { caseId, command, actor: { type: 'official', officialId: o!.id, unitId: o!.unitId, roles: o!.roles }, expectedVersion: c!.version });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    await h.relayAndSettle();
  }

  it('stored the citizen’s words as they were written', async () => {
    const [c] = await h.db.select({ description: cases.description, contactId: cases.contactId }).from(cases).where(eq(cases.id, caseId));
    expect(c!.description).toContain('<script>alert(1)</script>');
    expect(c!.description).toContain('{{constructor}}');
    const [contact] = await h.db.select().from(contacts).where(eq(contacts.id, c!.contactId!));
    expect(contact!.fullName).toContain('<b onmouseover=alert(6)>');
  });

  it('the bot answered with the words as plain text, never evaluating them', async () => {
    const { messages } = await h.oaMessages(chat.userId);
    const echoed = messages.map((m) => m.text ?? '').join('\n');
    expect(echoed).toContain('{{constructor}}');
    for (const text of EVALUATED) expect(echoed).not.toContain(text);
  });

  it('inbox and case page print them as text', async () => {
    const leader = new ConsoleClient(app());
    expect((await leader.login('lanhdao')).statusCode).toBe(303);
    const inbox = await leader.get('/console/inbox?view=all');
    expect(inbox.statusCode).toBe(200);
    expect(inbox.body).toContain(caseCode);
    expectInert(inbox.body, 'inbox');
    expect(inbox.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    const page = await leader.get(`/console/cases/${caseId}`);
    expect(page.statusCode).toBe(200);
    expectInert(page.body, 'case page');
    for (const escaped of ['&lt;script&gt;alert(1)&lt;/script&gt;', '&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;', '{{constructor}}', '{{{raw}}}', 'Nguyễn &lt;b onmouseover&#x3D;alert(6)&gt;An&lt;/b&gt;']) {
      expect(page.body, escaped).toContain(escaped);
    }
  });

  it('the exports carry them as text in a download, never as a page', async () => {
    const leader = new ConsoleClient(app());
    await leader.login('lanhdao');
    const csv = await leader.get('/console/inbox/export.csv?view=all');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(String(csv.headers['content-disposition'])).toMatch(/^attachment/);
    expect(csv.headers['x-content-type-options']).toBe('nosniff');
    expect(csv.body).toContain('{{constructor}}');
    const xlsx = await app().inject({ method: 'GET', url: '/console/inbox/export.xlsx?view=all', headers: { cookie: `${CONSOLE_COOKIE_NAME}=${leader.cookie}` } });
    expect(xlsx.statusCode).toBe(200);
    expect(String(xlsx.headers['content-disposition'])).toMatch(/^attachment/);
    const sheets = [...readZip(xlsx.rawPayload)].filter(([name]) => name.startsWith('xl/'));
    const xml = sheets.map(([, data]) => data.toString('utf8')).join('\n');
    expect(xml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(xml).not.toContain('<script>');
    expect(xml).not.toMatch(/<img\s/);
  });

  it('the public page /cong-khai shows the published case as text', async () => {
    await run('lanhdao', { type: 'accept' });
    await run('chuyenvien', { type: 'draft_answer', text: ANSWER });
    await run('lanhdao', { type: 'approve' });
    await run('dieuphoi', { type: 'publish', title: 'Đèn đường <script>alert(9)</script> {{constructor}}' });
    const res = await app().inject({ method: 'GET', url: '/cong-khai' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(caseCode);
    expectInert(res.body, '/cong-khai');
    expect(res.body).toContain('&lt;script&gt;alert(9)&lt;/script&gt;');
    expect(res.body).toContain('{{constructor}}');
  });

  it('template previews and edits keep markup and template syntax inert', async () => {
    const admin = new ConsoleClient(app());
    expect((await admin.login('quantri')).statusCode).toBe(303);
    const name = 'zalo/case-received';
    const editUrl = `/console/admin/templates/edit?name=${encodeURIComponent(name)}`;
    const csrf = readCsrfToken((await admin.get(editUrl)).body);
    const sample = JSON.stringify({ caseCode, description: DESCRIPTION, contactName: CONTACT_NAME });
    const body = `Mã {{caseCode}}: {{description}} | thô: {{{description}}} | <script>alert(10)</script>`;
    const preview = (accept: string | undefined, text = body) =>
      app().inject({
        method: 'POST',
        url: '/console/admin/templates/preview',
        headers: { cookie: `${CONSOLE_COOKIE_NAME}=${admin.cookie}`, 'content-type': 'application/x-www-form-urlencoded', ...(accept ? { accept } : {}) },
        payload: new URLSearchParams({ _csrf: csrf, name, body: text, sample }).toString(),
      });

    // The page's script shows the JSON preview with textContent; the JSON itself is data, not a page.
    const json = await preview('application/json');
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    const { text } = json.json() as { text: string };
    expect(text).toContain('{{constructor}}');
    for (const evaluated of EVALUATED) expect(text).not.toContain(evaluated);

    // Without scripts the edit page shows the preview, escaped as HTML, raw triple-stash included.
    const html = await preview(undefined);
    expect(html.statusCode).toBe(200);
    expectInert(html.body, 'template preview page');
    expect(html.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.body).toContain('{{constructor}}');

    // A template that tries to reach JavaScript through Handlebars gets nothing out of it.
    for (const probe of ["{{constructor.constructor('return process')()}}", '{{#with constructor}}{{name}}{{/with}}', '{{lookup this "constructor"}}', '{{__proto__}}']) {
      const res = await preview('application/json', probe);
      const out = res.statusCode === 200 ? (res.json() as { text: string }).text : '';
      for (const evaluated of [...EVALUATED, 'Object', 'process']) expect(out, probe).not.toContain(evaluated);
    }

    // Saving: raw {{{…}}} and a script tag are allowed in a Zalo text (a plain-text channel, shown to people
    // as typed), and the edit page shows the saved text escaped in the form.
    const saved = await admin.submit(editUrl, '/console/admin/templates/save', { name, body });
    expect(saved.statusCode).toBe(303);
    const edit = await admin.get(editUrl);
    expectInert(edit.body, 'template edit page');
    expect(edit.body).toContain('thô: {{{description}}} | &lt;script&gt;alert(10)&lt;/script&gt;');
    expect((await admin.submit(editUrl, '/console/admin/templates/reset', { name })).statusCode).toBe(303);
  });
});
