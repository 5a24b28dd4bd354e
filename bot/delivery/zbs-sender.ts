import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { contacts, messages, officials } from '../../db/schema.js';
import type { Clock } from '../../runtime/clock.js';
import type { Db } from '../../runtime/db.js';
import { insertOutbox, type DeliveryResult, type OutboxRow } from '../../runtime/outbox/outbox.js';
import type { ZaloClient } from '../zalo/api-client.js';
import { normalisePhoneForZalo } from '../zalo/phone-number.js';
import { ZaloApiError } from '../zalo/zalo-errors.js';
import { deliveryOrderOf, waitForEarlierDeliveries } from './delivery-order.js';
import { ZZaloFallback } from './zalo-sender.js';

const ZZbsRecipient = z.union([z.object({ contactId: z.number().int() }), z.object({ officialId: z.number().int() })]);
const ZZbsData = z.object({
  templateId: z.string().min(1),
  templateData: z.record(z.string(), z.union([z.string(), z.number()])),
  /** Our own text of the notification, for the case's message log. */
  text: z.string().optional(),
});

/** ZNS/ZBS refuses template messages sent at night (ZALO.md §5.1, `-133`). */
export const ZNS_NIGHT_REFUSED = -133;
/** Local hour (Asia/Ho_Chi_Minh, UTC+7 all year) from which template messages are accepted again. */
const TEMPLATE_WINDOW_OPENS_AT_HOUR = 6;
const VN_OFFSET_MS = 7 * 60 * 60 * 1000;

/** The next 06:00 in Hà Nội after `now`. */
export function nextTemplateWindowOpening(now: Date): Date {
  const local = new Date(now.getTime() + VN_OFFSET_MS);
  const opening = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), TEMPLATE_WINDOW_OPENS_AT_HOUR) - VN_OFFSET_MS;
  return new Date(opening > now.getTime() ? opening : opening + 24 * 60 * 60 * 1000);
}

/** Zalo's `tracking_id` (≤ 48 characters, echoed on the delivery receipt): the outbox row. */
export function zbsTrackingId(row: { id: number }): string {
  return `pakn-outbox-${row.id}`;
}

interface ZbsTarget {
  phone: string | null;
  zaloUserId: string | null;
  contactId: number | null;
  officialId: number | null;
}

async function findTarget(db: Db, recipient: z.infer<typeof ZZbsRecipient>): Promise<ZbsTarget | undefined> {
  if ('contactId' in recipient) {
    const [c] = await db.select({ phone: contacts.phone, zaloUserId: contacts.zaloUserId }).from(contacts).where(eq(contacts.id, recipient.contactId));
    return c ? { ...c, contactId: recipient.contactId, officialId: null } : undefined;
  }
  const [o] = await db.select({ phone: officials.phone, zaloUserId: officials.zaloUserId }).from(officials).where(eq(officials.id, recipient.officialId));
  return o ? { ...o, contactId: null, officialId: recipient.officialId } : undefined;
}

/**
 * Sends outbox rows of kind 'zbs': an approved ZBS template message by phone through the Business API
 * (`POST {ZALO_BUSINESS_API_BASE_URL}/message/template`, ZALO.md §5.1), for a person outside the 7-day window.
 * The phone is read from the contact or official when sending (the row holds no number), and normalised to
 * `84…`. When Zalo says the person cannot get it (not on Zalo, blocked, template or quota problem), the
 * notification goes by e-mail if the router attached one, else it is flagged for an official.
 */
export function createZbsSender(deps: { db: Db; client: ZaloClient; clock: Clock }) {
  return async function sendZbsRow(row: OutboxRow): Promise<DeliveryResult> {
    const recipient = ZZbsRecipient.safeParse(row.recipient);
    const data = ZZbsData.safeParse(row.data);
    if (!recipient.success || !data.success) return { ok: false, retry: false, error: 'invalid zbs outbox row' };
    const target = await findTarget(deps.db, recipient.data);
    if (!target) return { ok: false, retry: false, error: 'zbs recipient missing' };

    const fallBack = async (error: string): Promise<DeliveryResult> => {
      const fallback = ZZaloFallback.safeParse(row.data.fallback);
      if (!fallback.success) return { ok: false, retry: false, flag: true, error };
      const { recipient: to, template, data: emailData } = fallback.data.email;
      await insertOutbox(deps.db, [{ key: `${row.key}:email`, kind: 'email', recipient: to, template, data: emailData, caseId: row.caseId }], deps.clock.now());
      return { ok: true, channel: 'email', result: { fallback: 'email', zbsError: error.slice(0, 500) } };
    };

    const phone = target.phone ? normalisePhoneForZalo(target.phone) : undefined;
    if (!phone) return fallBack('no mobile number for a ZBS template message');

    // The person's messages keep the order they were written in, whichever channel carries them.
    await waitForEarlierDeliveries(
      deps.db,
      { rowId: row.id, seq: deliveryOrderOf(row), userId: target.zaloUserId ?? '', contactId: target.contactId, officialId: target.officialId },
      () => deps.clock.now(),
    );

    const { templateId, templateData, text } = data.data;
    let msgId: string | null;
    try {
      msgId = await deps.client.sendTemplateByPhone(phone, templateId, templateData, zbsTrackingId(row));
    } catch (err) {
      if (!(err instanceof ZaloApiError)) return { ok: false, retry: true, error: err instanceof Error ? err.message : String(err) };
      const error = `zbs ${err.kind}${err.code === undefined ? '' : ` ${err.code}`}: ${err.message}`;
      // Template messages are not delivered at night: the same message goes out when the window opens.
      if (err.code === ZNS_NIGHT_REFUSED) return { ok: false, retry: true, error, deferUntil: nextTemplateWindowOpening(deps.clock.now()) };
      if (err.kind === 'transient' || err.kind === 'auth') {
        return { ok: false, retry: true, error, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
      }
      // Not on Zalo, blocked, bad phone, template not approved, out of quota, a parameter Zalo refuses: the
      // template will not reach this person by retrying, so another channel or a person takes over.
      return fallBack(error);
    }

    await deps.db.insert(messages).values({
      caseId: row.caseId,
      contactId: target.contactId,
      officialId: target.officialId,
      zaloUserId: target.zaloUserId,
      direction: 'out',
      channel: 'zbs',
      kind: 'template',
      text: text ?? null,
      payload: { templateId, templateData },
      zaloMsgId: msgId,
      deliveryStatus: 'sent',
      outboxId: row.id,
      at: deps.clock.now(),
    });
    return { ok: true, channel: 'zbs', result: { msgId, templateId } };
  };
}
