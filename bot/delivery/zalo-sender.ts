import { and, asc, eq, isNull } from 'drizzle-orm';
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
import { deliveryOrderOf, waitForEarlierDeliveries } from './delivery-order.js';
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

  /** The message went out with these ids: progress, the next message's intent and the conversation, one transaction. */
  async function recordSent(
    row: OutboxRow,
    target: { userId: string; contactId?: number | null; officialId?: number | null },
    message: OutgoingMessage,
    ids: string[],
    progress: { sent: number; intent: TDeliveryIntent | null; reconciled?: ReconciledEntry[] },
    via?: 'echo' | 'conversation',
  ): Promise<void> {
    await write('zalo delivery progress', () =>
      deps.db.transaction(async (tx) => {
        await tx.update(outbox).set({ result: compactProgress(progress) }).where(eq(outbox.id, row.id));
        // An official's reply from the console is recorded with its outbox row (so the timeline shows it,
        // with its author, while it waits): that row is this message, not a second copy of it.
        const [recorded] = await tx
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.outboxId, row.id), eq(messages.direction, 'out'), isNull(messages.zaloMsgId), eq(messages.text, describeOutgoing(message))))
          .orderBy(asc(messages.id))
          .limit(1);
        if (recorded) {
          await tx.update(messages).set({ zaloMsgId: ids[0] ?? null, deliveryStatus: 'sent' }).where(eq(messages.id, recorded.id));
          return;
        }
        await tx.insert(messages).values({
          caseId: row.caseId,
          contactId: target.contactId ?? null,
          officialId: target.officialId ?? null,
          zaloUserId: target.userId,
          direction: 'out',
          channel: 'zalo',
          kind: message.type,
          text: describeOutgoing(message),
          payload: via ? { message, reconciled: via } : { message },
          zaloMsgId: ids[0] ?? null,
          deliveryStatus: 'sent',
          outboxId: row.id,
          at: deps.clock.now(),
        });
      }),
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
    // The intent left by an earlier attempt that never recorded its result: that message is in doubt.
    const doubt = progress.success ? (progress.data.intent ?? undefined) : undefined;
    const reconciled: ReconciledEntry[] = [];
    // Our claim: an intent is only written while we hold the row (a re-claim after the lease wins).
    const ours = and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), row.claimedAt ? eq(outbox.claimedAt, row.claimedAt) : undefined);
    // One person's messages go out in the order they were written, whichever job got here first.
    await waitForEarlierDeliveries(deps.db, { rowId: row.id, seq: deliveryOrderOf(row), userId, contactId, officialId }, () => deps.clock.now());
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
            await recordSent(row, { userId, contactId, officialId }, message, [outcome.msgId], { sent, intent: recordedIntent ?? null, reconciled }, outcome.via);
            continue;
          }
          reconciled.push({ index, via: outcome.verified ? 'resent' : 'resent_unverified' });
        }
        if (!recordedIntent || recordedIntent.index !== index) {
          // The intent, durable before the request leaves (the first message of this attempt; later ones ride
          // on the progress write of the message before them).
          const intent = intentFor(index, message, userId, deps.clock.now());
          const claimed = await write('zalo delivery intent', () =>
            deps.db.update(outbox).set({ result: compactProgress({ sent, intent, reconciled }) }).where(ours).returning({ id: outbox.id }),
          );
          if (claimed.length === 0) return { ok: false, retry: true, error: 'claim lost before sending (lease expired and the row was claimed again)' };
        }
        const ids = await sendOutgoing(deps.client, userId, message);
        sent = index + 1;
        const next = list[sent];
        recordedIntent = next === undefined ? undefined : intentFor(sent, next, userId, deps.clock.now());
        await recordSent(row, { userId, contactId, officialId }, message, ids, { sent, intent: recordedIntent ?? null, reconciled });
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
    await write('zalo delivery status', () => deps.db.update(messages).set({ deliveryStatus: 'sent' }).where(eq(messages.outboxId, row.id)));
    return { ok: true, channel: 'zalo', result: compactProgress({ sent, intent: null, reconciled }) };
  };
}

/** The row's result as stored: no empty intent or reconciliation list, so a plain delivery stays `{sent}`. */
function compactProgress(p: { sent: number; intent: TDeliveryIntent | null; reconciled?: ReconciledEntry[] }): Record<string, unknown> {
  return { sent: p.sent, ...(p.intent ? { intent: p.intent } : {}), ...(p.reconciled && p.reconciled.length > 0 ? { reconciled: p.reconciled } : {}) };
}
