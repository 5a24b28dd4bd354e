import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSandbox } from '../../../bot/sandbox/sandbox.routes.js';
import { outbox } from '../../../db/schema.js';
import { buildTestApp, TEST_NOW, type TestApp } from '../../helpers/build-test-app.js';

const XSS = '<script>alert("xss")</script>&\'';
const ESCAPED = '&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;&amp;&#39;';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ parts: [registerSandbox] });
});
afterAll(async () => t?.close());

async function insertEmail(values: Partial<typeof outbox.$inferInsert>) {
  await t.database.db.insert(outbox).values({
    key: `test:${randomUUID()}`,
    kind: 'email',
    recipient: { email: 'chuyenvien@demo.pakn.local' },
    template: 'case-assigned',
    data: {},
    availableAt: new Date(TEST_NOW),
    ...values,
  });
}

describe('GET /sandbox', () => {
  it('renders the Vietnamese chat page with the test hooks, scripts only from /sandbox/assets', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/sandbox' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    const html = res.body;
    expect(html).toContain('<html lang="vi">');
    for (const testid of [
      'user-picker',
      'new-user-name',
      'follow-button',
      'message-input',
      'send-button',
      'location-button',
      'image-input',
      'chat-log',
    ]) {
      expect(html).toContain(`data-testid="${testid}"`);
    }
    expect(html).toContain('Chia sẻ vị trí');
    expect(html).toContain('Gửi ảnh');
    expect(html).toContain('Quan tâm');
    expect(html).toContain('value="21.0285"');
    expect(html).toContain('value="105.8542"');
    // helmet's CSP allows only same-origin scripts: nothing inline, no CDN, no inline handlers.
    expect(html).toMatch(/<script type="module" src="\/sandbox\/assets\/sandbox\.js"><\/script>/);
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\/(?!pakn\.test)/);
    // The demo officials are in the picker.
    expect(html).toContain('value="sandbox-dieuphoi"');
    expect(html).toContain('Nguyễn Thị Điều Phối');
  });

  it('escapes user display names and preselects ?user=', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/sandbox/api/users', payload: { displayName: XSS } });
    const { userId } = created.json() as { userId: string };
    const res = await t.app.inject({ method: 'GET', url: `/sandbox?user=${userId}` });
    expect(res.body).not.toContain(XSS);
    expect(res.body).toContain(ESCAPED);
    expect(res.body).toContain(`value="${userId}" data-display-name="${ESCAPED}" selected`);
  });
});

describe('GET /sandbox/assets/*', () => {
  it.each([
    ['sandbox.js', 'text/javascript; charset=utf-8'],
    ['sandbox.css', 'text/css; charset=utf-8'],
    ['avatar.svg', 'image/svg+xml'],
  ])('serves %s as %s', async (name, type) => {
    const res = await t.app.inject({ method: 'GET', url: `/sandbox/assets/${name}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.body.length).toBeGreaterThan(100);
  });

  it('serves nothing outside its fixed list', async () => {
    for (const name of ['..%2Fsandbox.routes.ts', 'sandbox.ts', '%2e%2e%2f%2e%2e%2fpackage.json']) {
      expect((await t.app.inject({ method: 'GET', url: `/sandbox/assets/${name}` })).statusCode).toBe(404);
    }
  });

  it('the chat script never writes HTML from data', async () => {
    const js = (await t.app.inject({ method: 'GET', url: '/sandbox/assets/sandbox.js' })).body;
    expect(js).not.toMatch(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write/);
    for (const testid of ['bubble-', 'oa-button', 'share-info-form']) expect(js).toContain(testid);
  });
});

describe('GET /sandbox/media/:id', () => {
  it('serves unknown media as 404 and non-image uploads as attachments', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/sandbox/media/nope' })).statusCode).toBe(404);
    const docx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(16)]);
    const uploaded = await t.app.inject({ method: 'POST', url: '/sandbox/api/media', payload: { base64: docx.toString('base64'), fileName: 'Đơn.docx' } });
    const { mediaId } = uploaded.json() as { mediaId: string };
    const res = await t.app.inject({ method: 'GET', url: `/sandbox/media/${mediaId}` });
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="__n.docx"; filename*=UTF-8''${encodeURIComponent('Đơn.docx')}`);
  });
});

describe('GET /sandbox/mailbox', () => {
  it('lists e-mail rows newest first, escaping subject, text and recipient', async () => {
    await insertEmail({
      recipient: { email: 'lanhdao@demo.pakn.local', name: XSS },
      status: 'sent',
      channel: 'mailbox',
      sentAt: new Date(TEST_NOW),
      result: { subject: `Phản ánh PA-2026-000001 ${XSS}`, text: `Kính gửi đồng chí,\n${XSS}` },
    });
    await insertEmail({ template: 'nudge-due-soon', status: 'pending' });
    await t.database.db.insert(outbox).values({
      key: `test:${randomUUID()}`,
      kind: 'zalo',
      recipient: { zaloUserId: 'sandbox-chuyenvien' },
      template: 'zalo-only-template',
      availableAt: new Date(TEST_NOW),
    });

    const res = await t.app.inject({ method: 'GET', url: '/sandbox/mailbox' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const html = res.body;
    expect(html).not.toContain('<script>');
    expect(html).toContain(`Phản ánh PA-2026-000001 ${ESCAPED}`);
    expect(html).toContain(`Kính gửi đồng chí,\n${ESCAPED}`);
    expect(html).toContain(`${ESCAPED} &lt;lanhdao@demo.pakn.local&gt;`);
    // Not delivered yet: the template and the status stand in for subject and text.
    expect(html).toContain('Mẫu thư: nudge-due-soon');
    expect(html).toContain('Đang chờ gửi');
    expect(html).not.toContain('zalo-only-template');
    // Newest first.
    expect(html.indexOf('nudge-due-soon')).toBeLessThan(html.indexOf('PA-2026-000001'));
  });

  it('offers the same list as JSON for tests', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/sandbox/api/mailbox' });
    const { mails } = res.json() as { mails: Array<{ subject: string; rendered: boolean; to: string }> };
    expect(mails[0]).toMatchObject({ subject: 'Mẫu thư: nudge-due-soon', rendered: false, to: 'chuyenvien@demo.pakn.local' });
    expect(mails[1]).toMatchObject({ rendered: true, to: 'lanhdao@demo.pakn.local' });
  });
});

describe('outside sandbox mode', () => {
  it('mounts nothing when a real Zalo app is configured', async () => {
    const real = await buildTestApp({
      parts: [registerSandbox],
      database: t.database,
      env: { ZALO_APP_ID: '360846524940903967', ZALO_OA_SECRET_KEY: 'k', ZALO_OA_ID: '388613280878808645' },
    });
    try {
      for (const url of ['/sandbox', '/sandbox/mailbox', '/sandbox/api/users']) {
        expect((await real.app.inject({ method: 'GET', url })).statusCode).toBe(404);
      }
      const send = await real.app.inject({ method: 'POST', url: '/sandbox/zalo/v3.0/oa/message/cs', headers: { access_token: 't' }, payload: {} });
      expect(send.statusCode).toBe(404);
    } finally {
      await real.close();
    }
  });
});
