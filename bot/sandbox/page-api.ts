import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { httpError } from '../../runtime/app.js';
import type { Config } from '../../runtime/config.js';
import { normalisePhoneForZalo } from '../zalo/phone-number.js';
import { ZALO_ERROR_MESSAGES } from './fake-zalo-api.js';
import { detectMediaType } from '../media/detect-media-type.js';
import { generateHexId, type SandboxMessageBody, type SandboxStore, type SandboxUser } from './sandbox-store.js';
import { buildWebhookEvent, eventNameOf, signWebhookEvent, type SandboxUserAction } from './webhook-event.js';

/**
 * The JSON API behind the chat page (and the end-to-end tests): sandbox users, their chats, and the
 * user's actions, each turned into the real signed Zalo webhook and handed to /zalo/webhook.
 */

const MAX_USER_TEXT_CHARS = 5_000;
/** Phone photos are bigger than the OA's 1 MB upload limit; Zalo users may send them anyway. */
const MAX_USER_MEDIA_BYTES = 5 * 1024 * 1024;
/** Base64 in JSON is a third larger than the bytes. */
const MEDIA_BODY_LIMIT = Math.ceil(MAX_USER_MEDIA_BYTES * 1.4) + 4096;

/** Vietnamese names of the request fields, for error messages people read. */
const FIELD_LABELS: Record<string, string> = {
  userId: 'Người dùng',
  displayName: 'Tên hiển thị',
  kind: 'Loại thao tác',
  text: 'Nội dung tin nhắn',
  latitude: 'Vĩ độ',
  longitude: 'Kinh độ',
  mediaId: 'Ảnh hoặc tệp',
  name: 'Họ và tên',
  phone: 'Số điện thoại',
  after: 'Số thứ tự tin nhắn',
  code: 'Mã lỗi',
  times: 'Số lần',
  httpStatus: 'Mã HTTP',
  base64: 'Dữ liệu tệp',
  fileName: 'Tên tệp',
};

export function replyBadRequest(reply: FastifyReply, message: string, details?: unknown) {
  return reply.code(400).send({ ...httpError(400, details), message });
}

function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue?.path[0];
  const label = typeof field === 'string' ? (FIELD_LABELS[field] ?? field) : undefined;
  return label ? `Trường "${label}" không hợp lệ.` : 'Yêu cầu không hợp lệ.';
}

function parseOrReply<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  void replyBadRequest(reply, describeZodError(parsed.error), parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })));
  return undefined;
}

const ZUserId = z.string().trim().min(1).max(80);
const ZCreateUser = z.object({ displayName: z.string().trim().min(1).max(60) });
const ZMessagesQuery = z.object({ userId: ZUserId, after: z.coerce.number().int().min(0).default(0) });
const ZText = z
  .string()
  .trim()
  .min(1)
  .refine((t) => [...t].length <= MAX_USER_TEXT_CHARS);

export const ZSandboxEventRequest = z.discriminatedUnion('kind', [
  z.object({ userId: ZUserId, kind: z.enum(['follow', 'unfollow']) }),
  // `hidden`: an `oa.query.hide` button, whose payload Zalo sends without showing it in the chat.
  z.object({ userId: ZUserId, kind: z.literal('text'), text: ZText, hidden: z.boolean().optional() }),
  z.object({ userId: ZUserId, kind: z.literal('location'), latitude: z.coerce.number().min(-90).max(90), longitude: z.coerce.number().min(-180).max(180) }),
  z.object({ userId: ZUserId, kind: z.literal('image'), mediaId: z.string().min(1).max(80), text: z.string().trim().max(2_000).optional() }),
  z.object({ userId: ZUserId, kind: z.literal('file'), mediaId: z.string().min(1).max(80) }),
  z.object({ userId: ZUserId, kind: z.literal('submit_info'), name: z.string().trim().min(1).max(100), phone: z.string().trim().min(1).max(20) }),
]);
export type TSandboxEventRequest = z.infer<typeof ZSandboxEventRequest>;

const ZFaultRequest = z.object({
  code: z.number().int().refine((c) => c !== 0),
  times: z.number().int().min(1).max(100).default(1),
  message: z.string().max(200).optional(),
  httpStatus: z.number().int().min(200).max(599).default(200),
});

const ZMediaJson = z.object({ base64: z.string().min(1), fileName: z.string().trim().max(200).optional() });

function describeUser(user: SandboxUser) {
  return {
    userId: user.userId,
    displayName: user.displayName,
    kind: user.kind,
    ...(user.label === undefined ? {} : { label: user.label }),
    follower: user.follower,
    ...(user.sharedInfo ? { sharedInfo: user.sharedInfo } : {}),
  };
}

function readHeader(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface SandboxPageApiOptions {
  config: Config;
  store: SandboxStore;
  /** The whole app, to hand events to /zalo/webhook exactly as an HTTP request from Zalo would. */
  root: FastifyInstance;
}

export async function registerSandboxPageApi(app: FastifyInstance, options: SandboxPageApiOptions): Promise<void> {
  const { config, store, root } = options;
  const mediaUrl = (id: string) => `${config.publicBaseUrl}/sandbox/media/${encodeURIComponent(id)}`;

  await app.register(async (api) => {
    api.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_USER_MEDIA_BYTES }, (_req, body, done) => done(null, body));

    api.get('/sandbox/api/users', async () => ({ users: store.listUsers().map(describeUser) }));

    api.post('/sandbox/api/users', async (req, reply) => {
      const body = parseOrReply(ZCreateUser, req.body, reply);
      if (!body) return reply;
      const user = store.createUser({ displayName: body.displayName });
      return reply.code(201).send({ userId: user.userId, user: describeUser(user) });
    });

    api.get('/sandbox/api/messages', async (req, reply) => {
      const query = parseOrReply(ZMessagesQuery, req.query, reply);
      if (!query) return reply;
      const user = store.findUser(query.userId);
      if (!user) return reply.code(404).send({ ...httpError(404), message: 'Không tìm thấy người dùng sandbox này (có thể máy chủ vừa khởi động lại).' });
      return { user: describeUser(user), messages: store.listMessages(user.userId, query.after), lastSeq: store.lastSeq, epoch: store.epoch };
    });

    api.post('/sandbox/api/media', { bodyLimit: MEDIA_BODY_LIMIT }, async (req, reply) => {
      let bytes: Buffer;
      let fileName: string | undefined;
      if (Buffer.isBuffer(req.body)) {
        bytes = req.body;
        const header = readHeader(req, 'x-file-name');
        try {
          fileName = header ? decodeURIComponent(header).slice(0, 200) : undefined;
        } catch {
          fileName = undefined;
        }
      } else {
        const body = parseOrReply(ZMediaJson, req.body, reply);
        if (!body) return reply;
        bytes = Buffer.from(body.base64, 'base64');
        fileName = body.fileName;
      }
      if (bytes.length === 0) return replyBadRequest(reply, 'Tệp rỗng.');
      if (bytes.length > MAX_USER_MEDIA_BYTES) return replyBadRequest(reply, 'Tệp lớn hơn 5 MB.');
      const type = detectMediaType(bytes, fileName);
      if (!type) return replyBadRequest(reply, 'Chỉ nhận ảnh PNG, JPEG, GIF, WebP hoặc tệp PDF, DOC, DOCX.');
      const media = store.addMedia({ bytes, mime: type.mime, fileName: fileName ?? `tep.${type.extension}` });
      return reply.code(201).send({ mediaId: media.id, url: mediaUrl(media.id), kind: type.kind, mime: type.mime });
    });

    api.get('/sandbox/api/faults', async () => ({ pending: store.pendingFaults }));

    api.post('/sandbox/api/faults', async (req, reply) => {
      const body = parseOrReply(ZFaultRequest, req.body, reply);
      if (!body) return reply;
      store.injectFault({ code: body.code, message: body.message ?? ZALO_ERROR_MESSAGES[body.code] ?? 'Injected error', httpStatus: body.httpStatus }, body.times);
      return { pending: store.pendingFaults };
    });

    api.delete('/sandbox/api/faults', async () => {
      store.clearFaults();
      return { pending: 0 };
    });

    api.post('/sandbox/api/events', async (req, reply) => {
      const body = parseOrReply(ZSandboxEventRequest, req.body, reply);
      if (!body) return reply;
      const user = store.findUser(body.userId);
      if (!user) return reply.code(404).send({ ...httpError(404), message: 'Không tìm thấy người dùng sandbox này.' });

      const prepared = prepareAction(body, store, mediaUrl);
      if ('error' in prepared) return replyBadRequest(reply, prepared.error);

      const msgId = generateHexId(20);
      if (body.kind === 'follow' || body.kind === 'unfollow') store.setFollower(user.userId, body.kind === 'follow');
      if (body.kind === 'submit_info' && prepared.action.kind === 'submit_info') {
        store.setSharedInfo(user.userId, { name: prepared.action.name, phone: prepared.action.phone });
        store.markInfoRequestsAnswered(user.userId);
      }
      // Unfollowing is not an interaction that opens the messaging window (ZALO.md §5).
      if (body.kind !== 'unfollow') store.recordInteraction(user.userId);
      // The chat shows the user's own message first, as the Zalo app does before the OA reacts.
      const stored = store.addMessage({ ...prepared.chat, userId: user.userId, from: 'user', messageId: msgId });

      const event = buildWebhookEvent(prepared.action, {
        appId: config.zalo.appId,
        oaId: config.zalo.oaId,
        userId: user.userId,
        userIdByApp: user.userIdByApp,
        timestamp: String(stored.at),
        msgId,
      });
      const { rawBody, signature } = signWebhookEvent(event, { appId: config.zalo.appId, oaSecretKey: config.zalo.oaSecretKey });
      const response = await root.inject({
        method: 'POST',
        url: '/zalo/webhook',
        headers: { 'content-type': 'application/json', 'x-zevent-signature': signature },
        payload: rawBody,
      });
      let webhookResponse: unknown;
      try {
        webhookResponse = response.json();
      } catch {
        webhookResponse = response.body.slice(0, 500);
      }
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      if (!ok) req.log.warn({ status: response.statusCode, eventName: eventNameOf(prepared.action) }, 'sandbox event refused by the webhook');
      return {
        ok,
        webhookStatus: response.statusCode,
        webhookResponse,
        eventName: eventNameOf(prepared.action),
        msgId,
        seq: stored.seq,
      };
    });
  });
}

/** What the webhook gets and what the chat shows for one user action; media must exist in the sandbox. */
function prepareAction(
  body: TSandboxEventRequest,
  store: SandboxStore,
  mediaUrl: (id: string) => string,
): { action: SandboxUserAction; chat: SandboxMessageBody } | { error: string } {
  switch (body.kind) {
    case 'follow':
      return { action: { kind: 'follow' }, chat: { kind: 'follow' } };
    case 'unfollow':
      return { action: { kind: 'unfollow' }, chat: { kind: 'unfollow' } };
    case 'text':
      return {
        action: { kind: 'text', text: body.text },
        chat: { kind: 'text', text: body.text, ...(body.hidden ? { hidden: true } : {}) },
      };
    case 'location':
      return {
        action: { kind: 'location', latitude: body.latitude, longitude: body.longitude },
        chat: { kind: 'location', latitude: body.latitude, longitude: body.longitude },
      };
    case 'image': {
      const media = store.findMedia(body.mediaId);
      if (!media || !media.mime.startsWith('image/')) return { error: 'Không tìm thấy ảnh đã tải lên; vui lòng chọn lại ảnh.' };
      const caption = body.text ? { text: body.text } : {};
      return {
        action: { kind: 'image', url: mediaUrl(media.id), ...caption },
        chat: { kind: 'image', imageUrl: `/sandbox/media/${encodeURIComponent(media.id)}`, ...caption },
      };
    }
    case 'file': {
      const media = store.findMedia(body.mediaId);
      if (!media) return { error: 'Không tìm thấy tệp đã tải lên; vui lòng chọn lại tệp.' };
      const name = media.fileName ?? 'tep-dinh-kem';
      return {
        action: { kind: 'file', url: mediaUrl(media.id), name, size: media.bytes.length },
        chat: { kind: 'file', fileUrl: `/sandbox/media/${encodeURIComponent(media.id)}`, fileName: name, size: media.bytes.length },
      };
    }
    case 'submit_info': {
      // Zalo hands over the phone as 84xxxxxxxxx whatever the user typed (ZALO.md §2.3).
      const phone = normalisePhoneForZalo(body.phone);
      if (!phone) return { error: 'Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678).' };
      return { action: { kind: 'submit_info', name: body.name, phone }, chat: { kind: 'submit_info', name: body.name, phone } };
    }
  }
}
