import { and, arrayOverlaps, eq } from 'drizzle-orm';
import { z } from 'zod';
import { contacts, officials, zaloUsers } from '../../db/schema.js';
import type { Clock } from '../../runtime/clock.js';
import type { Config, ZbsTemplate } from '../../runtime/config.js';
import type { Db } from '../../runtime/db.js';
import { insertOutbox, type DeliveryResult, type OutboxIntent, type OutboxRow } from '../../runtime/outbox/outbox.js';
import type { TemplateRenderer } from '../../runtime/templates.js';
import { ratingButtons } from '../conversation/engine.js';
import type { OutgoingMessage } from '../conversation/outgoing.js';
import { chooseCitizenChannel, isInsideCsWindow } from '../zalo/interaction-window.js';
import { normalisePhoneForZalo } from '../zalo/phone-number.js';
import { deliveryOrderOf } from './delivery-order.js';
import { buildZbsTemplateData } from './zbs-template-data.js';
import type { TZaloFallback } from './zalo-sender.js';

const ZRecipient = z.discriminatedUnion('type', [
  z.object({ type: z.literal('contact'), contactId: z.number() }),
  z.object({ type: z.literal('official'), officialId: z.number() }),
  z.object({ type: z.literal('unit'), unitId: z.number(), roles: z.array(z.string()) }),
  z.object({ type: z.literal('dispatchers') }),
]);

type Role = (typeof officials.$inferSelect)['roles'][number];

/**
 * Routes a workflow notification (outbox kind 'notify') to people and channels: a unit or the
 * dispatchers fan out to one row per official; a person gets a Zalo row inside the 7-day window, else a
 * ZBS template row ('zbs', by phone) when ZALO_ZBS_TEMPLATE_IDS has an approved template for this
 * notification and the person has a mobile number, else an e-mail row, else the notification is flagged
 * for a human. Sending is the 'zalo', 'zbs' and 'email' rows' business, so this step never calls an
 * outside service and is safe to run twice (keys).
 */
export function createNotifySender(deps: { db: Db; clock: Clock; config: Config; templates: TemplateRenderer; kick: () => Promise<void> }) {
  const caseUrl = (row: OutboxRow) => (row.caseId ? `${deps.config.publicBaseUrl}/console/cases/${row.caseId}` : deps.config.publicBaseUrl);

  /**
   * What a 'zbs' row carries: the template and its parameters, the text for the case's message log, and the
   * e-mail to send instead should Zalo refuse the template for this person.
   */
  function zbsData(zbs: ZbsTemplate, data: Record<string, unknown>, text: string | undefined, fallback: TZaloFallback | undefined): Record<string, unknown> {
    return {
      templateId: zbs.templateId,
      templateData: buildZbsTemplateData(data, zbs.params),
      ...(text === undefined ? {} : { text }),
      ...(fallback ? { fallback } : {}),
    };
  }

  async function forward(intents: OutboxIntent[]): Promise<void> {
    await insertOutbox(deps.db, intents, deps.clock.now());
    await deps.kick();
  }

  return async function routeNotification(row: OutboxRow): Promise<DeliveryResult> {
    const parsed = ZRecipient.safeParse(row.recipient);
    if (!parsed.success || !row.template) return { ok: false, retry: false, error: 'invalid notification row' };
    const to = parsed.data;
    const now = deps.clock.now();
    // The admin's edited texts (console → Mẫu tin nhắn) apply to the next notification.
    await deps.templates.refresh();
    const zbs = deps.config.zalo.zbsTemplates[row.template];
    // Rows forwarded from this one keep its place in the recipient's message order (see delivery-order.ts).
    const seq = deliveryOrderOf(row);

    if (to.type === 'unit' || to.type === 'dispatchers') {
      const people = await deps.db
        .select({ id: officials.id })
        .from(officials)
        .where(
          to.type === 'unit'
            ? and(eq(officials.unitId, to.unitId), eq(officials.active, true), arrayOverlaps(officials.roles, to.roles as Role[]))
            : and(eq(officials.active, true), arrayOverlaps(officials.roles, ['dispatcher'])),
        );
      if (people.length === 0) return { ok: false, retry: false, flag: true, error: 'no active official to notify' };
      await forward(
        people.map((p) => ({
          key: `${row.key}:o${p.id}`,
          kind: 'notify',
          recipient: { type: 'official', officialId: p.id },
          template: row.template ?? undefined,
          data: { ...row.data, seq },
          caseId: row.caseId,
        })),
      );
      return { ok: true, channel: 'fanout', result: { officials: people.map((p) => p.id) } };
    }

    if (to.type === 'official') {
      const [official] = await deps.db.select().from(officials).where(eq(officials.id, to.officialId));
      if (!official?.active) return { ok: false, retry: false, error: 'official inactive or missing' };
      const data = { ...row.data, recipientName: official.fullName, caseUrl: caseUrl(row) };
      const channels = official.preferences.channels ?? ['zalo', 'email'];
      let lastInteraction: Date | null = null;
      if (official.zaloUserId) {
        const [u] = await deps.db.select().from(zaloUsers).where(eq(zaloUsers.zaloUserId, official.zaloUserId));
        lastInteraction = u?.lastInteractionAt ?? null;
      }
      const email =
        channels.includes('email') && official.email && deps.templates.has(`email/${row.template}`)
          ? { recipient: { email: official.email, name: official.fullName }, template: row.template, data }
          : undefined;
      if (channels.includes('zalo') && official.zaloUserId && isInsideCsWindow(lastInteraction, now) && deps.templates.has(`zalo/${row.template}`)) {
        const text = deps.templates.render(`zalo/${row.template}`, data);
        // Should Zalo still refuse (window closed after all), the zalo row sends this e-mail instead.
        const fallback: TZaloFallback | undefined = email ? { email } : undefined;
        await forward([
          {
            key: `${row.key}:zalo`,
            kind: 'zalo',
            recipient: { userId: official.zaloUserId, officialId: official.id },
            data: { messages: [{ type: 'text', text }], seq, ...(fallback ? { fallback } : {}) },
            caseId: row.caseId,
          },
        ]);
        return { ok: true, channel: 'zalo' };
      }
      // Outside the window an approved template still reaches the official in Zalo, by phone (paid, so only for
      // the notifications an operator configured).
      if (channels.includes('zalo') && zbs && official.phone && normalisePhoneForZalo(official.phone)) {
        const text = deps.templates.has(`zalo/${row.template}`) ? deps.templates.render(`zalo/${row.template}`, data) : undefined;
        const fallback: TZaloFallback | undefined = email ? { email } : undefined;
        await forward([{ key: `${row.key}:zbs`, kind: 'zbs', recipient: { officialId: official.id }, data: { ...zbsData(zbs, data, text, fallback), seq }, caseId: row.caseId }]);
        return { ok: true, channel: 'zbs' };
      }
      if (email) {
        await forward([{ key: `${row.key}:email`, kind: 'email', recipient: email.recipient, template: email.template, data, caseId: row.caseId }]);
        return { ok: true, channel: 'email' };
      }
      return { ok: false, retry: false, flag: true, error: 'official has no reachable channel' };
    }

    const [contact] = await deps.db.select().from(contacts).where(eq(contacts.id, to.contactId));
    if (!contact) return { ok: false, retry: false, error: 'contact missing' };
    const [user] = contact.zaloUserId ? await deps.db.select().from(zaloUsers).where(eq(zaloUsers.zaloUserId, contact.zaloUserId)) : [];
    const channel = chooseCitizenChannel({
      lastInteractionAt: user?.lastInteractionAt ?? null,
      now,
      hasZbsTemplate: zbs !== undefined,
      // ZBS goes by phone through the Business API (ZALO.md §5.1): only a mobile number can receive it.
      hasPhone: Boolean(contact.phone && normalisePhoneForZalo(contact.phone)),
      // ZBS by user id is documented by one source only (ZALO.md §9.6): not used.
      zbsByUserId: false,
      hasEmail: Boolean(contact.email),
      hasZaloUserId: Boolean(contact.zaloUserId),
      // A notification may wait in the queue a little: keep an hour in hand before the window closes.
      safetyMarginMs: 3_600_000,
    });
    const text = deps.templates.render(`zalo/${row.template}`, row.data);
    const email = contact.email
      ? {
          recipient: { email: contact.email, ...(contact.fullName ? { name: contact.fullName } : {}) },
          template: 'citizen-notification',
          data: { subject: `Phản ánh ${String(row.data.caseCode ?? '')}`, body: text },
        }
      : undefined;
    if (channel === 'cs' && contact.zaloUserId) {
      const code = typeof row.data.caseCode === 'string' ? row.data.caseCode : undefined;
      const messages: OutgoingMessage[] = [{ type: 'text', text }];
      if (row.template === 'case-answered' && code && !row.data.mergedIntoCode) messages.push(...ratingButtons(code));
      // Our record of the window may be behind Zalo's: if Zalo answers "outside the window", this e-mail goes instead.
      const fallback: TZaloFallback | undefined = email ? { email } : undefined;
      await forward([
        {
          key: `${row.key}:zalo`,
          kind: 'zalo',
          recipient: { userId: contact.zaloUserId, contactId: contact.id },
          data: { messages, seq, ...(fallback ? { fallback } : {}) },
          caseId: row.caseId,
        },
      ]);
      return { ok: true, channel: 'zalo' };
    }
    if (channel === 'zbs_phone' && zbs) {
      const fallback: TZaloFallback | undefined = email ? { email } : undefined;
      await forward([{ key: `${row.key}:zbs`, kind: 'zbs', recipient: { contactId: contact.id }, data: { ...zbsData(zbs, row.data, text, fallback), seq }, caseId: row.caseId }]);
      return { ok: true, channel: 'zbs' };
    }
    if (channel === 'email' && email) {
      await forward([{ key: `${row.key}:email`, kind: 'email', recipient: email.recipient, template: email.template, data: email.data, caseId: row.caseId }]);
      return { ok: true, channel: 'email' };
    }
    return { ok: false, retry: false, flag: true, error: 'citizen outside the Zalo window with no other channel' };
  };
}
