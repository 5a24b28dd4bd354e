import { and, arrayOverlaps, eq } from 'drizzle-orm';
import { z } from 'zod';
import { contacts, officials, zaloUsers } from '../../db/schema.js';
import type { Clock } from '../../runtime/clock.js';
import type { Config } from '../../runtime/config.js';
import type { Db } from '../../runtime/db.js';
import { insertOutbox, type DeliveryResult, type OutboxIntent, type OutboxRow } from '../../runtime/outbox/outbox.js';
import type { TemplateRenderer } from '../../runtime/templates.js';
import { ratingButtons } from '../conversation/engine.js';
import type { OutgoingMessage } from '../conversation/outgoing.js';
import { chooseCitizenChannel, isInsideCsWindow } from '../zalo/interaction-window.js';
import { deliveryOrderOf } from './delivery-order.js';

const ZRecipient = z.discriminatedUnion('type', [
  z.object({ type: z.literal('contact'), contactId: z.number() }),
  z.object({ type: z.literal('official'), officialId: z.number() }),
  z.object({ type: z.literal('unit'), unitId: z.number(), roles: z.array(z.string()) }),
  z.object({ type: z.literal('dispatchers') }),
]);

type Role = (typeof officials.$inferSelect)['roles'][number];

/**
 * Routes a workflow notification (outbox kind 'notify') to people and channels: a unit or the
 * dispatchers fan out to one row per official; a person gets a Zalo row inside the 7-day window,
 * else an e-mail row, else the notification is flagged for a human. Sending is the 'zalo' and 'email'
 * rows' business, so this step never calls an outside service and is safe to run twice (keys).
 */
export function createNotifySender(deps: { db: Db; clock: Clock; config: Config; templates: TemplateRenderer; kick: () => Promise<void> }) {
  const caseUrl = (row: OutboxRow) => (row.caseId ? `${deps.config.publicBaseUrl}/console/cases/${row.caseId}` : deps.config.publicBaseUrl);

  async function forward(intents: OutboxIntent[]): Promise<void> {
    await insertOutbox(deps.db, intents, deps.clock.now());
    await deps.kick();
  }

  return async function routeNotification(row: OutboxRow): Promise<DeliveryResult> {
    const parsed = ZRecipient.safeParse(row.recipient);
    if (!parsed.success || !row.template) return { ok: false, retry: false, error: 'invalid notification row' };
    const to = parsed.data;
    const now = deps.clock.now();
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
      if (channels.includes('zalo') && official.zaloUserId && isInsideCsWindow(lastInteraction, now) && deps.templates.has(`zalo/${row.template}`)) {
        const text = deps.templates.render(`zalo/${row.template}`, data);
        await forward([{ key: `${row.key}:zalo`, kind: 'zalo', recipient: { userId: official.zaloUserId, officialId: official.id }, data: { messages: [{ type: 'text', text }], seq }, caseId: row.caseId }]);
        return { ok: true, channel: 'zalo' };
      }
      if (channels.includes('email') && official.email && deps.templates.has(`email/${row.template}`)) {
        await forward([{ key: `${row.key}:email`, kind: 'email', recipient: { email: official.email, name: official.fullName }, template: row.template, data, caseId: row.caseId }]);
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
      hasZbsTemplate: false,
      hasPhone: Boolean(contact.phone),
      hasEmail: Boolean(contact.email),
      hasZaloUserId: Boolean(contact.zaloUserId),
      // A notification may wait in the queue a little: keep an hour in hand before the window closes.
      safetyMarginMs: 3_600_000,
    });
    const text = deps.templates.render(`zalo/${row.template}`, row.data);
    if (channel === 'cs' && contact.zaloUserId) {
      const code = typeof row.data.caseCode === 'string' ? row.data.caseCode : undefined;
      const messages: OutgoingMessage[] = [{ type: 'text', text }];
      if (row.template === 'case-answered' && code && !row.data.mergedIntoCode) messages.push(...ratingButtons(code));
      await forward([{ key: `${row.key}:zalo`, kind: 'zalo', recipient: { userId: contact.zaloUserId, contactId: contact.id }, data: { messages, seq }, caseId: row.caseId }]);
      return { ok: true, channel: 'zalo' };
    }
    if (channel === 'email' && contact.email) {
      await forward([
        {
          key: `${row.key}:email`,
          kind: 'email',
          recipient: { email: contact.email, name: contact.fullName ?? undefined },
          template: 'citizen-notification',
          data: { subject: `Phản ánh ${String(row.data.caseCode ?? '')}`, body: text },
          caseId: row.caseId,
        },
      ]);
      return { ok: true, channel: 'email' };
    }
    return { ok: false, retry: false, flag: true, error: 'citizen outside the Zalo window with no other channel' };
  };
}
