import { and, eq, inArray } from 'drizzle-orm';
import { expect } from 'vitest';
import { botPart } from '../../bot/bot.part.js';
import {
  attachments,
  caseCounters,
  caseEvents,
  cases,
  caseUnits,
  consents,
  contacts,
  conversations,
  inboundEvents,
  messages,
  outbox,
  zaloUsers,
} from '../../db/schema.js';
import { createFakeClock, type FakeClock } from '../../runtime/clock.js';
import { SANDBOX_ZALO } from '../../runtime/config.js';
import type { Db } from '../../runtime/db.js';
import { relayOutbox } from '../../runtime/outbox/outbox.js';
import { PRODUCT_PARTS } from '../../runtime/parts.js';
import type { ProductPart } from '../../runtime/start.js';
import type { Driver } from '../helpers/db.js';
import { startTestPakn, type TestPakn } from '../helpers/start-test-pakn.js';
import { httpPoster, ZaloUser } from '../helpers/zalo-user.js';

/**
 * The product in sandbox mode, driven the way Zalo drives it: signed webhook POSTs over HTTP, jobs on
 * the in-process runner, replies sent by the real Zalo client to the sandbox's fake OA API, and read
 * back from what that fake API recorded. A fake clock keeps timestamps and due dates stable.
 */

export const TRANSCRIPT_START = '2026-03-02T09:00:00+07:00';
/** How far the clock moves before each user event. */
export const STEP_MS = 10_000;

/** What the fake OA API recorded for one OA → user message (GET /sandbox/api/messages). */
export interface OaMessage {
  seq: number;
  from: 'user' | 'oa';
  kind: string;
  text?: string;
  buttons?: Array<{ title: string; type: string; payload: string }>;
  title?: string;
  subtitle?: string;
  imageUrl?: string;
  fileName?: string;
  templateId?: string;
  templateData?: Record<string, unknown>;
}

/**
 * The product's parts, minus what would make transcripts depend on more than the bot: demo cases
 * (they would shift every case code) and the other parts' periodic duties (nightly classifier
 * training, reports, nudges to officials), which a fixed clock would run on the first tick of every run.
 * The bot's own tick stays; the tests also call it directly.
 */
const TRANSCRIPT_PARTS: ProductPart[] = PRODUCT_PARTS.map(({ seedDemo: _demo, tick, ...part }) => (part.name === botPart.name ? { ...part, tick } : part));

export class ChatHarness {
  private constructor(
    readonly pakn: TestPakn,
    readonly clock: FakeClock,
  ) {}

  static async start(options: { driver: Driver; env?: Record<string, string>; start?: string }): Promise<ChatHarness> {
    const clock = createFakeClock(options.start ?? TRANSCRIPT_START);
    const pakn = await startTestPakn({ driver: options.driver, clock, parts: TRANSCRIPT_PARTS, ...(options.env ? { env: options.env } : {}) });
    const harness = new ChatHarness(pakn, clock);
    // The first scheduler tick runs at start: let it finish here.
    await harness.settle();
    return harness;
  }

  get db(): Db {
    return this.pakn.running.deps.database.db;
  }

  get url(): string {
    return this.pakn.url;
  }

  close(): Promise<void> {
    return this.pakn.close();
  }

  /** A new citizen in the sandbox, talking to the OA through the signed webhook. */
  async newChat(displayName: string): Promise<Chat> {
    const response = await fetch(`${this.url}/sandbox/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ displayName }),
    });
    expect(response.status).toBe(201);
    const { userId } = (await response.json()) as { userId: string };
    const user = new ZaloUser({
      ...SANDBOX_ZALO,
      userId,
      clock: this.clock,
      advance: (ms) => this.clock.advance(ms),
      stepMs: STEP_MS,
      post: httpPoster(`${this.url}/zalo/webhook`),
    });
    return new Chat(this, user);
  }

  /**
   * Waits until every job is done (webhook events processed, replies and notifications delivered),
   * then checks that nothing was left behind: no event failed, no Zalo message is still waiting.
   */
  async settle(): Promise<void> {
    await this.pakn.running.deps.jobs.drain();
    const unfinishedEvents = await this.db.select({ id: inboundEvents.id, status: inboundEvents.status, error: inboundEvents.error }).from(inboundEvents).where(inArray(inboundEvents.status, ['pending', 'processing', 'failed']));
    expect(unfinishedEvents).toEqual([]);
    const unsent = await this.db
      .select({ id: outbox.id, key: outbox.key, status: outbox.status, lastError: outbox.lastError })
      .from(outbox)
      .where(and(eq(outbox.kind, 'zalo'), inArray(outbox.status, ['pending', 'sending', 'failed'])));
    expect(unsent).toEqual([]);
  }

  /** Hands new outbox rows (written by a workflow command outside the bot) to the delivery jobs, then settles. */
  async relayAndSettle(): Promise<void> {
    await relayOutbox(this.db, this.pakn.running.deps.jobs, this.clock.now());
    await this.settle();
  }

  /** Runs the bot's part of the scheduler tick at the clock's current time, then settles. */
  async tick(): Promise<void> {
    await botPart.tick?.(this.pakn.running.deps, this.clock.now());
    await this.settle();
  }

  /** Forgets every conversation, case and message, so the next transcript starts with PA-…-000001. */
  async resetConversations(): Promise<void> {
    await this.settle();
    for (const table of [inboundEvents, outbox, messages, conversations, contacts, zaloUsers, consents, caseEvents, caseUnits, attachments, cases, caseCounters]) {
      await this.db.delete(table);
    }
    this.clock.set(TRANSCRIPT_START);
  }

  /** What the fake OA API recorded for a user after `afterSeq`. */
  async oaMessages(userId: string, afterSeq = 0): Promise<{ messages: OaMessage[]; lastSeq: number }> {
    const response = await fetch(`${this.url}/sandbox/api/messages?userId=${encodeURIComponent(userId)}&after=${afterSeq}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { messages: OaMessage[] };
    const lastSeq = body.messages.reduce((max, m) => Math.max(max, m.seq), afterSeq);
    return { messages: body.messages.filter((m) => m.from === 'oa'), lastSeq };
  }
}

export class Chat {
  private cursor = 0;
  /** Every OA message seen so far, for finding the button a user taps. */
  private readonly seen: OaMessage[] = [];

  constructor(
    readonly harness: ChatHarness,
    readonly user: ZaloUser,
  ) {}

  get userId(): string {
    return this.user.userId;
  }

  /** OA messages that arrived since the last call. */
  async readNew(): Promise<OaMessage[]> {
    const { messages: fresh, lastSeq } = await this.harness.oaMessages(this.userId, this.cursor);
    this.cursor = lastSeq;
    this.seen.push(...fresh);
    return fresh;
  }

  /** The payload of the most recent button with this title, as a tapped `oa.query.*` button sends it. */
  buttonPayload(title: string): string {
    for (let i = this.seen.length - 1; i >= 0; i--) {
      const button = this.seen[i]!.buttons?.find((b) => b.title === title && b.type.startsWith('oa.query.'));
      if (button) return button.payload;
    }
    throw new Error(`no button "${title}" was offered; offered: ${this.seen.flatMap((m) => m.buttons?.map((b) => b.title) ?? []).join(', ')}`);
  }

  /** Performs one transcript input line (without the `> `); the webhook must answer 200. */
  async perform(input: string): Promise<void> {
    const answer = await this.deliver(input);
    expect(answer.status, `webhook answer to "${input}": ${answer.body}`).toBe(200);
  }

  private deliver(input: string) {
    const directive = input.match(/^\[(\w+)(?:\s+(.*))?\]$/);
    if (!directive) return this.user.text(input);
    const [, name, args = ''] = directive;
    switch (name) {
      case 'follow':
        return this.user.follow();
      case 'tap':
        return this.user.text(this.buttonPayload(args.trim()));
      case 'location': {
        const [latitude, longitude] = args.trim().split(/\s+/).map(Number);
        if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) throw new Error(`bad location: ${input}`);
        return this.user.location(latitude!, longitude!);
      }
      case 'image': {
        const [url, ...caption] = args.trim().split(/\s+/);
        return this.user.image(url!, caption.length > 0 ? caption.join(' ') : undefined);
      }
      case 'sticker':
        return this.user.sticker(args.trim());
      case 'share': {
        const words = args.trim().split(/\s+/);
        const phone = words.pop() ?? '';
        return this.user.submitInfo(words.join(' '), phone);
      }
      default:
        throw new Error(`unknown transcript directive: ${input}`);
    }
  }
}

/** One OA message as transcript lines: `< ` text lines, `<   [Nút: …]` buttons. */
export function renderOaMessage(message: OaMessage): string[] {
  const textLines = (text: string | undefined) => (text ?? '').split('\n').map((line) => (line === '' ? '<' : `< ${line}`));
  switch (message.kind) {
    case 'text':
      return textLines(message.text);
    case 'buttons':
      return [...textLines(message.text), ...(message.buttons ?? []).map((b) => `<   [Nút: ${b.title}]`)];
    case 'request_user_info':
      return [`< [Thẻ chia sẻ thông tin: ${message.title ?? ''} — ${message.subtitle ?? ''}]`];
    case 'image':
      return [`< [Ảnh: ${message.imageUrl ?? ''}]`, ...(message.text ? textLines(message.text) : [])];
    case 'file':
      return [`< [Tệp: ${message.fileName ?? ''}]`, ...(message.text ? textLines(message.text) : [])];
    case 'template':
      return [`< [Tin mẫu ${message.templateId ?? ''}: ${JSON.stringify(message.templateData ?? {})}]`];
    default:
      return [`< [${message.kind}]`];
  }
}

/** Several OA messages in a row are separated by a bare `<` line. */
export function renderOaMessages(list: OaMessage[]): string[] {
  if (list.length === 0) return ['< (no reply)'];
  return list.flatMap((m, i) => (i === 0 ? renderOaMessage(m) : ['<', ...renderOaMessage(m)]));
}
