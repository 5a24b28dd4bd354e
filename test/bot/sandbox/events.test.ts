import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSandbox } from '../../../bot/sandbox/sandbox.routes.js';
import { registerWebhookRoutes } from '../../../bot/webhook.routes.js';
import { verifyZaloSignature } from '../../../bot/zalo/signature.js';
import { parseZaloEvent } from '../../../bot/zalo/webhook.schema.js';
import { inboundEvents } from '../../../db/schema.js';
import type { AppPart } from '../../../runtime/app.js';
import { buildTestApp, TEST_PUBLIC_BASE_URL, type TestApp } from '../../helpers/build-test-app.js';

/**
 * The sandbox's user actions must reach the product exactly as real Zalo events would: the documented
 * payload shapes (ZALO.md §2.3), a valid X-ZEvent-Signature (§3), and a stored inbound event.
 */

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 7)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(32, 3)]);

interface CapturedWebhook {
  rawBody: string;
  signature: string | undefined;
}

/** Records what /zalo/webhook received, bytes and header, before the webhook handles it. */
function createWebhookRecorder(): { part: AppPart; captured: CapturedWebhook[] } {
  const captured: CapturedWebhook[] = [];
  const part: AppPart = async (app: FastifyInstance) => {
    app.addHook('preHandler', async (req) => {
      if (req.url !== '/zalo/webhook') return;
      const header = req.headers['x-zevent-signature'];
      captured.push({ rawBody: req.rawBody?.toString('utf8') ?? '', signature: Array.isArray(header) ? header[0] : header });
    });
  };
  return { part, captured };
}

let t: TestApp;
const recorder = createWebhookRecorder();

beforeAll(async () => {
  t = await buildTestApp({ parts: [recorder.part, registerSandbox, registerWebhookRoutes] });
});
afterAll(async () => t?.close());

async function createUser(displayName: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/sandbox/api/users', payload: { displayName } });
  expect(res.statusCode).toBe(201);
  return (res.json() as { userId: string }).userId;
}

async function sendEvent(payload: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: '/sandbox/api/events', payload });
  const body = res.json() as { ok: boolean; webhookStatus: number; eventName: string; msgId: string; seq: number; message?: string };
  return { status: res.statusCode, body, webhook: recorder.captured.at(-1)! };
}

async function uploadMedia(bytes: Buffer, fileName: string): Promise<{ mediaId: string; url: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/sandbox/api/media',
    headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(fileName) },
    payload: bytes,
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { mediaId: string; url: string };
}

function userIdByAppOf(webhook: CapturedWebhook): string {
  return (JSON.parse(webhook.rawBody) as { user_id_by_app: string }).user_id_by_app;
}

describe('POST /sandbox/api/events → /zalo/webhook', () => {
  it('signs a text event so that verifyZaloSignature accepts it, and the webhook stores it', async () => {
    const userId = await createUser('Nguyễn Văn An');
    const { status, body, webhook } = await sendEvent({ userId, kind: 'text', text: 'Đèn đường ngõ 12 bị hỏng' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, webhookStatus: 200, eventName: 'user_send_text', msgId: expect.stringMatching(/^[0-9a-f]{20}$/) });

    expect(webhook.signature).toMatch(/^mac=[0-9a-f]{64}$/);
    const timestamp = (JSON.parse(webhook.rawBody) as { timestamp: string }).timestamp;
    expect(
      verifyZaloSignature({ header: webhook.signature, appId: 'sandbox-app', rawBody: webhook.rawBody, timestamp, oaSecretKey: 'sandbox-oa-secret' }),
    ).toBe(true);
    // A tampered body must not verify: the signature covers these exact bytes.
    expect(
      verifyZaloSignature({
        header: webhook.signature,
        appId: 'sandbox-app',
        rawBody: webhook.rawBody.replace('ngõ 12', 'ngõ 13'),
        timestamp,
        oaSecretKey: 'sandbox-oa-secret',
      }),
    ).toBe(false);

    const rows = await t.database.db.select().from(inboundEvents).where(eq(inboundEvents.dedupeKey, body.msgId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ eventName: 'user_send_text', senderId: userId, raw: webhook.rawBody, status: 'pending' });
  });

  it('builds user_send_text as in ZALO.md §2.3', async () => {
    const userId = await createUser('Trần Thị Bình');
    const { body, webhook } = await sendEvent({ userId, kind: 'text', text: 'Xin chào' });
    expect(JSON.parse(webhook.rawBody)).toEqual({
      app_id: 'sandbox-app',
      user_id_by_app: expect.stringMatching(/^\d{18}$/),
      sender: { id: userId },
      recipient: { id: 'sandbox-oa' },
      event_name: 'user_send_text',
      message: { msg_id: body.msgId, text: 'Xin chào' },
      timestamp: String(t.clock.now().getTime()),
    });
    expect(parseZaloEvent(webhook.rawBody)).toMatchObject({ ok: true, event: { type: 'text', userId, msgId: body.msgId, text: 'Xin chào' } });
  });

  it('builds follow and unfollow as in ZALO.md §2.3 and tracks user_is_follower', async () => {
    const userId = await createUser('Lê Văn Cường');
    const followed = await sendEvent({ userId, kind: 'follow' });
    expect(followed.body).toMatchObject({ ok: true, eventName: 'follow' });
    expect(JSON.parse(followed.webhook.rawBody)).toEqual({
      oa_id: 'sandbox-oa',
      follower: { id: userId },
      user_id_by_app: userIdByAppOf(followed.webhook),
      event_name: 'follow',
      source: 'oa_profile',
      app_id: 'sandbox-app',
      timestamp: String(t.clock.now().getTime()),
    });
    expect(parseZaloEvent(followed.webhook.rawBody)).toMatchObject({ ok: true, event: { type: 'follow', userId, source: 'oa_profile' } });

    const detail = async () => {
      const data = encodeURIComponent(JSON.stringify({ user_id: userId }));
      const res = await t.app.inject({ method: 'GET', url: `/sandbox/zalo/v3.0/oa/user/detail?data=${data}`, headers: { access_token: 't' } });
      return (res.json() as { data: { user_is_follower: boolean; display_name: string } }).data;
    };
    expect(await detail()).toMatchObject({ user_is_follower: true, display_name: 'Lê Văn Cường' });

    // Follow events carry no msg_id: the webhook keys them by a hash of the body, so time must move on.
    t.clock.advance(1_000);
    const unfollowed = await sendEvent({ userId, kind: 'unfollow' });
    expect(JSON.parse(unfollowed.webhook.rawBody)).toMatchObject({ event_name: 'unfollow', follower: { id: userId } });
    expect(unfollowed.body.ok).toBe(true);
    expect((await detail()).user_is_follower).toBe(false);
  });

  it('builds user_send_location with string coordinates as in ZALO.md §2.3', async () => {
    const userId = await createUser('Phạm Thị Dung');
    const { body, webhook } = await sendEvent({ userId, kind: 'location', latitude: 21.0285, longitude: 105.8542 });
    expect(JSON.parse(webhook.rawBody)).toEqual({
      app_id: 'sandbox-app',
      user_id_by_app: userIdByAppOf(webhook),
      sender: { id: userId },
      recipient: { id: 'sandbox-oa' },
      event_name: 'user_send_location',
      message: {
        msg_id: body.msgId,
        attachments: [{ type: 'location', payload: { coordinates: { latitude: '21.0285', longitude: '105.8542' } } }],
      },
      timestamp: String(t.clock.now().getTime()),
    });
    expect(parseZaloEvent(webhook.rawBody)).toMatchObject({ ok: true, event: { type: 'location', latitude: 21.0285, longitude: 105.8542 } });
  });

  it('builds user_send_image with the sandbox media URL as the CDN url, and serves those bytes', async () => {
    const userId = await createUser('Hoàng Văn Em');
    const media = await uploadMedia(PNG, 'hiện trường.png');
    expect(media.url).toBe(`${TEST_PUBLIC_BASE_URL}/sandbox/media/${media.mediaId}`);
    const { body, webhook } = await sendEvent({ userId, kind: 'image', mediaId: media.mediaId, text: 'ảnh hiện trường' });
    expect(JSON.parse(webhook.rawBody)).toEqual({
      app_id: 'sandbox-app',
      user_id_by_app: userIdByAppOf(webhook),
      sender: { id: userId },
      recipient: { id: 'sandbox-oa' },
      event_name: 'user_send_image',
      message: {
        msg_id: body.msgId,
        text: 'ảnh hiện trường',
        attachments: [{ type: 'image', payload: { url: media.url, thumbnail: media.url } }],
      },
      timestamp: String(t.clock.now().getTime()),
    });
    expect(parseZaloEvent(webhook.rawBody)).toMatchObject({ ok: true, event: { type: 'image', attachments: [{ type: 'image', url: media.url }] } });

    const served = await t.app.inject({ method: 'GET', url: new URL(media.url).pathname });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.rawPayload.equals(PNG)).toBe(true);
  });

  it('builds user_send_file with name and size', async () => {
    const userId = await createUser('Vũ Thị Giang');
    const media = await uploadMedia(PDF, 'đơn kiến nghị.pdf');
    const { body, webhook } = await sendEvent({ userId, kind: 'file', mediaId: media.mediaId });
    expect(JSON.parse(webhook.rawBody)).toMatchObject({
      event_name: 'user_send_file',
      message: { msg_id: body.msgId, attachments: [{ type: 'file', payload: { url: media.url, name: 'đơn kiến nghị.pdf', size: String(PDF.length) } }] },
    });
    expect(parseZaloEvent(webhook.rawBody)).toMatchObject({ ok: true, event: { type: 'file', attachments: [{ name: 'đơn kiến nghị.pdf', size: PDF.length }] } });
  });

  it('builds user_submit_info as in ZALO.md §2.3 with the phone as 84…, and exposes it as shared_info', async () => {
    const userId = await createUser('Nguyễn Văn A');
    const { body, webhook } = await sendEvent({ userId, kind: 'submit_info', name: 'Nguyễn Văn A', phone: '0912 345 678' });
    expect(body).toMatchObject({ ok: true, eventName: 'user_submit_info' });
    expect(JSON.parse(webhook.rawBody)).toEqual({
      app_id: 'sandbox-app',
      user_id_by_app: userIdByAppOf(webhook),
      sender: { id: userId },
      recipient: { id: 'sandbox-oa' },
      event_name: 'user_submit_info',
      timestamp: String(t.clock.now().getTime()),
      info: { name: 'Nguyễn Văn A', phone: '84912345678' },
    });
    expect(parseZaloEvent(webhook.rawBody)).toMatchObject({ ok: true, event: { type: 'submit_info', userId, name: 'Nguyễn Văn A', phone: '84912345678' } });

    const data = encodeURIComponent(JSON.stringify({ user_id: userId }));
    const detail = await t.app.inject({ method: 'GET', url: `/sandbox/zalo/v3.0/oa/user/detail?data=${data}`, headers: { access_token: 't' } });
    expect(detail.json()).toMatchObject({ data: { shared_info: { name: 'Nguyễn Văn A', phone: '84912345678' } } });
  });

  it('stores the user’s message in the chat, hidden for an oa.query.hide payload', async () => {
    const userId = await createUser('Đỗ Minh Hải');
    await sendEvent({ userId, kind: 'text', text: 'Tôi muốn phản ánh' });
    await sendEvent({ userId, kind: 'text', text: '#pakn_moi', hidden: true });
    const res = await t.app.inject({ method: 'GET', url: `/sandbox/api/messages?userId=${userId}` });
    const { messages } = res.json() as { messages: Array<Record<string, unknown>> };
    expect(messages.map((m) => [m.from, m.kind, m.text, m.hidden])).toEqual([
      ['user', 'text', 'Tôi muốn phản ánh', undefined],
      ['user', 'text', '#pakn_moi', true],
    ]);
    // `after` returns only what the page has not seen yet.
    const after = await t.app.inject({ method: 'GET', url: `/sandbox/api/messages?userId=${userId}&after=${messages[0]!.seq as number}` });
    expect((after.json() as { messages: unknown[] }).messages).toHaveLength(1);
  });

  it('uses the configured app id, OA id and secret of the app', async () => {
    const other = await buildTestApp({
      parts: [recorder.part, registerSandbox, registerWebhookRoutes],
      database: t.database,
      env: { ZALO_OA_SECRET_KEY: 'another-secret', ZALO_OA_ID: '388613280878808645' },
    });
    try {
      const res = await other.app.inject({ method: 'POST', url: '/sandbox/api/events', payload: { userId: 'sandbox-dieuphoi', kind: 'text', text: 'Chào' } });
      expect(res.json()).toMatchObject({ ok: true, webhookStatus: 200 });
      const webhook = recorder.captured.at(-1)!;
      const body = JSON.parse(webhook.rawBody) as { recipient: { id: string }; timestamp: string };
      expect(body.recipient.id).toBe('388613280878808645');
      expect(
        verifyZaloSignature({ header: webhook.signature, appId: 'sandbox-app', rawBody: webhook.rawBody, timestamp: body.timestamp, oaSecretKey: 'another-secret' }),
      ).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('page API validation', () => {
  it('lists the demo officials first', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/sandbox/api/users' });
    const { users } = res.json() as { users: Array<{ userId: string; kind: string }> };
    expect(users.slice(0, 4).map((u) => u.userId)).toEqual(['sandbox-dieuphoi', 'sandbox-chuyenvien', 'sandbox-lanhdao', 'sandbox-quantri']);
    expect(users.slice(0, 4).every((u) => u.kind === 'official')).toBe(true);
  });

  it('creates users with sandbox-u- ids', async () => {
    expect(await createUser('Bùi Thị Lan')).toMatch(/^sandbox-u-[0-9a-f]{10}$/);
  });

  it.each([
    ['/sandbox/api/users', { displayName: '   ' }, 'Trường "Tên hiển thị" không hợp lệ.'],
    ['/sandbox/api/events', { userId: 'sandbox-dieuphoi', kind: 'shout' }, 'Trường "Loại thao tác" không hợp lệ.'],
    ['/sandbox/api/events', { userId: 'sandbox-dieuphoi', kind: 'text', text: '' }, 'Trường "Nội dung tin nhắn" không hợp lệ.'],
    ['/sandbox/api/events', { userId: 'sandbox-dieuphoi', kind: 'location', latitude: 91, longitude: 105 }, 'Trường "Vĩ độ" không hợp lệ.'],
    ['/sandbox/api/events', { userId: 'sandbox-dieuphoi', kind: 'submit_info', name: 'A', phone: '12345' }, 'Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678).'],
    ['/sandbox/api/events', { userId: 'sandbox-dieuphoi', kind: 'image', mediaId: 'missing' }, 'Không tìm thấy ảnh đã tải lên; vui lòng chọn lại ảnh.'],
    ['/sandbox/api/media', { base64: '' }, 'Trường "Dữ liệu tệp" không hợp lệ.'],
    ['/sandbox/api/media', { base64: Buffer.from('<html>').toString('base64') }, 'Chỉ nhận ảnh PNG, JPEG, GIF, WebP hoặc tệp PDF, DOC, DOCX.'],
  ])('POST %s %j → 400 in Vietnamese', async (url, payload, message) => {
    const before = recorder.captured.length;
    const res = await t.app.inject({ method: 'POST', url, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_request', message });
    expect(recorder.captured).toHaveLength(before);
  });

  it('answers 404 for an unknown sandbox user', async () => {
    const events = await t.app.inject({ method: 'POST', url: '/sandbox/api/events', payload: { userId: 'sandbox-u-nobody', kind: 'follow' } });
    expect(events.statusCode).toBe(404);
    const messages = await t.app.inject({ method: 'GET', url: '/sandbox/api/messages?userId=sandbox-u-nobody' });
    expect(messages.statusCode).toBe(404);
    expect(messages.json()).toMatchObject({ message: expect.stringContaining('Không tìm thấy người dùng') });
  });

  it('accepts media as base64 JSON', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/sandbox/api/media', payload: { base64: PNG.toString('base64'), fileName: 'a.png' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ mediaId: expect.stringMatching(/^[0-9a-f]{24}$/), kind: 'image', mime: 'image/png' });
  });
});
