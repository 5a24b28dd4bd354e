import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { messages, outbox } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import { retryTransientDbWrite } from '../../runtime/outbox/db-retry.js';
import { insertOutbox, type DeliveryResult, type OutboxRow } from '../../runtime/outbox/outbox.js';
import type { OutgoingMessage } from '../conversation/outgoing.js';
import { ZaloApiError } from '../zalo/zalo-errors.js';
import type { ZaloClient } from '../zalo/api-client.js';
import { deliveryOrderOf, noEarlierDelivery, waitForEarlierDeliveries } from './delivery-order.js';
import { fingerprintOf, intentFor, reconcileIntent, ZDeliveryIntent, type TDeliveryIntent } from './delivery-intent.js';
import { describeOutgoing, sendOutgoing } from './send-outgoing.js';

const ZZaloRecipient = z.object({ userId: z.string().min(1), contactId: z.number().nullish(), officialId: z.number().nullish() });
const ZZaloData = z.object({ messages: z.array(z.custom<OutgoingMessage>((v) => typeof v === 'object' && v !== null && 'type' in v)).min(1) });

/**
 * The row's progress (`outbox.result`): `sent` messages went out, so a failure re-sends only what did not;
 * `intent` is the message a send was started for and not yet recorded (delivery-intent.ts): a row resumed
 * with one is reconciled before that message is sent again.
 */
const ZProgress = z.object({ sent: z.number().int().min(0), intent: ZDeliveryIntent.nullish() }).partial();

/** How one message in doubt was settled on resume, kept in the row's result. */
interface ReconciledEntry {
  index: number;
  via: 'echo' | 'conversation' | 'resent' | 'resent_unverified';
  msgId?: string;
}

/** Zalo answered, so the request was refused and not acted on; anything else (no answer, a gateway's 5xx) is in doubt. */
function refusedByZalo(err: unknown): boolean {
  return err instanceof ZaloApiError && (err.code !== undefined || (err.httpStatus !== undefined && err.httpStatus < 500)) && !err.sentMessageIds?.length;
}

/**
 * The e-mail a notification goes out as when Zalo itself says the person cannot be reached there now (window
 * closed, `-230`/`-232`…): the notification router attaches it when it knows an address (notify-sender.ts).
 */
export const ZZaloFallback = z.object({
  email: z.object({
    recipient: z.object({ email: z.string().min(1), name: z.string().optional() }),
    template: z.string().min(1),
    data: z.record(z.string(), z.unknown()),
  }),
});
export type TZaloFallback = z.infer<typeof ZZaloFallback>;

export function createZaloSender(deps: { db: Db; client: ZaloClient; clock: Clock; logger?: Logger; echoSettleMs?: number }) {
  const write = <T>(what: string, fn: () => Promise<T>) => retryTransientDbWrite(fn, { what, logger: deps.logger });

  /**
   * The message went out with these ids: the row's progress (with the next message's intent) and the message in
   * the conversation, in one statement. After the row's last message (`final`) the same statement records the row
   * sent, under our claim (a re-claim after the lease wins), and every message written for it as sent: one round
   * trip where a transaction of five and two updates after it used to be (bench/bot-reply.bench.ts).
   */
  async function recordSent(
    row: OutboxRow,
    target: { userId: string; contactId?: number | null; officialId?: number | null },
    message: OutgoingMessage,
    ids: string[],
    progress: { sent: number; intent: TDeliveryIntent | null; reconciled?: ReconciledEntry[] },
    options: { via?: 'echo' | 'conversation'; final: boolean },
  ): Promise<void> {
    const text = describeOutgoing(message);
    const zaloMsgId = ids[0] ?? null;
    const payload = options.via ? { message, reconciled: options.via } : { message };
    const ours = sql`${outbox.status} = 'sending' and ${outbox.claimedAt} = ${row.claimedAt?.toISOString() ?? null}::timestamptz`;
    const now = deps.clock.now().toISOString();
    const finalSet = options.final
      ? sql`, status = case when ${ours} then 'sent' else ${outbox.status} end,
             sent_at = case when ${ours} then ${now}::timestamptz else ${outbox.sentAt} end,
             channel = case when ${ours} then 'zalo' else ${outbox.channel} end,
             last_error = case when ${ours} then null else ${outbox.lastError} end`
      : sql``;
    // An official's reply from the console is recorded with its outbox row (so the timeline shows it, with its
    // author, while it waits): that row is this message, not a second copy of it.
    const finalMessages = options.final
      ? sql`, delivered as (
          update ${messages} set delivery_status = 'sent'
          where outbox_id = ${row.id} and delivery_status is distinct from 'sent' and id not in (select id from recorded))`
      : sql``;
    await write('zalo delivery progress', () =>
      deps.db.execute(sql`
        with progress as (
          update ${outbox} set result = ${JSON.stringify(compactProgress(progress))}::jsonb ${finalSet}
          where ${outbox.id} = ${row.id}),
        recorded as (
          select id from ${messages}
          where outbox_id = ${row.id} and direction = 'out' and zalo_msg_id is null and text = ${text}
          order by id limit 1),
        matched as (
          update ${messages} set zalo_msg_id = ${zaloMsgId}, delivery_status = 'sent'
          where id in (select id from recorded)),
        added as (
          insert into ${messages} (case_id, contact_id, official_id, zalo_user_id, direction, channel, kind, text, payload, zalo_msg_id, delivery_status, outbox_id, at)
          select ${row.caseId}::bigint, ${target.contactId ?? null}::integer, ${target.officialId ?? null}::integer, ${target.userId}, 'out', 'zalo',
                 ${message.type}, ${text}, ${JSON.stringify(payload)}::jsonb, ${zaloMsgId}, 'sent', ${row.id}::bigint, ${now}::timestamptz
          where not exists (select 1 from recorded))
        ${finalMessages}
        select 1`),
    );
  }

  return async function sendZaloRow(row: OutboxRow): Promise<DeliveryResult> {
    const recipient = ZZaloRecipient.safeParse(row.recipient);
    const data = ZZaloData.safeParse(row.data);
    if (!recipient.success || !data.success) return { ok: false, retry: false, error: 'invalid zalo outbox row' };
    const { userId, contactId, officialId } = recipient.data;
    const list = data.data.messages;
    const progress = ZProgress.safeParse(row.result ?? {});
    let sent = progress.success ? (progress.data.sent ?? 0) : 0;
    const sentBefore = sent;
    // The intent left by an earlier attempt that never recorded its result: that message is in doubt.
    const doubt = progress.success ? (progress.data.intent ?? undefined) : undefined;
    const reconciled: ReconciledEntry[] = [];
    // Our claim: an intent is only written while we hold the row (a re-claim after the lease wins).
    const ours = and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), row.claimedAt ? eq(outbox.claimedAt, row.claimedAt) : undefined);
    // One person's messages go out in the order they were written, whichever job got here first. A row resumed with
    // a message in doubt waits before reconciling it; any other row checks the order with its first intent write
    // (one statement less per message) and waits only when that write finds an earlier message still on its way.
    const orderTarget = { rowId: row.id, seq: deliveryOrderOf(row), userId, contactId, officialId };
    let orderChecked = false;
    if (doubt) {
      await waitForEarlierDeliveries(deps.db, orderTarget, () => deps.clock.now());
      orderChecked = true;
    }
    /** The intent of the next message, when the previous progress write already recorded it. */
    let recordedIntent: TDeliveryIntent | undefined;
    for (const [index, message] of list.entries()) {
      if (index < sent) continue;
      try {
        if (doubt && doubt.index === index && doubt.userId === userId && doubt.fp === fingerprintOf(message)) {
          const outcome = await reconcileIntent(
            { db: deps.db, client: deps.client, now: () => deps.clock.now(), ...(deps.logger ? { logger: deps.logger } : {}), ...(deps.echoSettleMs === undefined ? {} : { settleMs: deps.echoSettleMs }) },
            doubt,
            message,
          );
          if (outcome.found) {
            // Zalo has it: recorded as sent with the id Zalo gave it, never sent a second time.
            reconciled.push({ index, via: outcome.via, msgId: outcome.msgId });
            sent = index + 1;
            const next = list[sent];
            recordedIntent = next === undefined ? undefined : intentFor(sent, next, userId, deps.clock.now());
            await recordSent(row, { userId, contactId, officialId }, message, [outcome.msgId], { sent, intent: recordedIntent ?? null, reconciled }, { via: outcome.via, final: next === undefined });
            continue;
          }
          reconciled.push({ index, via: outcome.verified ? 'resent' : 'resent_unverified' });
        }
        if (!recordedIntent || recordedIntent.index !== index) {
          // The intent, durable before the request leaves (the first message of this attempt; later ones ride
          // on the progress write of the message before them).
          const recordIntent = (inOrder: boolean) => {
            const intent = intentFor(index, message, userId, deps.clock.now());
            const where = inOrder ? and(ours, noEarlierDelivery(orderTarget, deps.clock.now())) : ours;
            return write('zalo delivery intent', () =>
              deps.db.update(outbox).set({ result: compactProgress({ sent, intent, reconciled }) }).where(where).returning({ id: outbox.id }),
            );
          };
          let claimed = await recordIntent(!orderChecked);
          if (claimed.length === 0 && !orderChecked) {
            // An earlier message is on its way (or our claim is gone, which the write below finds out).
            await waitForEarlierDeliveries(deps.db, orderTarget, () => deps.clock.now());
            claimed = await recordIntent(false);
          }
          orderChecked = true;
          if (claimed.length === 0) return { ok: false, retry: true, error: 'claim lost before sending (lease expired and the row was claimed again)' };
        }
        const ids = await sendOutgoing(deps.client, userId, message);
        sent = index + 1;
        const next = list[sent];
        recordedIntent = next === undefined ? undefined : intentFor(sent, next, userId, deps.clock.now());
        await recordSent(row, { userId, contactId, officialId }, message, ids, { sent, intent: recordedIntent ?? null, reconciled }, { final: next === undefined });
      } catch (err) {
        if (refusedByZalo(err)) {
          // Zalo answered no: the message did not go out, nothing is in doubt on the next attempt.
          await write('zalo delivery intent cleared', () => deps.db.update(outbox).set({ result: compactProgress({ sent, intent: null, reconciled }) }).where(ours)).catch(() => undefined);
        }
        if (err instanceof ZaloApiError) {
          const error = `zalo ${err.kind}${err.code === undefined ? '' : ` ${err.code}`}: ${err.message}`;
          if (err.kind === 'transient' || err.kind === 'auth') {
            return { ok: false, retry: true, error, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
          }
          // Not reachable in Zalo (window closed, blocked): never retried. A notification whose recipient has an
          // e-mail address goes out by e-mail instead (the design's fallback); anything else is for a human.
          if (err.kind === 'unreachable') {
            const fallback = ZZaloFallback.safeParse(row.data.fallback);
            if (!fallback.success) return { ok: false, retry: false, flag: true, error };
            const { recipient: to, template, data: emailData } = fallback.data.email;
            await insertOutbox(
              deps.db,
              [{ key: `${row.key}:email`, kind: 'email', recipient: to, template, data: emailData, caseId: row.caseId }],
              deps.clock.now(),
            );
            return { ok: true, channel: 'email', result: { sent, fallback: 'email', zaloError: error.slice(0, 500) } };
          }
          return { ok: false, retry: false, error };
        }
        return { ok: false, retry: true, error: err instanceof Error ? err.message : String(err) };
      }
    }
    const result = compactProgress({ sent, intent: null, reconciled });
    // The last message's write recorded the row as sent; a row whose messages had all gone out before this attempt
    // (its worker died after the last send was recorded) has only its status left to record.
    if (list.length > 0 && sentBefore < list.length) return { ok: true, channel: 'zalo', result, recorded: true };
    await write('zalo delivery status', () => deps.db.update(messages).set({ deliveryStatus: 'sent' }).where(eq(messages.outboxId, row.id)));
    return { ok: true, channel: 'zalo', result };
  };
}

/** The row's result as stored: no empty intent or reconciliation list, so a plain delivery stays `{sent}`. */
function compactProgress(p: { sent: number; intent: TDeliveryIntent | null; reconciled?: ReconciledEntry[] }): Record<string, unknown> {
  return { sent: p.sent, ...(p.intent ? { intent: p.intent } : {}), ...(p.reconciled && p.reconciled.length > 0 ? { reconciled: p.reconciled } : {}) };
}
