import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../runtime/config.js';
import { detectMediaType } from '../media/detect-media-type.js';
import { findMultipartFile, readMultipartBoundary } from './multipart-file.js';
import { generateHexId, type SandboxButton, type SandboxMessage, type SandboxMessageBody, type SandboxStore } from './sandbox-store.js';
import { buildOaEchoEvent, signWebhookEvent } from './webhook-event.js';

/**
 * The fake Zalo OA Open API, OAuth and ZBS endpoints (ZALO.md §4, §5.1, §6, §7): same paths under
 * /sandbox/{zalo,business,oauth}, same wire formats, same envelope and error style, so the product's
 * real Zalo client runs against it unchanged. Bodies are checked as strictly as the documented formats
 * allow: a client bug must fail here, in a demo, not on the city's OA.
 */


const INVALID_DATA_QUERY = Symbol('invalid data query');

/** Zalo's GET endpoints take their arguments as JSON in the `data` query parameter. */
function readDataQuery(query: unknown): unknown {
  const parsed = z.object({ data: z.string() }).safeParse(query);
  if (!parsed.success) return INVALID_DATA_QUERY;
  try {
    return JSON.parse(parsed.data.data) as unknown;
  } catch {
    return INVALID_DATA_QUERY;
  }
}

export const MAX_CS_TEXT_CHARS = 2_000;
export const MAX_BUTTONS = 5;
const MAX_IMAGE_UPLOAD_BYTES = 1024 * 1024;
const MAX_FILE_UPLOAD_BYTES = 5 * 1024 * 1024;
/** Room for the multipart framing around a 5 MB file. */
const UPLOAD_BODY_LIMIT = MAX_FILE_UPLOAD_BYTES + 64 * 1024;

/** Messages of the codes the sandbox answers, worded like Zalo's (ZALO.md §4.4). */
export const ZALO_ERROR_MESSAGES: Record<number, string> = {
  [-32]: 'Your application/OA reached limit call api',
  [-100]: 'The attachment has expired or does not exist',
  [-108]: 'Phone number is invalid',
  [-201]: 'Parameters are invalid',
  [-210]: 'Parameter exceeds the allowed limit',
  [-211]: 'Out of quota',
  [-213]: 'User has not followed the OA',
  [-216]: 'Access token is invalid',
  [-217]: 'User has blocked invitations from the OA',
  [-220]: 'Access token has expired or been removed',
  [-227]: 'User is banned or has been inactive for more than 45 days',
  [-230]: 'User has not interacted with the OA in the last 7 days',
  [-232]: 'User interaction has expired',
  [-234]: 'Cannot send this message at night (22:00-06:00)',
  [-244]: 'User has restricted this message type from the OA',
};

export interface ZaloEnvelope {
  error: number;
  message: string;
  data?: Record<string, unknown>;
}

export function replyZaloSuccess(data: Record<string, unknown>): ZaloEnvelope {
  return { error: 0, message: 'Success', data };
}

export function replyZaloError(code: number, message?: string): ZaloEnvelope {
  return { error: code, message: message ?? ZALO_ERROR_MESSAGES[code] ?? 'Unknown error' };
}

/** Zalo names the offending field: `-201 <field> is invalid` (ZALO.md §4.4). */
function describeInvalidField(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  return `${field} is invalid`;
}

/** Length as Zalo counts it: code points of the NFC form (ZALO.md §8.11). */
export function countZaloChars(text: string): number {
  return [...text.normalize('NFC')].length;
}

// ───────────── request bodies ─────────────

const ZId = z.string().trim().min(1).max(64);
const ZTextContent = z
  .string()
  .min(1)
  .refine((t) => countZaloChars(t) <= MAX_CS_TEXT_CHARS, `text is longer than ${MAX_CS_TEXT_CHARS} characters`);
const ZButtonTitle = z.string().trim().min(1).max(100);

const ZButton = z.discriminatedUnion('type', [
  z.object({ title: ZButtonTitle, type: z.enum(['oa.query.show', 'oa.query.hide']), payload: z.string().min(1).max(1000) }),
  z.object({ title: ZButtonTitle, type: z.literal('oa.open.url'), payload: z.object({ url: z.url({ protocol: /^https?$/ }) }) }),
  z.object({ title: ZButtonTitle, type: z.literal('oa.open.phone'), payload: z.object({ phone_code: z.string().min(1).max(20) }) }),
  z.object({
    title: ZButtonTitle,
    type: z.literal('oa.open.sms'),
    payload: z.object({ phone_code: z.string().min(1).max(20), content: z.string().max(160) }),
  }),
]);
type TButton = z.infer<typeof ZButton>;

const ZCsBody = z.object({
  recipient: z.object({ user_id: ZId }),
  message: z.object({
    text: ZTextContent.optional(),
    quote_message_id: z.string().min(1).max(64).optional(),
    attachment: z.object({ type: z.enum(['template', 'file']), payload: z.record(z.string(), z.unknown()) }).optional(),
  }),
});

const ZFilePayload = z.object({ token: z.string().min(1) });
const ZMediaPayload = z.object({
  template_type: z.literal('media'),
  elements: z
    .array(
      z
        .object({
          media_type: z.enum(['image', 'gif']),
          url: z.url({ protocol: /^https?$/ }).optional(),
          attachment_id: z.string().min(1).optional(),
          width: z.number().int().positive().optional(),
          height: z.number().int().positive().optional(),
        })
        .refine((e) => (e.url === undefined) !== (e.attachment_id === undefined), 'exactly one of url and attachment_id')
        .refine((e) => e.media_type !== 'gif' || (e.width !== undefined && e.height !== undefined), 'a gif needs width and height'),
    )
    .length(1),
});
const ZRequestInfoPayload = z.object({
  template_type: z.literal('request_user_info'),
  elements: z
    .array(
      z.object({
        title: z.string().trim().min(1).max(100),
        subtitle: z.string().trim().min(1).max(500),
        image_url: z.url({ protocol: /^https?$/ }).optional(),
      }),
    )
    .length(1),
});
const ZButtonsPayload = z.object({
  template_type: z.literal('button').optional(),
  buttons: z.array(ZButton).min(1).max(MAX_BUTTONS),
});

const ZTemplateData = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const ZUidTemplateBody = z.object({
  user_id: ZId,
  template_id: z.string().trim().min(1).max(64),
  template_data: ZTemplateData,
  mode: z.enum(['development', 'production']).optional(),
});
const ZPhoneTemplateBody = z.object({
  phone: z.string().trim().min(1),
  template_id: z.string().trim().min(1).max(64),
  template_data: ZTemplateData,
  tracking_id: z.string().max(48).optional(),
  mode: z.enum(['development', 'production']).optional(),
});
/** ZBS by phone: `84` + 9 digits, `+84` tolerated; a leading 0 is refused (ZALO.md §5.1). */
const ZBS_PHONE = /^\+?84[35789]\d{8}$/;

const ZUserIdBody = z.object({ user_id: ZId });

const ZTokenRequest = z.discriminatedUnion('grant_type', [
  z.object({ grant_type: z.literal('authorization_code'), app_id: z.string().min(1), code: z.string().min(1), code_verifier: z.string().optional() }),
  z.object({ grant_type: z.literal('refresh_token'), app_id: z.string().min(1), refresh_token: z.string().min(1) }),
]);

// ───────────── helpers ─────────────

function readHeader(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim() !== '' ? first : undefined;
}

/** Everything under /sandbox/zalo and /sandbox/business needs the `access_token` header (ZALO.md §4.1). */
function rejectWithoutAccessToken(req: FastifyRequest, reply: FastifyReply): boolean {
  if (readHeader(req, 'access_token')) return false;
  void reply.code(200).send(replyZaloError(-216));
  return true;
}

function mediaPath(id: string): string {
  return `/sandbox/media/${encodeURIComponent(id)}`;
}

function toSandboxButton(button: TButton): SandboxButton {
  switch (button.type) {
    case 'oa.query.show':
    case 'oa.query.hide':
      return { title: button.title, type: button.type, payload: button.payload };
    case 'oa.open.url':
      return { title: button.title, type: button.type, payload: button.payload.url };
    case 'oa.open.phone':
    case 'oa.open.sms':
      return { title: button.title, type: button.type, payload: button.payload.phone_code };
  }
}

function formatZaloDate(ms: number): string {
  // Zalo gives `user_last_interaction_date` as DD/MM/YYYY, Vietnam time (ZALO.md §7, §8.9).
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric' }).format(ms);
}

function generateToken(): string {
  return randomBytes(48).toString('base64url');
}

type ParsedCsMessage = { ok: true; body: SandboxMessageBody } | { ok: false; envelope: ZaloEnvelope };

function parsePayload<T>(schema: z.ZodType<T>, value: unknown, prefix: string): { ok: true; data: T } | { ok: false; envelope: ZaloEnvelope } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].join('.');
  return { ok: false, envelope: replyZaloError(-201, `${field} is invalid`) };
}

/** Works out which documented message shape a CS body is (ZALO.md §4.2) and what the chat shows. */
function classifyCsMessage(message: z.infer<typeof ZCsBody>['message'], store: SandboxStore): ParsedCsMessage {
  const { text, attachment } = message;
  if (!attachment) {
    if (text === undefined) return { ok: false, envelope: replyZaloError(-201, 'message.text is invalid') };
    return {
      ok: true,
      body: { kind: 'text', text, ...(message.quote_message_id === undefined ? {} : { quoteMessageId: message.quote_message_id }) },
    };
  }
  const prefix = 'message.attachment.payload';
  if (attachment.type === 'file') {
    const payload = parsePayload(ZFilePayload, attachment.payload, prefix);
    if (!payload.ok) return payload;
    const file = store.findMedia(payload.data.token);
    if (!file) return { ok: false, envelope: replyZaloError(-100) };
    return {
      ok: true,
      body: {
        kind: 'file',
        fileUrl: mediaPath(file.id),
        fileName: file.fileName ?? 'tep-dinh-kem',
        size: file.bytes.length,
        ...(text === undefined ? {} : { text }),
      },
    };
  }
  const templateType = attachment.payload.template_type;
  if (templateType === 'media') {
    const payload = parsePayload(ZMediaPayload, attachment.payload, prefix);
    if (!payload.ok) return payload;
    const element = payload.data.elements[0]!;
    let imageUrl = element.url;
    if (element.attachment_id !== undefined) {
      if (!store.findMedia(element.attachment_id)) return { ok: false, envelope: replyZaloError(-100) };
      imageUrl = mediaPath(element.attachment_id);
    }
    return { ok: true, body: { kind: 'image', imageUrl: imageUrl ?? '', ...(text === undefined ? {} : { text }) } };
  }
  if (templateType === 'request_user_info') {
    const payload = parsePayload(ZRequestInfoPayload, attachment.payload, prefix);
    if (!payload.ok) return payload;
    const element = payload.data.elements[0]!;
    return {
      ok: true,
      body: {
        kind: 'request_user_info',
        title: element.title,
        subtitle: element.subtitle,
        ...(element.image_url === undefined ? {} : { imageUrl: element.image_url }),
      },
    };
  }
  if (templateType === undefined || templateType === 'button') {
    const payload = parsePayload(ZButtonsPayload, attachment.payload, prefix);
    if (!payload.ok) return payload;
    if (text === undefined) return { ok: false, envelope: replyZaloError(-201, 'message.text is invalid') };
    return { ok: true, body: { kind: 'buttons', text, buttons: payload.data.buttons.map(toSandboxButton) } };
  }
  // `list` and the rest are not documented for v3 /message/cs (ZALO.md §4.2): refuse, so nobody relies on them.
  return { ok: false, envelope: replyZaloError(-201, `${prefix}.template_type is invalid`) };
}

// ───────────── routes ─────────────

export interface FakeZaloApiOptions {
  config: Config;
  store: SandboxStore;
  /**
   * Where the `oa_send_*` echoes of the OA's sends go, as real Zalo posts them to the webhook when the app
   * subscribes to them: a signed body, handed over after the send was answered. Absent: no echoes.
   */
  postWebhook?: (rawBody: string, signature: string) => Promise<unknown>;
}

/** Echoes of the conversation API's newest-first pages: at most this many per call (ZALO.md §7). */
const MAX_CONVERSATION_COUNT = 10;

/** Registers the fake OA API (/sandbox/zalo), ZBS by phone (/sandbox/business) and OAuth (/sandbox/oauth). */
export async function registerFakeZaloApi(app: FastifyInstance, options: FakeZaloApiOptions): Promise<void> {
  const { config, store, postWebhook } = options;
  /** Posts the echo of an OA message to the webhook, after this request's answer (Zalo does it asynchronously). */
  const echo = (message: SandboxMessage): void => {
    if (!postWebhook) return;
    const event = buildOaEchoEvent(message, { appId: config.zalo.appId, oaId: config.zalo.oaId, userId: message.userId });
    if (!event) return;
    const { rawBody, signature } = signWebhookEvent(event, { appId: config.zalo.appId, oaSecretKey: config.zalo.oaSecretKey });
    setImmediate(() => void postWebhook(rawBody, signature).catch((err: unknown) => app.log.warn({ err }, 'sandbox echo not delivered')));
  };
  /** An injected fault, if one is waiting: the next send call answers it instead of sending. */
  const takeFault = (reply: FastifyReply): boolean => {
    const fault = store.takeFault();
    if (!fault) return false;
    void reply.code(fault.httpStatus).send(replyZaloError(fault.code, fault.message));
    return true;
  };

  /** What both API hosts share: the token check, Zalo-style errors, multipart for uploads. */
  const prepareApiScope = (api: FastifyInstance) => {
    api.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const status = err.statusCode ?? 500;
      if (status >= 500) {
        // A bug in the sandbox itself: answer like a Zalo outage rather than hide it behind a -201.
        req.log.error({ err }, 'sandbox Zalo API failed');
        return reply.code(500).send(replyZaloError(-1, 'Internal server error'));
      }
      // Unreadable bodies get a Zalo-style answer too, so the client's error handling is what is tested.
      const tooLarge = status === 413;
      req.log.info({ err: err.message }, 'sandbox Zalo API rejected a request');
      return reply.code(200).send(replyZaloError(tooLarge ? -210 : -201, tooLarge ? 'Request body is too large' : 'body is invalid'));
    });
    // The bare or a misspelt path: Zalo answers 404 with this text and no code (ZALO.md §4.1).
    api.setNotFoundHandler((_req, reply) => reply.code(404).send({ message: 'You are accessing an empty or invalid API' }));
    api.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT }, (_req, body, done) => done(null, body));
    api.addHook('onRequest', async (req, reply) => {
      if (rejectWithoutAccessToken(req, reply)) return reply;
      return undefined;
    });
  };

  await app.register(
    async (api) => {
      prepareApiScope(api);

      api.post('/v3.0/oa/message/cs', async (req, reply) => {
        if (takeFault(reply)) return reply;
        const parsed = ZCsBody.safeParse(req.body);
        if (!parsed.success) return replyZaloError(-201, describeInvalidField(parsed.error));
        const classified = classifyCsMessage(parsed.data.message, store);
        if (!classified.ok) return classified.envelope;
        const userId = parsed.data.recipient.user_id;
        const message = store.addMessage({ ...classified.body, userId, from: 'oa' });
        echo(message);
        return replyZaloSuccess({ message_id: message.messageId, user_id: userId, sent_time: String(message.at) });
      });

      // The conversation with one user, newest first (ZALO.md §7): `{src, time, type, message, message_id, from_id, to_id}`.
      api.get('/v2.0/oa/conversation', async (req) => {
        const data = readDataQuery(req.query);
        if (data === INVALID_DATA_QUERY) return replyZaloError(-201, 'data is invalid');
        const parsed = z
          .object({ user_id: ZId, offset: z.number().int().min(0).default(0), count: z.number().int().min(1).max(MAX_CONVERSATION_COUNT).default(MAX_CONVERSATION_COUNT) })
          .safeParse(data);
        if (!parsed.success) return replyZaloError(-201, describeInvalidField(parsed.error));
        const { user_id: userId, offset, count } = parsed.data;
        const page = store
          .listMessages(userId)
          .filter((m) => m.kind !== 'follow' && m.kind !== 'unfollow')
          .reverse()
          .slice(offset, offset + count);
        return {
          error: 0,
          message: 'Success',
          data: page.map((m) => ({
            src: m.from === 'oa' ? 0 : 1,
            time: m.at,
            type: m.kind === 'buttons' ? 'text' : m.kind,
            message: 'text' in m && typeof m.text === 'string' ? m.text : '',
            message_id: m.messageId,
            from_id: m.from === 'oa' ? config.zalo.oaId : userId,
            to_id: m.from === 'oa' ? userId : config.zalo.oaId,
          })),
        };
      });

      api.post('/v3.0/oa/message/template', async (req, reply) => {
        if (takeFault(reply)) return reply;
        const parsed = ZUidTemplateBody.safeParse(req.body);
        if (!parsed.success) return replyZaloError(-201, describeInvalidField(parsed.error));
        const { user_id: userId, template_id: templateId, template_data: templateData } = parsed.data;
        const message = store.addMessage({ kind: 'template', channel: 'uid', templateId, templateData, userId, from: 'oa' });
        return replyZaloSuccess({ message_id: message.messageId, sent_time: String(message.at) });
      });

      api.post('/v2.0/oa/upload/image', { bodyLimit: UPLOAD_BODY_LIMIT }, async (req) => {
        const file = readUploadedFile(req);
        if (!file) return replyZaloError(-201, 'file is invalid');
        const type = detectMediaType(file.bytes, file.fileName);
        // Zalo takes only png and jpeg here; gif has its own endpoint (ZALO.md §8.8).
        if (!type || (type.mime !== 'image/png' && type.mime !== 'image/jpeg')) return replyZaloError(-201, 'file is invalid, only support png and jpeg');
        if (file.bytes.length > MAX_IMAGE_UPLOAD_BYTES) return replyZaloError(-210, 'file size exceeds the limit of 1MB');
        const media = store.addMedia({ id: generateToken().slice(0, 40), bytes: file.bytes, mime: type.mime, fileName: file.fileName ?? `anh.${type.extension}` });
        return replyZaloSuccess({ attachment_id: media.id });
      });

      api.post('/v2.0/oa/upload/file', { bodyLimit: UPLOAD_BODY_LIMIT }, async (req) => {
        const file = readUploadedFile(req);
        if (!file) return replyZaloError(-201, 'file is invalid');
        const type = detectMediaType(file.bytes, file.fileName);
        if (!type || type.kind !== 'document') return replyZaloError(-201, 'file is invalid, only support pdf, doc and docx');
        if (file.bytes.length > MAX_FILE_UPLOAD_BYTES) return replyZaloError(-210, 'file size exceeds the limit of 5MB');
        const media = store.addMedia({ id: generateToken().slice(0, 40), bytes: file.bytes, mime: type.mime, fileName: file.fileName ?? `tep.${type.extension}` });
        return replyZaloSuccess({ token: media.id });
      });

      api.get('/v3.0/oa/user/detail', async (req) => {
        const data = readDataQuery(req.query);
        if (data === INVALID_DATA_QUERY) return replyZaloError(-201, 'data is invalid');
        const parsed = ZUserIdBody.safeParse(data);
        if (!parsed.success) return replyZaloError(-201, 'user_id is invalid');
        const user = store.ensureUser(parsed.data.user_id);
        const avatar = `${config.publicBaseUrl}/sandbox/assets/avatar.svg`;
        return replyZaloSuccess({
          user_id: user.userId,
          user_id_by_app: user.userIdByApp,
          user_external_id: '',
          display_name: user.displayName,
          user_alias: '',
          is_sensitive: false,
          user_last_interaction_date: formatZaloDate(user.lastInteractionAt ?? user.createdAt),
          user_is_follower: user.follower,
          avatar,
          avatars: { '120': avatar, '240': avatar },
          tags_and_notes_info: { tag_names: [], notes: [] },
          ...(user.sharedInfo
            ? { shared_info: { name: user.sharedInfo.name, phone: user.sharedInfo.phone, address: '', city: '', district: '' } }
            : {}),
        });
      });

      api.post('/v3.0/oa/quota/message', async (req) => {
        const parsed = ZUserIdBody.safeParse(req.body);
        if (!parsed.success) return replyZaloError(-201, describeInvalidField(parsed.error));
        const user = store.ensureUser(parsed.data.user_id);
        // A user the sandbox never saw interact counts from when its chat was created (after a restart: now).
        return replyZaloSuccess({
          user_id: user.userId,
          last_interaction: String(user.lastInteractionAt ?? user.createdAt),
          cs_reply: { remain: '8', total: '8' },
        });
      });
    },
    { prefix: '/sandbox/zalo' },
  );

  await app.register(
    async (api) => {
      prepareApiScope(api);

      api.post('/message/template', async (req, reply) => {
        if (takeFault(reply)) return reply;
        const parsed = ZPhoneTemplateBody.safeParse(req.body);
        if (!parsed.success) return replyZaloError(-201, describeInvalidField(parsed.error));
        if (!ZBS_PHONE.test(parsed.data.phone)) return replyZaloError(-108);
        const phone = parsed.data.phone.replace(/^\+/, '');
        const userId = store.findUserByPhone(phone)?.userId ?? `sandbox-phone-${phone}`;
        if (!store.findUser(userId)) store.createUser({ userId, displayName: `Số điện thoại ${phone}` });
        const message = store.addMessage({
          kind: 'template',
          channel: 'phone',
          phone,
          templateId: parsed.data.template_id,
          templateData: parsed.data.template_data,
          userId,
          from: 'oa',
        });
        return replyZaloSuccess({
          msg_id: message.messageId,
          sent_time: String(message.at),
          sending_mode: '1',
          quota: { dailyQuota: '500', remainingQuota: '499' },
        });
      });
    },
    { prefix: '/sandbox/business' },
  );

  await app.register(
    async (oauth) => {
      if (!oauth.hasContentTypeParser('application/x-www-form-urlencoded')) {
        oauth.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
          done(null, Object.fromEntries(new URLSearchParams(body as string)));
        });
      }
      const oauthError = (code: number, name: string, message: string) => ({ error: code, error_name: name, message });

      oauth.post('/v4/oa/access_token', async (req) => {
        if (!readHeader(req, 'secret_key')) return oauthError(-14002, 'Invalid secret key', 'secret_key header is missing');
        const parsed = ZTokenRequest.safeParse(req.body);
        if (!parsed.success) return oauthError(-14001, 'Invalid parameter', describeInvalidField(parsed.error));
        if (parsed.data.app_id !== config.zalo.appId) return oauthError(-14001, 'Invalid parameter', 'app_id is invalid');
        if (parsed.data.grant_type === 'refresh_token' && !store.spendRefreshToken(parsed.data.refresh_token)) {
          return oauthError(-14014, 'Invalid refresh token', 'Refresh token has been used or is invalid');
        }
        return { access_token: generateToken(), refresh_token: generateToken(), expires_in: '90000' };
      });

      /**
       * The consent screen: in the sandbox the OA admin always agrees. The redirect stays on our own
       * origin, so the route cannot be used to bounce visitors to another site.
       */
      oauth.get('/v4/oa/permission', async (req, reply) => {
        const query = z.object({ app_id: z.string().min(1), redirect_uri: z.url(), state: z.string().max(500).optional() }).safeParse(req.query);
        if (!query.success) return reply.code(400).send(oauthError(-14001, 'Invalid parameter', describeInvalidField(query.error)));
        const target = new URL(query.data.redirect_uri);
        if (target.origin !== new URL(config.publicBaseUrl).origin) {
          return reply.code(400).send(oauthError(-14003, 'Invalid redirect uri', 'redirect_uri does not match the callback URL of the app'));
        }
        target.searchParams.set('code', generateHexId(32));
        target.searchParams.set('oa_id', config.zalo.oaId);
        if (query.data.state !== undefined) target.searchParams.set('state', query.data.state);
        return reply.redirect(target.toString(), 302);
      });
    },
    { prefix: '/sandbox/oauth' },
  );
}

function readUploadedFile(req: FastifyRequest): { bytes: Buffer; fileName?: string } | undefined {
  if (!Buffer.isBuffer(req.body)) return undefined;
  const boundary = readMultipartBoundary(req.headers['content-type']);
  if (!boundary) return undefined;
  const file = findMultipartFile(req.body, boundary, 'file');
  if (!file || file.bytes.length === 0) return undefined;
  return { bytes: file.bytes, ...(file.fileName === undefined ? {} : { fileName: file.fileName }) };
}
