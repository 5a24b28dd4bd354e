import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, asc, eq, gte, inArray, like } from 'drizzle-orm';
import { z } from 'zod';
import { inboundEvents, messages } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import type { Logger } from '../../runtime/logger.js';
import type { OutgoingMessage } from '../conversation/outgoing.js';
import type { ZaloClient } from '../zalo/api-client.js';
import { normaliseText, splitZaloText } from '../zalo/message-text.js';
import { parseZaloEvent } from '../zalo/webhook.schema.js';

/**
 * Exactly-once sends over an API without an idempotency key (issue #7).
 *
 * Zalo's CS send has no idempotency key: a worker that dies after Zalo accepted a message but before it
 * recorded so would, on the row's next claim, send the message again. So before each send the Zalo sender
 * durably records an *intent* in the outbox row (`result.intent`: which message of the row, a fingerprint of
 * its content, the recipient, the time), and a send that comes back clears it in the same write that records
 * the progress. A row resumed with an intent still recorded is in doubt for exactly that one message, and is
 * *reconciled* before anything is sent:
 *
 * 1. the `oa_send_*` echo Zalo posts to our webhook for every message the OA sends (stored in inbound_events
 *    like every event): same recipient, same content, at or after the intent (less a clock-skew margin), and
 *    a msg_id no other outgoing message has claimed already → the message went out; its msg_id is recorded;
 * 2. if no echo shows it, Zalo's conversation API (`GET /v2.0/oa/conversation`, newest 10 messages of that
 *    user) is asked, matched the same way;
 * 3. only if neither shows it is the message sent again.
 *
 * Residual risk: with the `oa_send_*` events not subscribed in the Zalo app console (no echoes) AND the
 * conversation API unavailable or failing, nothing can tell whether the message in doubt went out; it is then
 * sent again (at-least-once for that one message, logged as `unverified`). The same holds for content the
 * echo cannot be matched on (a `request_user_info` card whose echo carries no text is matched by its event
 * name only), and for a long text Zalo receives as several chunks, of which only the last is matched: when
 * the worker died between chunks, the chunks before are sent again.
 *
 * Cost: nothing on the normal path but the intent itself: one small UPDATE before the first message of a row,
 * and for every later message the intent rides on the progress write of the message before it. The lookups
 * run only for a row resumed with an intent recorded.
 */

/** The echo's `timestamp` is Zalo's clock, the intent's ours: an echo this much older still counts. */
export const ECHO_CLOCK_SKEW_MS = 2 * 60_000;
/** A row resumed this soon after its intent gives a just-accepted message's echo the time to arrive. */
export const ECHO_SETTLE_MS = 3_000;
const MAX_ECHO_CANDIDATES = 50;

export const ZDeliveryIntent = z.object({
  /** Index of the message in the row's `data.messages`. */
  index: z.number().int().min(0),
  /** {@link fingerprintOf} the message: the row's message is still the one the intent was about. */
  fp: z.string(),
  userId: z.string(),
  /** ISO time, recorded before the send. */
  at: z.string(),
});
export type TDeliveryIntent = z.infer<typeof ZDeliveryIntent>;

/** What a sent message looks like once it comes back (echo, conversation): the content it is matched on. */
export interface MessageShape {
  kind: 'text' | 'image' | 'request_user_info';
  /** NFC text of the last (or only) chunk Zalo receives; '' when the message has no text. */
  text: string;
}

export function shapeOf(message: OutgoingMessage): MessageShape {
  switch (message.type) {
    case 'text':
    case 'buttons': {
      // A long text goes out in chunks, the buttons on the last: when the last arrived, all of them did.
      const chunks = splitZaloText(message.text);
      return { kind: 'text', text: chunks[chunks.length - 1] ?? '' };
    }
    case 'image':
      return { kind: 'image', text: message.text === undefined ? '' : normaliseText(message.text).trim() };
    case 'request_user_info':
      return { kind: 'request_user_info', text: '' };
  }
}

export function fingerprintOf(message: OutgoingMessage): string {
  const shape = shapeOf(message);
  return createHash('sha256').update(`${message.type}\n${shape.kind}\n${shape.text}`, 'utf8').digest('hex').slice(0, 24);
}

export function intentFor(index: number, message: OutgoingMessage, userId: string, at: Date): TDeliveryIntent {
  return { index, fp: fingerprintOf(message), userId, at: at.toISOString() };
}

export type Reconciliation =
  | { found: true; msgId: string; via: 'echo' | 'conversation' }
  | { found: false; verified: boolean; reason?: string };

function sameText(a: string | undefined, b: string): boolean {
  return normaliseText(a ?? '').trim() === b;
}

function echoMatches(eventName: string, text: string | undefined, shape: MessageShape): boolean {
  switch (shape.kind) {
    case 'text':
      return sameText(text, shape.text);
    case 'image':
      return eventName === 'oa_send_image' && sameText(text, shape.text);
    case 'request_user_info':
      return eventName === 'oa_send_request_user_info';
  }
}

function conversationMatches(type: string | undefined, text: string | undefined, shape: MessageShape): boolean {
  switch (shape.kind) {
    case 'text':
      return sameText(text, shape.text);
    case 'image':
      return (type === undefined || /image|photo/i.test(type)) && sameText(text, shape.text);
    case 'request_user_info':
      // The conversation API does not say enough about a card to tell it from another.
      return false;
  }
}

/** Of these Zalo message ids, the ones already recorded for an outgoing message (so not ours to claim). */
async function claimedIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: messages.zaloMsgId })
    .from(messages)
    .where(and(inArray(messages.zaloMsgId, ids), eq(messages.direction, 'out')));
  return new Set(rows.flatMap((r) => (r.id ? [r.id] : [])));
}

/** Step 1: the `oa_send_*` echo of the message in doubt, if our webhook stored one. */
export async function findEcho(db: Db, intent: TDeliveryIntent, shape: MessageShape): Promise<string | undefined> {
  const since = new Date(Date.parse(intent.at) - ECHO_CLOCK_SKEW_MS);
  // inbound_events.sender_id of an echo is the user it went to (the webhook keys events by the user).
  const candidates = await db
    .select({ raw: inboundEvents.raw })
    .from(inboundEvents)
    .where(
      and(
        eq(inboundEvents.senderId, intent.userId),
        like(inboundEvents.eventName, 'oa\\_send\\_%'),
        gte(inboundEvents.receivedAt, since),
      ),
    )
    .orderBy(asc(inboundEvents.id))
    .limit(MAX_ECHO_CANDIDATES);
  const matches: string[] = [];
  for (const { raw } of candidates) {
    const parsed = parseZaloEvent(raw);
    if (!parsed.ok || parsed.event.type !== 'oa_echo') continue;
    const echo = parsed.event;
    // Staff typing in the OA app is not our send; an echo older than the intent (less the skew) is an earlier message.
    if (echo.byStaff || !echo.msgId || echo.userId !== intent.userId || echo.timestamp < since.getTime()) continue;
    if (echoMatches(echo.eventName, echo.text, shape)) matches.push(echo.msgId);
  }
  const claimed = await claimedIds(db, matches);
  return matches.find((id) => !claimed.has(id));
}

/** Step 2: Zalo's own record of the conversation. Throws when the API fails. */
export async function findInConversation(db: Db, client: ZaloClient, intent: TDeliveryIntent, shape: MessageShape): Promise<string | undefined> {
  if (!client.getRecentMessages) throw new Error('the Zalo client has no conversation API');
  const since = Date.parse(intent.at) - ECHO_CLOCK_SKEW_MS;
  const recent = await client.getRecentMessages(intent.userId);
  // Oldest first: of two identical messages, the earlier unclaimed one is the one in doubt.
  const matches = recent
    .filter((m) => (m.toId === undefined ? m.fromId !== intent.userId : m.toId === intent.userId))
    .filter((m) => m.time === undefined || m.time >= since)
    .filter((m) => conversationMatches(m.type, m.text, shape))
    .map((m) => m.messageId)
    .reverse();
  const claimed = await claimedIds(db, matches);
  return matches.find((id) => !claimed.has(id));
}

/**
 * Whether the message an intent was recorded for went out: echo first (a database read), then Zalo's
 * conversation API. `verified: false` means neither source could be read and the answer is a guess.
 */
export async function reconcileIntent(
  deps: { db: Db; client: ZaloClient; logger?: Logger; now: () => Date; settleMs?: number },
  intent: TDeliveryIntent,
  message: OutgoingMessage,
): Promise<Reconciliation> {
  const shape = shapeOf(message);
  // Resumed at once (a retry right after a timeout): let the echo of a just-accepted message arrive first.
  const settle = Math.min(deps.settleMs ?? ECHO_SETTLE_MS, Date.parse(intent.at) + (deps.settleMs ?? ECHO_SETTLE_MS) - deps.now().getTime());
  if (settle > 0) await sleep(settle);

  const echo = await findEcho(deps.db, intent, shape);
  if (echo) return { found: true, msgId: echo, via: 'echo' };
  try {
    const seen = await findInConversation(deps.db, deps.client, intent, shape);
    if (seen) return { found: true, msgId: seen, via: 'conversation' };
    return { found: false, verified: true };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    deps.logger?.warn({ userId: intent.userId, index: intent.index, reason }, 'delivery in doubt: no echo and the conversation API failed; sending again');
    return { found: false, verified: false, reason };
  }
}
