import { createHash } from 'node:crypto';
import type { Clock } from '../../runtime/clock.js';

/**
 * A Zalo user as the OA's webhook sees them: builds the documented event bodies (ZALO.md §2.3), signs
 * them as Zalo does (§3: `mac=` + sha256(appId + rawBody + timestamp + OA secret key), computed here
 * independently of the product's own code) and delivers them. Every delivery is kept, so a test can
 * re-deliver the whole conversation the way Zalo's retries would.
 */

export interface SignedEvent {
  rawBody: string;
  signature: string;
}

export interface WebhookAnswer {
  status: number;
  body: string;
}

export type WebhookPoster = (event: SignedEvent) => Promise<WebhookAnswer>;

export interface ZaloUserOptions {
  appId: string;
  oaId: string;
  oaSecretKey: string;
  userId: string;
  clock: Clock;
  post: WebhookPoster;
  /** Milliseconds the clock moves before each event, so every event has its own timestamp (default 1 s). */
  stepMs?: number;
  /** Advances the clock; when absent, timestamps come from clock.now() as is. */
  advance?: (ms: number) => void;
}

export function signZaloEvent(rawBody: string, secrets: { appId: string; oaSecretKey: string }): string {
  const timestamp = (JSON.parse(rawBody) as { timestamp: string | number }).timestamp;
  return `mac=${createHash('sha256').update(`${secrets.appId}${rawBody}${String(timestamp)}${secrets.oaSecretKey}`, 'utf8').digest('hex')}`;
}

/** `84xxxxxxxxx`, as Zalo hands over a shared phone number (ZALO.md §2.3). */
export function toZaloPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.startsWith('0') ? `84${digits.slice(1)}` : digits;
}

/** A webhook poster over real HTTP. */
export function httpPoster(webhookUrl: string, headers: Record<string, string> = {}): WebhookPoster {
  return async ({ rawBody, signature }) => {
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-zevent-signature': signature, ...headers },
      body: rawBody,
    });
    return { status: response.status, body: await response.text() };
  };
}

export class ZaloUser {
  readonly userId: string;
  readonly userIdByApp: string;
  /** Every event delivered so far, in order. */
  readonly delivered: SignedEvent[] = [];
  private counter = 0;

  constructor(private readonly options: ZaloUserOptions) {
    this.userId = options.userId;
    this.userIdByApp = `5${createHash('sha256').update(options.userId).digest('hex').replace(/\D/g, '').padEnd(17, '7').slice(0, 17)}`;
  }

  /** A 20-hex-digit msg_id, unique per user and deterministic. */
  private nextMsgId(): string {
    this.counter += 1;
    return createHash('sha256').update(`${this.userId}:${this.counter}`).digest('hex').slice(0, 20);
  }

  private timestamp(): string {
    const step = this.options.stepMs ?? 1_000;
    if (this.options.advance && step > 0) this.options.advance(step);
    return String(this.options.clock.now().getTime());
  }

  private envelope(eventName: string) {
    return {
      app_id: this.options.appId,
      user_id_by_app: this.userIdByApp,
      sender: { id: this.userId },
      recipient: { id: this.options.oaId },
      event_name: eventName,
    };
  }

  sign(event: Record<string, unknown>): SignedEvent {
    const rawBody = JSON.stringify(event);
    return { rawBody, signature: signZaloEvent(rawBody, this.options) };
  }

  followEvent(): Record<string, unknown> {
    return {
      oa_id: this.options.oaId,
      follower: { id: this.userId },
      user_id_by_app: this.userIdByApp,
      event_name: 'follow',
      source: 'oa_profile',
      app_id: this.options.appId,
      timestamp: this.timestamp(),
    };
  }

  textEvent(text: string): Record<string, unknown> {
    return { ...this.envelope('user_send_text'), message: { msg_id: this.nextMsgId(), text }, timestamp: this.timestamp() };
  }

  locationEvent(latitude: number, longitude: number): Record<string, unknown> {
    return {
      ...this.envelope('user_send_location'),
      message: {
        msg_id: this.nextMsgId(),
        attachments: [{ type: 'location', payload: { coordinates: { latitude: String(latitude), longitude: String(longitude) } } }],
      },
      timestamp: this.timestamp(),
    };
  }

  imageEvent(url: string, caption?: string): Record<string, unknown> {
    return {
      ...this.envelope('user_send_image'),
      message: {
        msg_id: this.nextMsgId(),
        ...(caption === undefined ? {} : { text: caption }),
        attachments: [{ type: 'image', payload: { url, thumbnail: url } }],
      },
      timestamp: this.timestamp(),
    };
  }

  /** Stickers arrive with an image URL (ZALO.md §2.3: HER/ZCA treat `payload.url` as an image). */
  stickerEvent(url: string): Record<string, unknown> {
    return {
      ...this.envelope('user_send_sticker'),
      message: { msg_id: this.nextMsgId(), attachments: [{ type: 'sticker', payload: { id: '46', url } }] },
      timestamp: this.timestamp(),
    };
  }

  submitInfoEvent(name: string, phone: string): Record<string, unknown> {
    return { ...this.envelope('user_submit_info'), timestamp: this.timestamp(), info: { name, phone: toZaloPhone(phone) } };
  }

  /** Signs and delivers one event, and keeps it for {@link redeliverAll}. */
  async deliver(event: Record<string, unknown>): Promise<WebhookAnswer> {
    const signed = this.sign(event);
    this.delivered.push(signed);
    return this.options.post(signed);
  }

  follow = () => this.deliver(this.followEvent());
  text = (text: string) => this.deliver(this.textEvent(text));
  location = (latitude: number, longitude: number) => this.deliver(this.locationEvent(latitude, longitude));
  image = (url: string, caption?: string) => this.deliver(this.imageEvent(url, caption));
  sticker = (url: string) => this.deliver(this.stickerEvent(url));
  submitInfo = (name: string, phone: string) => this.deliver(this.submitInfoEvent(name, phone));

  /** Delivers again, byte for byte, everything delivered so far (Zalo's at-least-once retries). */
  async redeliverAll(): Promise<WebhookAnswer[]> {
    const answers: WebhookAnswer[] = [];
    for (const signed of [...this.delivered]) answers.push(await this.options.post(signed));
    return answers;
  }
}
