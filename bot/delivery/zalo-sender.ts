import { and, asc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { messages, outbox } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import type { Clock } from '../../runtime/clock.js';
import { insertOutbox, type DeliveryResult, type OutboxRow } from '../../runtime/outbox/outbox.js';
import type { OutgoingMessage } from '../conversation/outgoing.js';
import { ZaloApiError } from '../zalo/zalo-errors.js';
import type { ZaloClient } from '../zalo/api-client.js';
import { deliveryOrderOf, waitForEarlierDeliveries } from './delivery-order.js';
import { describeOutgoing, sendOutgoing } from './send-outgoing.js';

const ZZaloRecipient = z.object({ userId: z.string().min(1), contactId: z.number().nullish(), officialId: z.number().nullish() });
const ZZaloData = z.object({ messages: z.array(z.custom<OutgoingMessage>((v) => typeof v === 'object' && v !== null && 'type' in v)).min(1) });

/** A failure of one message in a row re-sends only what did not go out yet. */
const ZProgress = z.object({ sent: z.number().int().min(0) }).partial();

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

export function createZaloSender(deps: { db: Db; client: ZaloClient; clock: Clock }) {
  return async function sendZaloRow(row: OutboxRow): Promise<DeliveryResult> {
    const recipient = ZZaloRecipient.safeParse(row.recipient);
    const data = ZZaloData.safeParse(row.data);
    if (!recipient.success || !data.success) return { ok: false, retry: false, error: 'invalid zalo outbox row' };
    const { userId, contactId, officialId } = recipient.data;
    let sent = ZProgress.parse(row.result ?? {}).sent ?? 0;
    // One person's messages go out in the order they were written, whichever job got here first.
    await waitForEarlierDeliveries(deps.db, { rowId: row.id, seq: deliveryOrderOf(row), userId, contactId, officialId }, () => deps.clock.now());
    for (const [index, message] of data.data.messages.entries()) {
      if (index < sent) continue;
      try {
        const ids = await sendOutgoing(deps.client, userId, message);
        sent = index + 1;
        await deps.db.transaction(async (tx) => {
          await tx.update(outbox).set({ result: { sent } }).where(eq(outbox.id, row.id));
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
            contactId: contactId ?? null,
            officialId: officialId ?? null,
            zaloUserId: userId,
            direction: 'out',
            channel: 'zalo',
            kind: message.type,
            text: describeOutgoing(message),
            payload: { message },
            zaloMsgId: ids[0] ?? null,
            deliveryStatus: 'sent',
            outboxId: row.id,
            at: deps.clock.now(),
          });
        });
      } catch (err) {
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
    await deps.db.update(messages).set({ deliveryStatus: 'sent' }).where(eq(messages.outboxId, row.id));
    return { ok: true, channel: 'zalo', result: { sent } };
  };
}
