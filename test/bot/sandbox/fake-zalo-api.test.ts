import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerSandbox } from '../../../bot/sandbox/sandbox.routes.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { buildTestApp, TEST_NOW, TEST_PUBLIC_BASE_URL, type TestApp } from '../../helpers/build-test-app.js';

/** The smallest valid PNG and JPEG headers: the sandbox sniffs bytes, it does not decode images. */
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(64, 2)]);
const USER = 'sandbox-chuyenvien';
const TOKEN = { access_token: 'any-token' };

let database: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase('pglite');
});
beforeEach(async () => {
  await t?.close();
  t = await buildTestApp({ parts: [registerSandbox], database });
});
afterAll(async () => {
  await t?.close();
  await database?.destroy();
});

async function post(url: string, payload: unknown, headers: Record<string, string> = TOKEN) {
  const res = await t.app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
  return { status: res.statusCode, body: res.json() as { error: number; message: string; data?: Record<string, unknown> } };
}

/** A multipart body encoded by undici, as the product's client (fetch + FormData) sends it. */
async function encodeMultipart(bytes: Buffer, fileName: string, type: string, field = 'file') {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), fileName);
  const request = new Request('http://encode.local/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

async function upload(path: string, bytes: Buffer, fileName: string, type: string, headers: Record<string, string> = TOKEN) {
  const { payload, contentType } = await encodeMultipart(bytes, fileName, type);
  const res = await t.app.inject({ method: 'POST', url: path, headers: { ...headers, 'content-type': contentType }, payload });
  return res.json() as { error: number; message: string; data?: Record<string, string> };
}

async function chatOf(userId: string) {
  const res = await t.app.inject({ method: 'GET', url: `/sandbox/api/messages?userId=${encodeURIComponent(userId)}` });
  return (res.json() as { messages: Array<Record<string, unknown>> }).messages;
}

describe('POST /sandbox/zalo/v3.0/oa/message/cs', () => {
  const url = '/sandbox/zalo/v3.0/oa/message/cs';

  it('accepts the documented text body (ZALO.md §4.2) and answers the documented envelope', async () => {
    const { status, body } = await post(url, {
      recipient: { user_id: USER },
      message: { text: 'Phản ánh của anh/chị đã được tiếp nhận. Mã: PA-2025-000123', quote_message_id: '96d3cdf3af150460909' },
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      error: 0,
      message: 'Success',
      data: { message_id: expect.stringMatching(/^[0-9a-f]{20}$/), user_id: USER, sent_time: String(Date.parse(TEST_NOW)) },
    });
    const chat = await chatOf(USER);
    expect(chat.at(-1)).toMatchObject({
      from: 'oa',
      kind: 'text',
      text: 'Phản ánh của anh/chị đã được tiếp nhận. Mã: PA-2025-000123',
      quoteMessageId: '96d3cdf3af150460909',
      messageId: body.data!.message_id,
    });
  });

  it('accepts the documented text + buttons body and stores the buttons', async () => {
    const { body } = await post(url, {
      recipient: { user_id: USER },
      message: {
        text: 'Anh/chị muốn làm gì?',
        attachment: {
          type: 'template',
          payload: {
            buttons: [
              { title: 'Gửi phản ánh mới', type: 'oa.query.hide', payload: '#pakn_moi' },
              { title: 'Tra cứu theo mã', type: 'oa.query.show', payload: '#tra_cuu' },
              { title: 'Trang công khai', type: 'oa.open.url', payload: { url: 'https://example.gov.vn/pakn' } },
            ],
          },
        },
      },
    });
    expect(body.error).toBe(0);
    expect((await chatOf(USER)).at(-1)).toMatchObject({
      kind: 'buttons',
      text: 'Anh/chị muốn làm gì?',
      buttons: [
        { title: 'Gửi phản ánh mới', type: 'oa.query.hide', payload: '#pakn_moi' },
        { title: 'Tra cứu theo mã', type: 'oa.query.show', payload: '#tra_cuu' },
        { title: 'Trang công khai', type: 'oa.open.url', payload: 'https://example.gov.vn/pakn' },
      ],
    });
  });

  it('accepts an image by url and by an uploaded attachment_id', async () => {
    const byUrl = await post(url, {
      recipient: { user_id: USER },
      message: {
        text: 'Ảnh sau khi khắc phục',
        attachment: { type: 'template', payload: { template_type: 'media', elements: [{ media_type: 'image', url: 'https://example.gov.vn/a.jpg' }] } },
      },
    });
    expect(byUrl.body.error).toBe(0);

    const uploaded = await upload('/sandbox/zalo/v2.0/oa/upload/image', PNG, 'anh.png', 'image/png');
    expect(uploaded).toEqual({ error: 0, message: 'Success', data: { attachment_id: expect.any(String) } });
    const attachmentId = uploaded.data!.attachment_id!;
    const byAttachment = await post(url, {
      recipient: { user_id: USER },
      message: {
        text: 'Ảnh sau khi khắc phục',
        attachment: { type: 'template', payload: { template_type: 'media', elements: [{ media_type: 'image', attachment_id: attachmentId }] } },
      },
    });
    expect(byAttachment.body.error).toBe(0);
    const chat = await chatOf(USER);
    expect(chat.at(-2)).toMatchObject({ kind: 'image', imageUrl: 'https://example.gov.vn/a.jpg', text: 'Ảnh sau khi khắc phục' });
    expect(chat.at(-1)).toMatchObject({ kind: 'image', imageUrl: `/sandbox/media/${encodeURIComponent(attachmentId)}` });

    // The uploaded bytes are what the chat page shows.
    const media = await t.app.inject({ method: 'GET', url: `/sandbox/media/${encodeURIComponent(attachmentId)}` });
    expect(media.statusCode).toBe(200);
    expect(media.headers['content-type']).toBe('image/png');
    expect(media.rawPayload.equals(PNG)).toBe(true);
  });

  it('accepts a file by upload token', async () => {
    const uploaded = await upload('/sandbox/zalo/v2.0/oa/upload/file', PDF, 'Văn bản trả lời.pdf', 'application/pdf');
    expect(uploaded).toEqual({ error: 0, message: 'Success', data: { token: expect.any(String) } });
    const { body } = await post(url, { recipient: { user_id: USER }, message: { attachment: { type: 'file', payload: { token: uploaded.data!.token } } } });
    expect(body.error).toBe(0);
    expect((await chatOf(USER)).at(-1)).toMatchObject({ kind: 'file', fileName: 'Văn bản trả lời.pdf', size: PDF.length });
  });

  it('accepts the documented request_user_info body', async () => {
    const { body } = await post(url, {
      recipient: { user_id: USER },
      message: {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'request_user_info',
            elements: [
              {
                title: 'UBND Thành phố Hà Nội',
                subtitle: 'Đề nghị chia sẻ thông tin liên hệ để xử lý phản ánh',
                image_url: 'https://example.gov.vn/banner.png',
              },
            ],
          },
        },
      },
    });
    expect(body.error).toBe(0);
    expect((await chatOf(USER)).at(-1)).toMatchObject({ kind: 'request_user_info', title: 'UBND Thành phố Hà Nội', imageUrl: 'https://example.gov.vn/banner.png' });
  });

  it.each([
    ['no recipient', { message: { text: 'Xin chào' } }, /^recipient is invalid$/],
    ['empty user id', { recipient: { user_id: '' }, message: { text: 'Xin chào' } }, /recipient\.user_id is invalid/],
    ['no text and no attachment', { recipient: { user_id: USER }, message: {} }, /message\.text is invalid/],
    ['text over 2000 characters', { recipient: { user_id: USER }, message: { text: 'ả'.repeat(2001) } }, /message\.text is invalid/],
    [
      'six buttons',
      {
        recipient: { user_id: USER },
        message: {
          text: 'Chọn',
          attachment: { type: 'template', payload: { buttons: Array.from({ length: 6 }, (_, i) => ({ title: `Nút ${i}`, type: 'oa.query.show', payload: `#${i}` })) } },
        },
      },
      /buttons is invalid/,
    ],
    [
      'buttons without text',
      { recipient: { user_id: USER }, message: { attachment: { type: 'template', payload: { buttons: [{ title: 'A', type: 'oa.query.show', payload: '#a' }] } } } },
      /message\.text is invalid/,
    ],
    [
      'an open.url button with a string payload',
      {
        recipient: { user_id: USER },
        message: { text: 'Xem', attachment: { type: 'template', payload: { buttons: [{ title: 'Trang', type: 'oa.open.url', payload: 'https://x.vn' }] } } },
      },
      /buttons\.0\.payload is invalid/,
    ],
    [
      'an image with both url and attachment_id',
      {
        recipient: { user_id: USER },
        message: {
          attachment: {
            type: 'template',
            payload: { template_type: 'media', elements: [{ media_type: 'image', url: 'https://x.vn/a.png', attachment_id: 'abc' }] },
          },
        },
      },
      /elements\.0 is invalid/,
    ],
    ['a file without token', { recipient: { user_id: USER }, message: { attachment: { type: 'file', payload: {} } } }, /payload\.token is invalid/],
    [
      'request_user_info without title',
      { recipient: { user_id: USER }, message: { attachment: { type: 'template', payload: { template_type: 'request_user_info', elements: [{ subtitle: 'x' }] } } } },
      /elements\.0\.title is invalid/,
    ],
    [
      'an undocumented list template',
      { recipient: { user_id: USER }, message: { attachment: { type: 'template', payload: { template_type: 'list', elements: [] } } } },
      /template_type is invalid/,
    ],
  ])('rejects %s with -201', async (_name, payload, message) => {
    const before = (await chatOf(USER)).length;
    const { status, body } = await post(url, payload);
    expect(status).toBe(200);
    expect(body.error).toBe(-201);
    expect(body.message).toMatch(message);
    expect(await chatOf(USER)).toHaveLength(before);
  });

  it('counts Vietnamese text in NFC code points: 2000 decomposed characters are accepted', async () => {
    const decomposed = 'ả'.normalize('NFD').repeat(2000);
    expect(decomposed.length).toBe(4000);
    const { body } = await post(url, { recipient: { user_id: USER }, message: { text: decomposed } });
    expect(body.error).toBe(0);
  });

  it('answers -100 for an attachment id or file token it does not hold', async () => {
    const image = await post(url, {
      recipient: { user_id: USER },
      message: { attachment: { type: 'template', payload: { template_type: 'media', elements: [{ media_type: 'image', attachment_id: 'gone' }] } } },
    });
    expect(image.body.error).toBe(-100);
    const file = await post(url, { recipient: { user_id: USER }, message: { attachment: { type: 'file', payload: { token: 'gone' } } } });
    expect(file.body.error).toBe(-100);
  });

  it('answers a Zalo-style error, not a crash, for a body that is not JSON', async () => {
    const res = await t.app.inject({ method: 'POST', url, headers: { ...TOKEN, 'content-type': 'application/json' }, payload: '{"recipient":' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ error: -201 });
  });
});

describe('ZBS template messages', () => {
  it('accepts a template by user id and shows it in the chat', async () => {
    const { body } = await post('/sandbox/zalo/v3.0/oa/message/template', {
      user_id: USER,
      template_id: '7895417a7d3f9461cd2e',
      template_data: { ma_phan_anh: 'PA-2025-000123', han_xu_ly: '20/11/2025' },
    });
    expect(body).toEqual({ error: 0, message: 'Success', data: { message_id: expect.stringMatching(/^[0-9a-f]{20}$/), sent_time: expect.any(String) } });
    expect((await chatOf(USER)).at(-1)).toMatchObject({
      kind: 'template',
      channel: 'uid',
      templateId: '7895417a7d3f9461cd2e',
      templateData: { ma_phan_anh: 'PA-2025-000123', han_xu_ly: '20/11/2025' },
    });
  });

  it('accepts the documented by-phone body (ZALO.md §5.1) and answers msg_id', async () => {
    const { body } = await post('/sandbox/business/message/template', {
      phone: '84912345678',
      template_id: '7895417a7d3f9461cd2e',
      template_data: { ma_phan_anh: 'PA-2025-000123', han_xu_ly: '20/11/2025' },
      tracking_id: 'case-PA-2025-000123-due-reminder',
    });
    expect(body).toEqual({
      error: 0,
      message: 'Success',
      data: {
        msg_id: expect.stringMatching(/^[0-9a-f]{20}$/),
        sent_time: expect.any(String),
        sending_mode: '1',
        quota: { dailyQuota: '500', remainingQuota: '499' },
      },
    });
    expect((await chatOf('sandbox-phone-84912345678')).at(-1)).toMatchObject({ kind: 'template', channel: 'phone', phone: '84912345678' });
  });

  it('lands a by-phone template in the chat of the user who shared that phone', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/sandbox/api/users', payload: { displayName: 'Nguyễn Văn A' } });
    const { userId } = created.json() as { userId: string };
    await t.app.inject({ method: 'POST', url: '/sandbox/api/events', payload: { userId, kind: 'submit_info', name: 'Nguyễn Văn A', phone: '0987 654 321' } });
    const { body } = await post('/sandbox/business/message/template', { phone: '84987654321', template_id: 't1', template_data: { a: 1 } });
    expect(body.error).toBe(0);
    expect((await chatOf(userId)).at(-1)).toMatchObject({ kind: 'template', channel: 'phone' });
  });

  it('rejects a phone with a leading 0 (-108) and a body without template_id (-201)', async () => {
    expect((await post('/sandbox/business/message/template', { phone: '0912345678', template_id: 't', template_data: {} })).body.error).toBe(-108);
    const missing = await post('/sandbox/zalo/v3.0/oa/message/template', { user_id: USER, template_data: {} });
    expect(missing.body).toMatchObject({ error: -201, message: 'template_id is invalid' });
  });
});

describe('uploads', () => {
  it('refuses a non-png/jpeg image, an oversized image, a non-document file and a missing file part', async () => {
    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(16)]);
    expect(await upload('/sandbox/zalo/v2.0/oa/upload/image', gif, 'a.gif', 'image/gif')).toMatchObject({ error: -201, message: expect.stringMatching(/png and jpeg/) });
    const big = Buffer.concat([PNG, Buffer.alloc(1024 * 1024)]);
    expect(await upload('/sandbox/zalo/v2.0/oa/upload/image', big, 'big.png', 'image/png')).toMatchObject({ error: -210 });
    expect(await upload('/sandbox/zalo/v2.0/oa/upload/file', PNG, 'a.png', 'image/png')).toMatchObject({ error: -201 });
    const { payload, contentType } = await encodeMultipart(PNG, 'a.png', 'image/png', 'other');
    const res = await t.app.inject({ method: 'POST', url: '/sandbox/zalo/v2.0/oa/upload/image', headers: { ...TOKEN, 'content-type': contentType }, payload });
    expect(res.json()).toMatchObject({ error: -201, message: 'file is invalid' });
  });
});

describe('user detail and quota', () => {
  it('answers user/detail for ?data={"user_id"} with the sandbox user', async () => {
    const data = encodeURIComponent(JSON.stringify({ user_id: 'sandbox-lanhdao' }));
    const res = await t.app.inject({ method: 'GET', url: `/sandbox/zalo/v3.0/oa/user/detail?data=${data}`, headers: TOKEN });
    expect(res.json()).toMatchObject({
      error: 0,
      data: {
        user_id: 'sandbox-lanhdao',
        display_name: 'Lê Minh Lãnh',
        user_is_follower: true,
        user_id_by_app: expect.stringMatching(/^\d{18}$/),
        user_last_interaction_date: '02/03/2026',
        avatar: `${TEST_PUBLIC_BASE_URL}/sandbox/assets/avatar.svg`,
      },
    });
  });

  it('rejects user/detail without a parsable data parameter', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/sandbox/zalo/v3.0/oa/user/detail?data=not-json', headers: TOKEN });
    expect(res.json()).toMatchObject({ error: -201 });
  });

  it('answers quota/message with last_interaction in epoch ms, moved by the user’s events', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/sandbox/api/users', payload: { displayName: 'Trần Thị B' } });
    const { userId } = created.json() as { userId: string };
    t.clock.advance(60_000);
    await t.app.inject({ method: 'POST', url: '/sandbox/api/events', payload: { userId, kind: 'text', text: 'Xin chào' } });
    const { body } = await post('/sandbox/zalo/v3.0/oa/quota/message', { user_id: userId });
    expect(body).toMatchObject({ error: 0, data: { last_interaction: String(Date.parse(TEST_NOW) + 60_000) } });
    expect((await post('/sandbox/zalo/v3.0/oa/quota/message', {})).body.error).toBe(-201);
  });
});

describe('access token', () => {
  it.each([
    ['POST', '/sandbox/zalo/v3.0/oa/message/cs'],
    ['POST', '/sandbox/zalo/v3.0/oa/message/template'],
    ['POST', '/sandbox/business/message/template'],
    ['POST', '/sandbox/zalo/v2.0/oa/upload/image'],
    ['POST', '/sandbox/zalo/v2.0/oa/upload/file'],
    ['GET', '/sandbox/zalo/v3.0/oa/user/detail?data=%7B%22user_id%22%3A%22x%22%7D'],
    ['POST', '/sandbox/zalo/v3.0/oa/quota/message'],
  ] as const)('%s %s without access_token answers -216 with HTTP 200', async (method, url) => {
    const res = await t.app.inject({
      method,
      url,
      ...(method === 'POST' ? { payload: { recipient: { user_id: USER }, message: { text: 'x' } } } : {}),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ error: -216, message: 'Access token is invalid' });
  });

  it('treats an empty access_token header as missing and sends nothing', async () => {
    const before = (await chatOf(USER)).length;
    const { body } = await post('/sandbox/zalo/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { text: 'x' } }, { access_token: '' });
    expect(body.error).toBe(-216);
    expect(await chatOf(USER)).toHaveLength(before);
  });

  it('answers an unknown API path with 404 and Zalo’s text', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/sandbox/zalo/v3.0/oa/message', headers: TOKEN, payload: {} });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ message: 'You are accessing an empty or invalid API' });
  });
});

describe('fault injection', () => {
  const send = () => post('/sandbox/zalo/v3.0/oa/message/cs', { recipient: { user_id: USER }, message: { text: 'Xin chào' } });

  it('makes the next n send calls answer the injected code, then sends again', async () => {
    const injected = await t.app.inject({ method: 'POST', url: '/sandbox/api/faults', payload: { code: -32, times: 2 } });
    expect(injected.json()).toEqual({ pending: 2 });
    const before = (await chatOf(USER)).length;
    expect((await send()).body).toEqual({ error: -32, message: 'Your application/OA reached limit call api' });
    // Template sends count as send calls too.
    expect((await post('/sandbox/zalo/v3.0/oa/message/template', { user_id: USER, template_id: 't', template_data: {} })).body.error).toBe(-32);
    expect((await send()).body.error).toBe(0);
    expect(await chatOf(USER)).toHaveLength(before + 1);
  });

  it('can answer with another HTTP status and message, and can be cleared', async () => {
    await t.app.inject({ method: 'POST', url: '/sandbox/api/faults', payload: { code: -230, times: 1, httpStatus: 503, message: 'boom' } });
    const faulty = await send();
    expect(faulty).toEqual({ status: 503, body: { error: -230, message: 'boom' } });
    await t.app.inject({ method: 'POST', url: '/sandbox/api/faults', payload: { code: -230, times: 3 } });
    const cleared = await t.app.inject({ method: 'DELETE', url: '/sandbox/api/faults' });
    expect(cleared.json()).toEqual({ pending: 0 });
    expect((await send()).body.error).toBe(0);
  });

  it('refuses a fault without a code, in Vietnamese', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/sandbox/api/faults', payload: { times: 2 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_request', message: 'Trường "Mã lỗi" không hợp lệ.' });
  });
});

describe('OAuth v4', () => {
  const url = '/sandbox/oauth/v4/oa/access_token';
  const form = (fields: Record<string, string>, headers: Record<string, string> = { secret_key: 'app-secret' }) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });

  it('exchanges a code, then rotates the refresh token on every refresh', async () => {
    const first = (await form({ app_id: 'sandbox-app', grant_type: 'authorization_code', code: 'abc' })).json() as Record<string, string>;
    expect(first).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), expires_in: '90000' });
    const second = (await form({ app_id: 'sandbox-app', grant_type: 'refresh_token', refresh_token: first.refresh_token! })).json() as Record<string, string>;
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.expires_in).toBe('90000');
    // Single use: the old refresh token is dead once it was used (ZALO.md §6).
    const reused = (await form({ app_id: 'sandbox-app', grant_type: 'refresh_token', refresh_token: first.refresh_token! })).json();
    expect(reused).toMatchObject({ error: -14014 });
    expect(reused).not.toHaveProperty('access_token');
  });

  it('refuses a request without secret_key, with a wrong app_id or an unknown grant', async () => {
    expect((await form({ app_id: 'sandbox-app', grant_type: 'authorization_code', code: 'abc' }, {})).json()).toMatchObject({ error: -14002 });
    expect((await form({ app_id: 'other', grant_type: 'authorization_code', code: 'abc' })).json()).toMatchObject({ error: -14001 });
    expect((await form({ app_id: 'sandbox-app', grant_type: 'password' })).json()).toMatchObject({ error: -14001 });
  });

  it('consents at once and redirects only to our own origin', async () => {
    const ok = await t.app.inject({
      method: 'GET',
      url: `/sandbox/oauth/v4/oa/permission?app_id=sandbox-app&redirect_uri=${encodeURIComponent(`${TEST_PUBLIC_BASE_URL}/zalo/oauth/callback`)}&state=s1`,
    });
    expect(ok.statusCode).toBe(302);
    const location = new URL(ok.headers.location as string);
    expect(location.pathname).toBe('/zalo/oauth/callback');
    expect(location.searchParams.get('state')).toBe('s1');
    expect(location.searchParams.get('oa_id')).toBe('sandbox-oa');
    expect(location.searchParams.get('code')).toMatch(/^[0-9a-f]{32}$/);
    const evil = await t.app.inject({
      method: 'GET',
      url: `/sandbox/oauth/v4/oa/permission?app_id=sandbox-app&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
    });
    expect(evil.statusCode).toBe(400);
  });
});
