import { signZaloHeader } from '../zalo/signature.js';

/**
 * Builds the webhook bodies real Zalo POSTs for what a sandbox user does (ZALO.md §2.3) and signs them
 * the way Zalo does (§3), so the product's webhook cannot tell the sandbox from the real OA.
 */

export type SandboxUserAction =
  | { kind: 'follow' }
  | { kind: 'unfollow' }
  | { kind: 'text'; text: string }
  | { kind: 'location'; latitude: number; longitude: number }
  | { kind: 'image'; url: string; text?: string }
  | { kind: 'file'; url: string; name: string; size: number }
  | { kind: 'submit_info'; name: string; phone: string };

export interface WebhookEventContext {
  appId: string;
  oaId: string;
  userId: string;
  userIdByApp: string;
  /** Epoch milliseconds as a decimal string, as Zalo sends it (§2.1). */
  timestamp: string;
  /** `message.msg_id` of message events; ignored for follow and shared info, which carry none. */
  msgId: string;
}

const EVENT_NAMES: Record<SandboxUserAction['kind'], string> = {
  follow: 'follow',
  unfollow: 'unfollow',
  text: 'user_send_text',
  location: 'user_send_location',
  image: 'user_send_image',
  file: 'user_send_file',
  submit_info: 'user_submit_info',
};

export function eventNameOf(action: SandboxUserAction): string {
  return EVENT_NAMES[action.kind];
}

/** The webhook body, with keys in the order of the documented samples. */
export function buildWebhookEvent(action: SandboxUserAction, ctx: WebhookEventContext): Record<string, unknown> {
  const eventName = eventNameOf(action);
  if (action.kind === 'follow' || action.kind === 'unfollow') {
    return {
      oa_id: ctx.oaId,
      follower: { id: ctx.userId },
      user_id_by_app: ctx.userIdByApp,
      event_name: eventName,
      source: 'oa_profile',
      app_id: ctx.appId,
      timestamp: ctx.timestamp,
    };
  }
  const envelope = {
    app_id: ctx.appId,
    user_id_by_app: ctx.userIdByApp,
    sender: { id: ctx.userId },
    recipient: { id: ctx.oaId },
    event_name: eventName,
  };
  if (action.kind === 'submit_info') {
    return { ...envelope, timestamp: ctx.timestamp, info: { name: action.name, phone: action.phone } };
  }
  return { ...envelope, message: buildMessage(action, ctx.msgId), timestamp: ctx.timestamp };
}

function buildMessage(action: Exclude<SandboxUserAction, { kind: 'follow' | 'unfollow' | 'submit_info' }>, msgId: string): Record<string, unknown> {
  switch (action.kind) {
    case 'text':
      return { msg_id: msgId, text: action.text };
    case 'location':
      // Coordinates travel as numeric strings in the observed payloads (§2.3).
      return {
        msg_id: msgId,
        attachments: [{ type: 'location', payload: { coordinates: { latitude: String(action.latitude), longitude: String(action.longitude) } } }],
      };
    case 'image':
      return {
        msg_id: msgId,
        ...(action.text === undefined ? {} : { text: action.text }),
        attachments: [{ type: 'image', payload: { url: action.url, thumbnail: action.url } }],
      };
    case 'file':
      return { msg_id: msgId, attachments: [{ type: 'file', payload: { url: action.url, name: action.name, size: String(action.size) } }] };
  }
}

/** The serialised body and its `X-ZEvent-Signature` header: the signature covers exactly these bytes. */
export function signWebhookEvent(event: Record<string, unknown>, secrets: { appId: string; oaSecretKey: string }): { rawBody: string; signature: string } {
  const rawBody = JSON.stringify(event);
  const timestamp = String(event.timestamp);
  return { rawBody, signature: signZaloHeader({ appId: secrets.appId, rawBody, timestamp, oaSecretKey: secrets.oaSecretKey }) };
}

/**
 * The `oa_send_*` echo real Zalo posts to the webhook for a message the OA sent, when the app subscribes to those
 * events (ZALO.md §2.2, §2.3): sender = the OA, recipient = the user, the message's id and text. Buttons come back
 * as their text; a card and a template carry no text. Nothing for ZBS templates (not documented).
 */
export function buildOaEchoEvent(
  message: { kind: string; text?: string; messageId: string; at: number; imageUrl?: string; fileUrl?: string },
  ctx: { appId: string; oaId: string; userId: string },
): Record<string, unknown> | undefined {
  const eventName =
    message.kind === 'text' || message.kind === 'buttons'
      ? 'oa_send_text'
      : message.kind === 'image'
        ? 'oa_send_image'
        : message.kind === 'file'
          ? 'oa_send_file'
          : message.kind === 'request_user_info'
            ? 'oa_send_request_user_info'
            : undefined;
  if (!eventName) return undefined;
  const attachments =
    message.kind === 'image' && message.imageUrl
      ? [{ type: 'image', payload: { url: message.imageUrl } }]
      : message.kind === 'file' && message.fileUrl
        ? [{ type: 'file', payload: { url: message.fileUrl } }]
        : undefined;
  return {
    app_id: ctx.appId,
    event_name: eventName,
    sender: { id: ctx.oaId },
    recipient: { id: ctx.userId },
    message: { msg_id: message.messageId, ...(message.text === undefined ? {} : { text: message.text }), ...(attachments ? { attachments } : {}) },
    timestamp: String(message.at),
  };
}
