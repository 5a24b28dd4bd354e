import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Zalo OA webhook payloads (ZALO.md §2). The parser is tolerant on purpose: payloads drift between
 * docs and over time (§8.12), so unknown fields are kept, unknown events become `unknown`, and odd
 * shapes that we still understand are normalised and reported in `anomalies` for the logs.
 */

/** Keys whose values are Zalo ids: numeric strings up to 19 digits, beyond 2^53 (§2.1, §8.10). */
const ID_KEYS = [
  'id',
  'app_id',
  'oa_id',
  'user_id',
  'user_id_by_app',
  'admin_id',
  'msg_id',
  'message_id',
  'quote_msg_id',
  'mid',
];
// An unquoted integer after one of the id keys. `(?<!\\)` skips escaped quotes inside strings.
const UNQUOTED_ID = new RegExp(`(?<!\\\\)"(${ID_KEYS.join('|')})"(\\s*:\\s*)(-?\\d+)(?=\\s*[,}\\]])`, 'g');

/**
 * JSON.parse that keeps ids exact: if a payload ever carries an id as a bare number, it is quoted
 * before parsing, because a JS number would silently round a 19-digit id (§8.10). Use this, not
 * JSON.parse, for anything stored or forwarded.
 */
export function parseZaloJson(raw: string): unknown {
  // The id fix and the storable-text pass are each skipped when the text shows they have nothing to do: a bare
  // number after a key, an escaped NUL or surrogate (or a literal surrogate). A usual event then costs one plain
  // JSON.parse, a quarter of what both passes cost on every webhook event.
  const text = BARE_NUMBER_VALUE.test(raw) ? raw.replace(UNQUOTED_ID, '"$1"$2"$3"') : raw;
  return MAYBE_UNSTORABLE.test(raw) ? JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value)) : JSON.parse(text);
}

const BARE_NUMBER_VALUE = /"\s*:\s*-?\d/;
/** JSON text that may decode to a NUL or a surrogate half: an escape of one, or a surrogate in the text itself. */
const MAYBE_UNSTORABLE = /\\u(?:0000|[dD][89a-fA-F])|[\uD800-\uDFFF]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * What PostgreSQL can store: text and jsonb refuse NUL, and jsonb refuses a lone surrogate (`"\ud800"`, valid
 * JSON but not Unicode, e.g. an emoji cut in half). Either one, in an id or a message text, failed the webhook
 * with a 500, or the event's processing over and over, holding the user's later messages back behind it.
 */
function storableText(value: string): string {
  const withoutNul = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  return withoutNul.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Longest id we accept (Zalo's are ≤ 19 digits, message ids a few dozen characters). Ids end up in unique
 * and lookup indexes, where PostgreSQL refuses entries over about 2.7 kB: an absurd one makes the event
 * "not understood" (kept, not processed) instead of failing the webhook.
 */
export const ZALO_ID_MAX_LENGTH = 256;
/** Event names are short words (§2.2); a longer one is not an event we know. */
export const ZALO_EVENT_NAME_MAX_LENGTH = 100;

/** An id: always a string. A number only passes when it is still exact. */
const ZId = z.union([
  z.string().max(ZALO_ID_MAX_LENGTH),
  z
    .number()
    .refine((n) => Number.isSafeInteger(n), 'id is a number beyond 2^53; parse the raw body with parseZaloJson')
    .transform((n) => String(n)),
]);
const ZTimestamp = z.union([z.string(), z.number()]);

const ZParty = z.looseObject({ id: ZId.nullish(), admin_id: ZId.nullish() });
const ZAttachment = z.looseObject({ type: z.string().nullish(), payload: z.unknown().optional() });
const ZMessage = z.looseObject({
  msg_id: ZId.nullish(),
  message_id: ZId.nullish(),
  mid: ZId.nullish(),
  msg_ids: z.array(ZId).nullish(),
  text: z.string().nullish(),
  quote_msg_id: ZId.nullish(),
  attachments: z.array(ZAttachment).nullish(),
  tracking_id: z.string().nullish(),
  delivery_time: ZTimestamp.nullish(),
});

export const ZZaloEnvelope = z.looseObject({
  app_id: ZId.nullish(),
  oa_id: ZId.nullish(),
  user_id_by_app: ZId.nullish(),
  event_name: z.string().min(1).max(ZALO_EVENT_NAME_MAX_LENGTH),
  timestamp: ZTimestamp.nullish(),
  sender: ZParty.nullish(),
  recipient: ZParty.nullish(),
  follower: ZParty.nullish(),
  message: ZMessage.nullish(),
  source: z.string().nullish(),
});
export type TZaloEnvelope = z.infer<typeof ZZaloEnvelope>;

export const ZALO_MEDIA_TYPES = ['image', 'gif', 'sticker', 'file', 'audio', 'video', 'link'] as const;
export type TZaloMediaType = (typeof ZALO_MEDIA_TYPES)[number];

export interface TZaloAttachment {
  type: string;
  url: string;
  thumbnail?: string;
  name?: string;
  size?: number;
}

interface TZaloEventBase {
  eventName: string;
  appId?: string;
  /** The OA the event belongs to (recipient on user messages, `oa_id` on management events). */
  oaId?: string;
  /** Epoch milliseconds; old seconds-based payloads are converted. */
  timestamp: number;
  /** Shapes we understood but that differ from the documented one; log them, keep the raw event. */
  anomalies?: string[];
}

export type TZaloEvent = TZaloEventBase &
  (
    | { type: 'text'; userId: string; msgId: string; text: string; quoteMsgId?: string }
    | { type: TZaloMediaType; userId: string; msgId: string; text?: string; attachments: TZaloAttachment[] }
    | { type: 'location'; userId: string; msgId: string; latitude: number; longitude: number; text?: string }
    | { type: 'follow' | 'unfollow'; userId: string; source?: string }
    | {
        type: 'submit_info';
        userId: string;
        name?: string;
        phone?: string;
        address?: string;
        ward?: string;
        district?: string;
        city?: string;
      }
    | { type: 'oa_echo'; userId: string; msgId?: string; text?: string; byStaff: boolean }
    | {
        type: 'receipt';
        userId?: string;
        msgId?: string;
        /** `user_seen_message` may acknowledge several messages at once. */
        msgIds?: string[];
        /** ZBS/ZNS delivery receipts: our own correlation id; the recipient is then a phone, not kept. */
        trackingId?: string;
        event: 'user_received_message' | 'user_seen_message';
      }
    | { type: 'unknown'; eventName: string; userId?: string; msgId?: string }
  );

export type TZaloEventType = TZaloEvent['type'];
export type TParseZaloEventResult = { ok: true; event: TZaloEvent; envelope: TZaloEnvelope } | { ok: false; error: string };

export function parseZaloEvent(raw: string): TParseZaloEventResult {
  let json: unknown;
  try {
    json = parseZaloJson(raw);
  } catch {
    return { ok: false, error: 'body is not valid JSON' };
  }
  return readZaloEvent(json);
}

/** parseZaloEvent of a body already parsed by parseZaloJson (the webhook parses each body once). */
export function readZaloEvent(json: unknown): TParseZaloEventResult {
  const parsed = ZZaloEnvelope.safeParse(json);
  if (!parsed.success) {
    return { ok: false, error: `not a Zalo event: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}` };
  }
  const envelope = parsed.data;
  const timestamp = toEpochMs(envelope.timestamp);
  if (timestamp === undefined) return { ok: false, error: 'timestamp missing or not a number' };
  const event = normaliseEvent(envelope, timestamp);
  return 'error' in event ? { ok: false, error: event.error } : { ok: true, event, envelope };
}

/**
 * Epoch ms from a ms string (the norm), a number, or seconds (old payloads, GOC). Anything below
 * 1e12 is read as seconds: 1e12 ms is September 2001, long before Zalo OA webhooks existed.
 */
export function toEpochMs(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const n = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n < 1e12 ? Math.round(n * 1000) : Math.round(n);
}

/**
 * The unique key an inbound event is stored under. Messages use their `msg_id` (what Zalo re-sends on
 * retries, §2). Receipts also carry the `msg_id` of the message they acknowledge, so "received" and
 * "seen" of one message would collide: they are prefixed with the event name. Events without an id
 * fall back to `event_name:sha256(raw)`, which is stable across Zalo's retries of the same body.
 */
export function dedupeKeyOf(raw: string, parsed?: unknown): string {
  // `parsed` may be the JSON envelope, a parse result, or the normalised event (which has no
  // `message`): anything but an envelope is ignored and the raw body is read again.
  // A parse result's envelope passed the schema already: not checked a second time (once per webhook event).
  const envelope = isParseResult(parsed) ? { success: true as const, data: parsed.envelope } : ZZaloEnvelope.safeParse(hasEventName(parsed) ? parsed : readJsonQuietly(raw));
  const eventName = envelope.success ? envelope.data.event_name : 'invalid';
  const message = envelope.success ? envelope.data.message : undefined;
  const msgId = nonEmpty(message?.msg_id) ?? nonEmpty(message?.message_id);
  if (msgId) return isReceiptEvent(eventName) ? `${eventName}:${msgId}` : msgId;
  return `${eventName}:${createHash('sha256').update(raw, 'utf8').digest('hex')}`;
}

function readJsonQuietly(raw: string): unknown {
  try {
    return parseZaloJson(raw);
  } catch {
    return undefined;
  }
}

function hasEventName(value: unknown): value is { event_name: string } {
  return typeof value === 'object' && value !== null && typeof (value as { event_name?: unknown }).event_name === 'string';
}

function isParseResult(value: unknown): value is { ok: true; envelope: TZaloEnvelope } {
  return typeof value === 'object' && value !== null && 'ok' in value && 'envelope' in value;
}

function isReceiptEvent(eventName: string): eventName is 'user_received_message' | 'user_seen_message' {
  return eventName === 'user_received_message' || eventName === 'user_seen_message';
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

type Normalised = TZaloEvent | { error: string };

function normaliseEvent(env: TZaloEnvelope, timestamp: number): Normalised {
  // Each event is made by adding to `base` (eventFrom), not by spreading it into a new object: on this V8,
  // `{ ...base, a, b }` takes a slow path per property after the spread, ~2 µs for every webhook event.
  const eventName = env.event_name;
  const anomalies: string[] = [];
  const base: TZaloEventBase = {
    eventName,
    timestamp,
    ...optional('appId', nonEmpty(env.app_id)),
    // OA echoes and receipts flow OA → user, so the OA is the sender there and the recipient elsewhere.
    ...optional('oaId', nonEmpty(env.oa_id) ?? (fromOa(eventName) ? nonEmpty(env.sender?.id) : nonEmpty(env.recipient?.id))),
  };
  const message = env.message ?? undefined;
  const senderId = nonEmpty(env.sender?.id);
  const msgId = nonEmpty(message?.msg_id) ?? nonEmpty(message?.message_id) ?? nonEmpty(message?.mid);
  if (!nonEmpty(message?.msg_id) && msgId) anomalies.push(message?.message_id ? 'msg_id_as_message_id' : 'msg_id_as_mid');
  const text = typeof message?.text === 'string' ? message.text : undefined;

  if (eventName.startsWith('user_send_')) {
    if (!senderId) return { error: `${eventName} without sender.id` };
    if (!msgId) return { error: `${eventName} without message.msg_id` };
    const kind = eventName.slice('user_send_'.length);
    if (kind === 'text') {
      const quoteMsgId = nonEmpty(message?.quote_msg_id);
      return eventFrom(base, { type: 'text', userId: senderId, msgId, text: text ?? '', ...optional('quoteMsgId', quoteMsgId) }, anomalies);
    }
    if (kind === 'location') {
      const coordinates = readCoordinates(env, anomalies);
      if (!coordinates) {
        anomalies.push('location_without_coordinates');
        return eventFrom(base, { type: 'unknown', userId: senderId, msgId }, anomalies);
      }
      return eventFrom(base, { type: 'location', userId: senderId, msgId, ...coordinates, ...optional('text', text || undefined) }, anomalies);
    }
    if (isMediaType(kind)) {
      const attachments = readAttachments(message?.attachments ?? [], kind, anomalies);
      return eventFrom(base, { type: kind, userId: senderId, msgId, attachments, ...optional('text', text || undefined) }, anomalies);
    }
    // business_card and kinds Zalo adds later: still a user message, so the bot can say it cannot read it.
    return eventFrom(base, { type: 'unknown', userId: senderId, msgId }, anomalies);
  }

  if (eventName.startsWith('oa_send_')) {
    // Echo of a message sent by the OA: sender = OA, recipient = the user (§2.1). Staff typing in the
    // OA app show up with `sender.admin_id`; those are mirrored into the console (§8.5).
    const userId = nonEmpty(env.recipient?.id);
    if (!userId) return { error: `${eventName} without recipient.id` };
    return eventFrom(base, {
      type: 'oa_echo',
      userId,
      byStaff: nonEmpty(env.sender?.admin_id) !== undefined,
      ...optional('msgId', msgId),
      ...optional('text', text),
    }, anomalies);
  }

  switch (eventName) {
    case 'follow':
    case 'unfollow':
    case 'user_follow':
    case 'user_unfollow': {
      const userId = nonEmpty(env.follower?.id) ?? senderId;
      if (!userId) return { error: `${eventName} without follower.id` };
      if (!nonEmpty(env.follower?.id)) anomalies.push('follower_in_sender');
      if (eventName.startsWith('user_')) anomalies.push('follow_event_name_prefixed');
      const type = eventName.endsWith('unfollow') ? 'unfollow' : 'follow';
      return eventFrom(base, { type, userId, ...optional('source', nonEmpty(env.source)) }, anomalies);
    }
    case 'user_submit_info': {
      if (!senderId) return { error: 'user_submit_info without sender.id' };
      return eventFrom(base, { type: 'submit_info', userId: senderId, ...readSubmittedInfo(env, anomalies) }, anomalies);
    }
    case 'user_received_message':
    case 'user_seen_message': {
      const trackingId = nonEmpty(message?.tracking_id);
      const msgIds = (message?.msg_ids ?? []).filter((id) => id !== '');
      return eventFrom(base, {
        type: 'receipt',
        event: eventName,
        // On ZBS receipts the recipient is a phone number (§2.3): never keep it as a user id.
        ...optional('userId', trackingId ? undefined : nonEmpty(env.recipient?.id)),
        ...optional('msgId', msgId ?? msgIds[0]),
        ...optional('msgIds', msgIds.length > 0 ? msgIds : undefined),
        ...optional('trackingId', trackingId),
      }, anomalies);
    }
    default:
      return eventFrom(base, {
        type: 'unknown',
        ...optional('userId', nonEmpty(env.follower?.id) ?? senderId),
        ...optional('msgId', msgId),
      }, anomalies);
  }
}

type EventFields = TZaloEvent extends infer E ? (E extends TZaloEvent ? Omit<E, keyof TZaloEventBase> : never) : never;

/** The event: `base` with its kind's fields, and the anomalies met on the way when there were any. */
function eventFrom(base: TZaloEventBase, fields: EventFields, anomalies: string[]): TZaloEvent {
  const event = Object.assign(base, fields) as TZaloEvent;
  if (anomalies.length > 0) event.anomalies = anomalies;
  return event;
}

function fromOa(eventName: string): boolean {
  return eventName.startsWith('oa_send_') || isReceiptEvent(eventName);
}

function isMediaType(kind: string): kind is TZaloMediaType {
  return (ZALO_MEDIA_TYPES as readonly string[]).includes(kind);
}

/** Spreads `{[key]: value}` only when value is set: optional properties stay absent, not `undefined`. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function readString(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A number, or a numeric string: Zalo sends both for coordinates and sizes (§2.1). */
function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

function readAttachments(
  raw: Array<z.infer<typeof ZAttachment>>,
  eventKind: TZaloMediaType,
  anomalies: string[],
): TZaloAttachment[] {
  const attachments: TZaloAttachment[] = [];
  for (const item of raw) {
    const payload = asRecord(item.payload) ?? {};
    // `photo_url` appears in some docs instead of `url` (§8.12).
    const url = readString(payload.url) ?? readString(payload.photo_url);
    if (!url) {
      anomalies.push('attachment_without_url');
      continue;
    }
    if (payload.url === undefined) anomalies.push('attachment_url_as_photo_url');
    const size = readNumber(payload.size);
    attachments.push({
      type: readString(item.type) ?? eventKind,
      url,
      ...optional('thumbnail', readString(payload.thumbnail)),
      ...optional('name', readString(payload.name)),
      ...optional('size', size),
    });
  }
  return attachments;
}

/**
 * Documented: `attachments[].payload.coordinates.{latitude,longitude}`. Outliers seen in docs:
 * `coordinates.{lat,long}`, `payload.{latitude,longitude}` and `message.location.{…}` (§2.3).
 */
function readCoordinates(env: TZaloEnvelope, anomalies: string[]): { latitude: number; longitude: number } | undefined {
  const message = env.message ?? undefined;
  const attachment = (message?.attachments ?? []).find((a) => a.type === 'location') ?? message?.attachments?.[0];
  const payload = asRecord(attachment?.payload);
  const coordinates = asRecord(payload?.coordinates);
  const candidates: Array<[string, Record<string, unknown> | undefined, string, string]> = [
    ['', coordinates, 'latitude', 'longitude'],
    ['location_coordinates_lat_long', coordinates, 'lat', 'long'],
    ['location_coordinates_lat_lng', coordinates, 'lat', 'lng'],
    ['location_in_payload', payload, 'latitude', 'longitude'],
    ['location_in_message', asRecord(asRecord(message)?.location), 'latitude', 'longitude'],
  ];
  for (const [anomaly, holder, latKey, lonKey] of candidates) {
    const latitude = readNumber(holder?.[latKey]);
    const longitude = readNumber(holder?.[lonKey]);
    if (latitude === undefined || longitude === undefined) continue;
    if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
      anomalies.push('location_out_of_range');
      return undefined;
    }
    if (anomaly) anomalies.push(anomaly);
    return { latitude, longitude };
  }
  return undefined;
}

/**
 * Two documented shapes (§2.3): the newer `info.{name, phone, full_address.{user_address, user_ward,
 * user_city}}` and the older flat `info.{name, phone, address, ward, district, city}`. ZCA also found
 * the object under `message.info` or `shared_info`.
 */
function readSubmittedInfo(
  env: TZaloEnvelope,
  anomalies: string[],
): { name?: string; phone?: string; address?: string; ward?: string; district?: string; city?: string } {
  const envelope = env as Record<string, unknown>;
  const places: Array<[string, unknown]> = [
    ['', envelope.info],
    ['submit_info_in_message', asRecord(envelope.message)?.info],
    ['submit_info_as_shared_info', envelope.shared_info],
  ];
  const found = places.find(([, value]) => asRecord(value) !== undefined);
  if (!found) {
    anomalies.push('submit_info_without_info');
    return {};
  }
  if (found[0]) anomalies.push(found[0]);
  const info = asRecord(found[1]) ?? {};
  const full = asRecord(info.full_address);
  return {
    ...optional('name', readString(info.name)),
    ...optional('phone', readString(info.phone)),
    ...optional('address', readString(full?.user_address) ?? readString(info.address)),
    ...optional('ward', readString(full?.user_ward) ?? readString(info.ward)),
    ...optional('district', readString(full?.user_district) ?? readString(info.district)),
    ...optional('city', readString(full?.user_city) ?? readString(info.city)),
  };
}
