import { z } from 'zod';
import type { Logger } from '../../runtime/logger.js';
import { countCodePoints, normaliseText, splitZaloText, ZALO_TEXT_LIMIT } from './message-text.js';
import { normalisePhoneForZalo } from './phone-number.js';
import type { RateLimiter } from './rate-limiter.js';
import { requestText, TIMEOUT_ERROR_NAME, type TextResponse } from './json-http.js';
import { parseZaloJson, toEpochMs } from './webhook.schema.js';
import { classifyZaloError, ZaloApiError, ZaloRequestRejectedError, type ZaloErrorKind } from './zalo-errors.js';

/**
 * The Zalo OA Open API client (ZALO.md §4, §7). Wire rules: header `access_token`, JSON bodies, GET
 * parameters as one `?data=<json>`; every answer is `{error, message, data}` and `error !== 0` is a
 * failure even with HTTP 200. Failures become `ZaloApiError`s whose `kind` tells the caller what to do;
 * the client itself only retries once after refreshing a refused token, never in a loop.
 */

export interface ZaloClientOptions {
  /** `https://openapi.zalo.me` (no trailing slash needed). */
  apiBaseUrl: string;
  /** `https://business.openapi.zalo.me`: ZNS/ZBS template messages by phone. */
  businessApiBaseUrl: string;
  getAccessToken: () => Promise<string>;
  /** Called once when Zalo refuses `failedToken`; the token store decides whether to really refresh. */
  refreshAccessToken: (failedToken: string) => Promise<string>;
  limiter?: RateLimiter;
  fetchImpl?: typeof fetch;
  logger: Logger;
  /** Per request, including reading the body. */
  timeoutMs?: number;
}

export type TZaloButton =
  | { title: string; type: 'oa.query.show' | 'oa.query.hide'; payload: string }
  | { title: string; type: 'oa.open.url'; payload: string | { url: string } }
  | { title: string; type: 'oa.open.phone'; payload: string | { phone_code: string } };

export type TZaloImageSource = { attachmentId: string } | { url: string };

export type TZaloTemplateData = Record<string, string | number>;

export interface TZaloUserDetail {
  userId: string;
  userIdByApp?: string;
  displayName?: string;
  avatar?: string;
  isFollower?: boolean;
  /** As Zalo sends it: `DD/MM/YYYY` (ZALO.md §8.9). */
  lastInteractionDate?: string;
  sharedInfo?: { name?: string; phone?: string; address?: string; city?: string; district?: string; ward?: string };
}

export interface ZaloClient {
  /** Sends a consultation text, split into ≤ 2,000-code-point chunks; returns the message ids. */
  sendText(userId: string, text: string, options?: { quoteMsgId?: string }): Promise<string[]>;
  /** Text with up to 5 buttons; a long text goes out as plain chunks with the buttons on the last one. */
  sendButtons(userId: string, text: string, buttons: TZaloButton[]): Promise<string[]>;
  sendImage(userId: string, image: TZaloImageSource, text?: string): Promise<string | null>;
  sendFile(userId: string, fileToken: string): Promise<string | null>;
  /** Uploads a jpg/png ≤ 1 MiB; returns the `attachment_id` (valid about 7 days). */
  uploadImage(buffer: Buffer, fileName: string, mime: string): Promise<string>;
  /** Uploads a PDF/DOC/DOCX ≤ 5 MiB; returns the file `token`. */
  uploadFile(buffer: Buffer, fileName: string, mime: string): Promise<string>;
  /** The "share your contact" card; the answer arrives later as a `user_submit_info` webhook. */
  requestUserInfo(userId: string, card: { title: string; subtitle: string; imageUrl: string }): Promise<string | null>;
  /** ZBS template by UID, for users outside the 7-day window. Returns `data.message_id`. */
  sendTemplateByUserId(userId: string, templateId: string, templateData: TZaloTemplateData): Promise<string | null>;
  /** ZBS/ZNS template by phone. Returns `data.msg_id`; `trackingId` (≤ 48) comes back on the receipt. */
  sendTemplateByPhone(phone: string, templateId: string, templateData: TZaloTemplateData, trackingId: string): Promise<string | null>;
  getUserDetail(userId: string): Promise<TZaloUserDetail>;
  /** The user's last interaction with the OA, from the quota endpoint; null when Zalo has none. */
  getLastInteraction(userId: string): Promise<Date | null>;
  /**
   * The latest messages of the OA's conversation with a user, newest first (`GET /v2.0/oa/conversation`,
   * ZALO.md §7; at most 10 per call). Optional: the delivery reconciliation uses it when present.
   */
  getRecentMessages?(userId: string, count?: number): Promise<TZaloConversationMessage[]>;
}

/** One message of `GET /v2.0/oa/conversation` (ZALO.md §7: `{src, time, type, message, message_id, from_id, to_id}`). */
export interface TZaloConversationMessage {
  messageId: string;
  fromId?: string;
  toId?: string;
  /** Epoch ms. */
  time?: number;
  type?: string;
  /** The text (or caption) of the message, when it has one. */
  text?: string;
}

export const ZALO_MAX_BUTTONS = 5;
export const ZALO_DEFAULT_TIMEOUT_MS = 10_000;
const TRACKING_ID_MAX = 48;
/** Held back locally after `-32` or `X-RateLimit-Remain: 0`, so this process stops adding to the overload. */
const RATE_LIMIT_PAUSE_MS = 15_000;

interface UploadRule {
  maxBytes: number;
  tooLarge: 'image_too_large' | 'file_too_large';
  /** Accepted MIME types with the first bytes every such file starts with. */
  types: Record<string, number[][]>;
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d];
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP = [0x50, 0x4b, 0x03, 0x04];

// Sizes from ZALO.md §5 "Uploads"; anything else to /upload/image fails with -201 (§8.8).
const IMAGE_UPLOAD: UploadRule = {
  maxBytes: 1024 * 1024,
  tooLarge: 'image_too_large',
  types: { 'image/jpeg': [JPEG], 'image/jpg': [JPEG], 'image/png': [PNG] },
};
const FILE_UPLOAD: UploadRule = {
  maxBytes: 5 * 1024 * 1024,
  tooLarge: 'file_too_large',
  types: {
    'application/pdf': [PDF],
    'application/msword': [OLE2],
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': [ZIP],
  },
};

const ZId = z.union([z.string(), z.number().refine(Number.isSafeInteger).transform(String)]);
const ZErrorCode = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);
const ZEnvelope = z.looseObject({ error: ZErrorCode, message: z.string().nullish(), data: z.unknown().optional() });
const ZSendData = z.looseObject({ message_id: ZId.nullish(), msg_id: ZId.nullish() }).nullish();
const ZUploadImageData = z.looseObject({ attachment_id: z.string().min(1) });
const ZUploadFileData = z.looseObject({ token: z.string().min(1) });
const ZText = z.union([z.string(), z.number().transform(String)]).nullish();
const ZUserDetailData = z.looseObject({
  user_id: ZId.nullish(),
  user_id_by_app: ZId.nullish(),
  display_name: z.string().nullish(),
  avatar: z.string().nullish(),
  user_is_follower: z.boolean().nullish(),
  user_last_interaction_date: z.string().nullish(),
  shared_info: z
    .looseObject({ name: ZText, phone: ZText, address: ZText, city: ZText, district: ZText, ward: ZText })
    .nullish(),
});
const ZConversationItem = z.looseObject({
  message_id: ZId.nullish(),
  msg_id: ZId.nullish(),
  from_id: ZId.nullish(),
  to_id: ZId.nullish(),
  time: z.union([z.string(), z.number()]).nullish(),
  type: z.string().nullish(),
  message: z.unknown().optional(),
});
export const ZALO_CONVERSATION_MAX_COUNT = 10;
const ZQuotaData = z.looseObject({ last_interaction: z.union([z.string(), z.number()]).nullish() }).nullish();

interface ZaloRequest {
  method: 'GET' | 'POST';
  base: 'api' | 'business';
  path: string;
  /** GET: sent as `?data=<json>`. */
  query?: Record<string, unknown>;
  json?: unknown;
  /** Built per attempt: a FormData body is consumed by the first send. */
  multipart?: () => FormData;
}

export function createZaloClient(options: ZaloClientOptions): ZaloClient {
  const { limiter, logger } = options;
  const timeoutMs = options.timeoutMs ?? ZALO_DEFAULT_TIMEOUT_MS;
  // Resolved per call, not captured: test interceptors replace the global fetch after import. Only multipart uploads
  // (and a client given its own fetch) use it; JSON calls go through requestText.
  const doFetch: typeof fetch = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  const fetchText = async (url: URL, init: RequestInit): Promise<TextResponse> => {
    const response = await doFetch(url, init);
    const text = await response.text();
    return { status: response.status, header: (name) => response.headers.get(name) ?? undefined, text };
  };
  const bases = { api: trimSlash(options.apiBaseUrl), business: trimSlash(options.businessApiBaseUrl) };

  async function call(request: ZaloRequest): Promise<unknown> {
    const token = await options.getAccessToken();
    try {
      return await attempt(request, token);
    } catch (error) {
      if (!(error instanceof ZaloApiError) || error.kind !== 'auth') throw error;
      logger.warn({ endpoint: error.endpoint, code: error.code }, 'zalo refused the access token; refreshing once');
      const fresh = await options.refreshAccessToken(token);
      return attempt(request, fresh);
    }
  }

  async function attempt(request: ZaloRequest, token: string): Promise<unknown> {
    const endpoint = `${request.method} ${request.path}`;
    const url = new URL(bases[request.base] + request.path);
    if (request.query) url.searchParams.set('data', JSON.stringify(request.query));
    const headers: Record<string, string> = { access_token: token };
    let body: string | FormData | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.multipart) {
      body = request.multipart();
    }

    await limiter?.acquire();
    let status: number;
    let text: string;
    let retryAfterHeader: string | null;
    try {
      const response =
        options.fetchImpl || (body !== undefined && typeof body !== 'string')
          ? await fetchText(url, { method: request.method, headers, body, signal: AbortSignal.timeout(timeoutMs) })
          : await requestText(url, { method: request.method, headers, ...(body === undefined ? {} : { body }), timeoutMs });
      status = response.status;
      retryAfterHeader = response.header('retry-after') ?? null;
      if (response.header('x-ratelimit-remain') === '0') limiter?.pause(RATE_LIMIT_PAUSE_MS);
      text = response.text;
    } catch (cause) {
      const timedOut = cause instanceof Error && (cause.name === TIMEOUT_ERROR_NAME || cause.name === 'AbortError');
      const error = new ZaloApiError(`${endpoint}: ${timedOut ? `no answer within ${timeoutMs} ms` : 'network error'}`, {
        endpoint,
        kind: 'transient',
        retryAfterMs: 5_000,
        cause,
      });
      logFailure(error);
      throw error;
    }

    let json: unknown;
    try {
      json = text === '' ? undefined : parseZaloJson(text);
    } catch {
      json = undefined;
    }
    const envelope = ZEnvelope.safeParse(json);
    if (envelope.success && envelope.data.error === 0 && status < 400) return envelope.data.data;

    const code = envelope.success && envelope.data.error !== 0 ? envelope.data.error : undefined;
    // A 2xx without the envelope is a broken answer; retrying the same request would not fix it.
    const kind: ZaloErrorKind = code === undefined && status < 400 ? 'permanent' : classifyZaloError(code, status);
    if (code === -32) limiter?.pause(RATE_LIMIT_PAUSE_MS);
    const detail = envelope.success ? `error ${envelope.data.error}: ${envelope.data.message ?? ''}` : `HTTP ${status}, no Zalo envelope`;
    const error = new ZaloApiError(`${endpoint}: ${detail}`.trim(), {
      code,
      kind,
      httpStatus: status,
      endpoint,
      retryAfterMs: kind === 'transient' ? retryHint(code, status, retryAfterHeader) : undefined,
    });
    logFailure(error);
    throw error;
  }

  function logFailure(error: ZaloApiError): void {
    logger.warn(
      { endpoint: error.endpoint, code: error.code, kind: error.kind, httpStatus: error.httpStatus, retryAfterMs: error.retryAfterMs },
      'zalo api call failed',
    );
  }

  function readMessageId(data: unknown, field: 'message_id' | 'msg_id', endpoint: string): string | null {
    const parsed = ZSendData.safeParse(data);
    const id = parsed.success ? parsed.data?.[field] : undefined;
    if (!id) {
      // The message went out (error 0); failing now would make the job send it twice.
      logger.warn({ endpoint }, `zalo accepted the message but returned no ${field}`);
      return null;
    }
    return id;
  }

  async function sendConsultation(userId: string, message: Record<string, unknown>): Promise<string | null> {
    const path = '/v3.0/oa/message/cs';
    const data = await call({ method: 'POST', base: 'api', path, json: { recipient: { user_id: userId }, message } });
    return readMessageId(data, 'message_id', `POST ${path}`);
  }

  async function sendTextChunk(userId: string, text: string, quoteMsgId: string | undefined): Promise<string | null> {
    if (!quoteMsgId) return sendConsultation(userId, { text });
    try {
      return await sendConsultation(userId, { text, quote_message_id: quoteMsgId });
    } catch (error) {
      // An expired or foreign quote id is refused like a bad parameter; the text itself still matters
      // more than the quote, so send it once more without (as ZCA and HER do, ZALO.md §4.2).
      if (!(error instanceof ZaloApiError) || error.kind !== 'permanent') throw error;
      logger.warn({ code: error.code }, 'zalo refused the quoted reply; sending without the quote');
      return sendConsultation(userId, { text });
    }
  }

  async function sendChunks(
    userId: string,
    text: string,
    quoteMsgId: string | undefined,
    lastExtra?: Record<string, unknown>,
  ): Promise<string[]> {
    const chunks = splitZaloText(text);
    if (chunks.length === 0) throw new RangeError('zalo text message must not be empty');
    const ids: string[] = [];
    try {
      for (const [i, chunk] of chunks.entries()) {
        const quote = i === 0 ? quoteMsgId : undefined;
        const isLast = i === chunks.length - 1;
        const id =
          isLast && lastExtra
            ? await sendConsultation(userId, { text: chunk, ...(quote ? { quote_message_id: quote } : {}), ...lastExtra })
            : await sendTextChunk(userId, chunk, quote);
        if (id) ids.push(id);
      }
    } catch (error) {
      // Lets the caller resume after the chunks that did arrive instead of repeating them.
      if (error instanceof ZaloApiError) error.sentMessageIds = [...ids];
      throw error;
    }
    return ids;
  }

  async function upload(path: string, rule: UploadRule, buffer: Buffer, fileName: string, mime: string): Promise<unknown> {
    checkUpload(rule, buffer, mime);
    const type = mime.toLowerCase();
    return call({
      method: 'POST',
      base: 'api',
      path,
      multipart: () => {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(buffer)], { type }), fileName);
        return form;
      },
    });
  }

  return {
    sendText(userId, text, { quoteMsgId } = {}) {
      return sendChunks(userId, text, quoteMsgId);
    },

    async sendButtons(userId, text, buttons) {
      if (buttons.length === 0 || buttons.length > ZALO_MAX_BUTTONS) {
        throw new RangeError(`zalo allows 1–${ZALO_MAX_BUTTONS} buttons per message, got ${buttons.length}`);
      }
      const attachment = { type: 'template', payload: { buttons: buttons.map(toWireButton) } };
      // Buttons ride on the last chunk so they stay directly under the text they answer.
      return sendChunks(userId, text, undefined, { attachment });
    },

    async sendImage(userId, image, text) {
      const caption = text === undefined ? undefined : normaliseText(text).trim();
      if (caption !== undefined && countCodePoints(caption) > ZALO_TEXT_LIMIT) {
        throw new RangeError(`image caption is longer than ${ZALO_TEXT_LIMIT} characters; send it as text`);
      }
      const element = 'attachmentId' in image
        ? { media_type: 'image', attachment_id: image.attachmentId }
        : { media_type: 'image', url: image.url };
      return sendConsultation(userId, {
        ...(caption ? { text: caption } : {}),
        attachment: { type: 'template', payload: { template_type: 'media', elements: [element] } },
      });
    },

    sendFile(userId, fileToken) {
      return sendConsultation(userId, { attachment: { type: 'file', payload: { token: fileToken } } });
    },

    async uploadImage(buffer, fileName, mime) {
      const data = await upload('/v2.0/oa/upload/image', IMAGE_UPLOAD, buffer, fileName, mime);
      return readUploadField(ZUploadImageData, data, 'attachment_id', '/v2.0/oa/upload/image');
    },

    async uploadFile(buffer, fileName, mime) {
      const data = await upload('/v2.0/oa/upload/file', FILE_UPLOAD, buffer, fileName, mime);
      return readUploadField(ZUploadFileData, data, 'token', '/v2.0/oa/upload/file');
    },

    requestUserInfo(userId, { title, subtitle, imageUrl }) {
      return sendConsultation(userId, {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'request_user_info',
            elements: [{ title: normaliseText(title), subtitle: normaliseText(subtitle), image_url: imageUrl }],
          },
        },
      });
    },

    async sendTemplateByUserId(userId, templateId, templateData) {
      const path = '/v3.0/oa/message/template';
      const json = { user_id: userId, template_id: templateId, template_data: normaliseTemplateData(templateData) };
      const data = await call({ method: 'POST', base: 'api', path, json });
      return readMessageId(data, 'message_id', `POST ${path}`);
    },

    async sendTemplateByPhone(phone, templateId, templateData, trackingId) {
      const normalised = normalisePhoneForZalo(phone);
      if (!normalised) throw new ZaloRequestRejectedError('invalid_phone', 'not a Vietnamese mobile number');
      if (trackingId === '' || trackingId.length > TRACKING_ID_MAX) {
        throw new RangeError(`tracking_id must have 1–${TRACKING_ID_MAX} characters`);
      }
      const path = '/message/template';
      const json = {
        phone: normalised,
        template_id: templateId,
        template_data: normaliseTemplateData(templateData),
        tracking_id: trackingId,
      };
      const data = await call({ method: 'POST', base: 'business', path, json });
      return readMessageId(data, 'msg_id', `POST ${path}`);
    },

    async getUserDetail(userId) {
      const path = '/v3.0/oa/user/detail';
      const data = await call({ method: 'GET', base: 'api', path, query: { user_id: userId } });
      const parsed = ZUserDetailData.safeParse(data);
      if (!parsed.success) {
        throw new ZaloApiError(`GET ${path}: unexpected data shape`, { kind: 'permanent', endpoint: `GET ${path}` });
      }
      const d = parsed.data;
      const s = d.shared_info;
      const shared = s
        ? compact({ name: s.name, phone: s.phone, address: s.address, city: s.city, district: s.district, ward: s.ward })
        : undefined;
      return {
        userId: d.user_id ?? userId,
        ...compact({
          userIdByApp: d.user_id_by_app,
          displayName: d.display_name,
          avatar: d.avatar,
          isFollower: d.user_is_follower,
          lastInteractionDate: d.user_last_interaction_date,
        }),
        ...(shared && Object.keys(shared).length > 0 ? { sharedInfo: shared } : {}),
      };
    },

    async getRecentMessages(userId, count = ZALO_CONVERSATION_MAX_COUNT) {
      const path = '/v2.0/oa/conversation';
      const n = Math.max(1, Math.min(ZALO_CONVERSATION_MAX_COUNT, Math.floor(count)));
      const data = await call({ method: 'GET', base: 'api', path, query: { user_id: userId, offset: 0, count: n } });
      // `data` is the list itself in the samples; tolerate it wrapped once more.
      const list = Array.isArray(data) ? data : Array.isArray((data as { messages?: unknown } | null)?.messages) ? (data as { messages: unknown[] }).messages : [];
      return list.flatMap((item): TZaloConversationMessage[] => {
        const parsed = ZConversationItem.safeParse(item);
        const messageId = parsed.success ? (parsed.data.message_id ?? parsed.data.msg_id) : undefined;
        if (!parsed.success || !messageId) return [];
        const d = parsed.data;
        const text = typeof d.message === 'string' ? d.message : undefined;
        return [{ messageId, ...compact({ fromId: d.from_id, toId: d.to_id, time: toEpochMs(d.time), type: d.type, text }) }];
      });
    },

    async getLastInteraction(userId) {
      const path = '/v3.0/oa/quota/message';
      const data = await call({ method: 'POST', base: 'api', path, json: { user_id: userId } });
      const parsed = ZQuotaData.safeParse(data);
      const ms = parsed.success ? toEpochMs(parsed.data?.last_interaction) : undefined;
      return ms === undefined ? null : new Date(ms);
    },
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function retryHint(code: number | undefined, status: number, retryAfter: string | null): number {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
  if (seconds !== undefined) return seconds * 1000;
  // -32 is a per-minute quota: retrying sooner than the next minute is pointless.
  if (code === -32 || status === 429) return 60_000;
  return 30_000;
}

function toWireButton(button: TZaloButton): Record<string, unknown> {
  const title = normaliseText(button.title);
  switch (button.type) {
    case 'oa.open.url':
      return { title, type: button.type, payload: typeof button.payload === 'string' ? { url: button.payload } : button.payload };
    case 'oa.open.phone':
      return {
        title,
        type: button.type,
        payload: typeof button.payload === 'string' ? { phone_code: button.payload } : button.payload,
      };
    default:
      return { title, type: button.type, payload: button.payload };
  }
}

function normaliseTemplateData(data: TZaloTemplateData): TZaloTemplateData {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? normaliseText(v) : v]));
}

function checkUpload(rule: UploadRule, buffer: Buffer, mime: string): void {
  if (buffer.length === 0) throw new ZaloRequestRejectedError('empty_file', 'upload is empty');
  const signatures = rule.types[mime.toLowerCase()];
  // The declared type must also match the content: a renamed file is refused by Zalo with -201.
  if (!signatures || !signatures.some((sig) => sig.every((byte, i) => buffer[i] === byte))) {
    throw new ZaloRequestRejectedError(
      'unsupported_media_type',
      `unsupported upload type ${mime}; accepted: ${Object.keys(rule.types).join(', ')}`,
    );
  }
  if (buffer.length > rule.maxBytes) {
    throw new ZaloRequestRejectedError(rule.tooLarge, `upload of ${buffer.length} bytes exceeds ${rule.maxBytes}`);
  }
}

function readUploadField<K extends 'attachment_id' | 'token'>(
  schema: z.ZodType<Record<K, string>>,
  data: unknown,
  field: K,
  path: string,
): string {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new ZaloApiError(`POST ${path}: answer without ${field}`, { kind: 'permanent', endpoint: `POST ${path}` });
  }
  return parsed.data[field];
}

/** Drops null/undefined/empty values so the result has only what Zalo actually sent. */
function compact<T extends Record<string, unknown>>(obj: T): { [K in keyof T]?: NonNullable<T[K]> } {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined && v !== '')) as {
    [K in keyof T]?: NonNullable<T[K]>;
  };
}
