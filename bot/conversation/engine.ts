import { and, count, desc, eq, gt, gte, inArray, isNotNull, or, sql } from 'drizzle-orm';
import { cases, contacts, conversations, messages, officials } from '../../db/schema.js';
import { queryRows, rowFromJson, type Tx } from '../../runtime/db.js';
import type { TemplateRenderer } from '../../runtime/templates.js';
import { insertOutbox } from '../../runtime/outbox/outbox.js';
import { formatVnDate } from '../../workflows/calendar/working-calendar.js';
import { signalCaseChange } from '../../workflows/cases/case-change-signal.js';
import { CONVERSATION_STATUSES } from '../../workflows/cases/case-status.js';
import { excerpt } from '../../workflows/text/excerpt.js';
import { countsAsInteraction, interactionUpsert, recordFollowerState, recordInteraction, type InteractionDetails } from '../zalo/interaction-window.js';
import type { TZaloEvent } from '../zalo/webhook.schema.js';
import { matchCitizenCommand, matchLinkCommand, RATING_PAYLOAD } from './commands.js';
import {
  advanceIntake,
  promptFor,
  startIntake,
  type IntakeContext,
  type IntakePhoto,
  type IntakeState,
  type UserInput,
} from './intake-dialog.js';
import { buttonMessages, queryButton, type OutgoingMessage } from './outgoing.js';
import type { PlaceMatcher } from './place-matcher.js';

/** An idle dialog is dropped after a day, so a citizen returning next week starts clean. */
export const DIALOG_TTL_MS = 24 * 60 * 60 * 1000;

export interface CaseLookup {
  id: number;
  code: string;
  status: string;
  statusLabel: string;
  contactId: number | null;
  categoryName: string | null;
  unitName: string | null;
  receivedAt: Date;
  answerDueAt: Date | null;
  answerText: string | null;
}

export interface SubmittedCase {
  caseId: number;
  code: string;
  answerDueAt: Date;
}

/** What the bot needs from the case workflows; the composition root wires it to workflows/. */
export interface CaseGateway {
  submit(tx: Tx, input: { contactId: number; intake: IntakeState; now: Date }): Promise<SubmittedCase>;
  findByCode(tx: Tx, code: string): Promise<CaseLookup | undefined>;
  rate(tx: Tx, input: { caseId: number; contactId: number; rating: 'hai_long' | 'chap_nhan' | 'chua_hai_long'; now: Date }): Promise<{ ok: true; reopened: boolean; unitName: string | null } | { ok: false; reason: string }>;
  findAwaitingInfoCase(tx: Tx, contactId: number): Promise<{ id: number; code: string } | undefined>;
  provideInfo(tx: Tx, input: { caseId: number; contactId: number; text: string; now: Date }): Promise<void>;
  /** The latest case of a contact, so messages outside a dialog land in that case's conversation. */
  latestOpenCaseId(tx: Tx, contactId: number): Promise<number | undefined>;
}

/** Officials linked to a Zalo account get their own assistant instead of the citizen menu. */
export type OfficialAssistant = (tx: Tx, input: { officialId: number; text: string; now: Date }) => Promise<OutgoingMessage[] | undefined>;

/** "liên kết <mã>": links the sender's Zalo account to an official; the replies, and the official when linked. */
export type OfficialLinker = (
  tx: Tx,
  input: { zaloUserId: string; code: string; now: Date },
) => Promise<{ messages: OutgoingMessage[]; officialId?: number }>;

export interface ConversationDeps {
  templates: TemplateRenderer;
  cases: CaseGateway;
  loadReference(tx: Tx): Promise<{ categories: Array<{ id: number; name: string }>; places: PlaceMatcher }>;
  officialAssistant?: OfficialAssistant;
  linkOfficial?: OfficialLinker;
}

type ConversationRow = typeof conversations.$inferSelect;
type ContactRow = typeof contacts.$inferSelect;

function say(templates: TemplateRenderer) {
  return (name: string, data: Record<string, unknown> = {}) => templates.render(`zalo/${name}`, data);
}

function menuMessages(t: ReturnType<typeof say>): OutgoingMessage[] {
  return [
    {
      type: 'buttons',
      text: t('menu'),
      buttons: [queryButton('Gửi phản ánh', 'phản ánh'), queryButton('Tra cứu phản ánh', 'tra cứu'), queryButton('Hướng dẫn', 'trợ giúp')],
    },
  ];
}

function inputOf(event: TZaloEvent): UserInput | undefined {
  switch (event.type) {
    case 'text':
      return { type: 'text', text: event.text };
    case 'location':
      return { type: 'location', latitude: event.latitude, longitude: event.longitude };
    case 'image':
    case 'gif':
    case 'file':
    case 'sticker':
    case 'video':
    case 'audio':
    case 'link':
      return {
        type: 'media',
        attachments: event.attachments.map((a): IntakePhoto => ({ kind: a.type, url: a.url, name: a.name, size: a.size === undefined ? undefined : Number(a.size) })),
      };
    case 'submit_info':
      return { type: 'contact_info', name: event.name, phone: event.phone, address: event.address, ward: event.ward };
    default:
      return undefined;
  }
}

function messageTextOf(event: TZaloEvent): string | null {
  if ('text' in event && typeof event.text === 'string') return event.text;
  if (event.type === 'location') return `Vị trí: ${event.latitude}, ${event.longitude}`;
  if (event.type === 'submit_info') return 'Đã chia sẻ thông tin liên hệ';
  return null;
}

/** Who wrote: the official linked to the Zalo account, the citizen's contact, their latest case and their dialog. */
interface SenderSnapshot {
  officialId?: number;
  contact?: ContactRow;
  /** The contact's latest case in CONVERSATION_STATUSES: where their messages belong. */
  openCaseId?: number;
  conversation?: ConversationRow;
}

/**
 * The sender, read in one round trip instead of five (every message pays for it, bench/bot-reply.bench.ts); with
 * `interaction`, the same statement records it (recordInteraction's upsert, run as a WITH clause).
 */
async function loadSender(tx: Tx, zaloUserId: string, interaction?: InteractionDetails & { at: Date }): Promise<SenderSnapshot> {
  const recorded = interaction ? sql`with interaction as (${interactionUpsert(tx, zaloUserId, interaction.at, interaction).getSQL()}) ` : sql``;
  const [row] = await queryRows<{
    official_id: number | null;
    contact: Record<string, unknown> | null;
    open_case_id: string | number | null;
    conversation: Record<string, unknown> | null;
  }>(
    tx,
    sql`${recorded}select
          (select o.id from ${officials} o where o.zalo_user_id = ${zaloUserId} and o.active order by o.id limit 1) as official_id,
          (select row_to_json(c) from ${contacts} c where c.zalo_user_id = ${zaloUserId}) as contact,
          (select k.id from ${cases} k join ${contacts} c on c.id = k.contact_id
            where c.zalo_user_id = ${zaloUserId} and k.status::text = any(${sql.param([...CONVERSATION_STATUSES])}::text[])
            order by k.id desc limit 1) as open_case_id,
          (select row_to_json(v) from ${conversations} v where v.zalo_user_id = ${zaloUserId}) as conversation`,
  );
  return {
    ...(row?.official_id == null ? {} : { officialId: Number(row.official_id) }),
    ...(row?.contact ? { contact: rowFromJson(contacts, row.contact) } : {}),
    ...(row?.open_case_id == null ? {} : { openCaseId: Number(row.open_case_id) }),
    ...(row?.conversation ? { conversation: rowFromJson(conversations, row.conversation) } : {}),
  };
}

async function ensureContact(tx: Tx, zaloUserId: string, now: Date) {
  const [existing] = await tx.select().from(contacts).where(eq(contacts.zaloUserId, zaloUserId));
  if (existing) return existing;
  const [created] = await tx.insert(contacts).values({ zaloUserId, createdAt: now, updatedAt: now }).onConflictDoNothing().returning();
  if (created) return created;
  const [raced] = await tx.select().from(contacts).where(eq(contacts.zaloUserId, zaloUserId));
  return raced!;
}

async function saveConversation(tx: Tx, zaloUserId: string, state: IntakeState | null, now: Date) {
  const values = {
    dialog: state ? 'intake' : null,
    step: state?.step ?? null,
    state: (state ?? {}) as unknown as Record<string, unknown>,
    updatedAt: now,
    expiresAt: state ? new Date(now.getTime() + DIALOG_TTL_MS) : null,
  };
  await tx
    .insert(conversations)
    .values({ zaloUserId, ...values })
    .onConflictDoUpdate({ target: conversations.zaloUserId, set: values });
}

/** The outbox row of the bot's answer to one event: one per event, so a re-run never answers twice. */
export function replyOutboxKey(inboundEventId: number): string {
  return `reply:${inboundEventId}`;
}

/**
 * Handles one verified, stored Zalo event inside the caller's transaction: records the message,
 * runs commands and the intake dialog, and writes the replies to the outbox (one row per event,
 * keyed by the event, so a re-run never sends twice).
 */
export async function handleZaloEvent(
  deps: ConversationDeps,
  tx: Tx,
  input: { inboundEventId: number; event: TZaloEvent; now: Date },
): Promise<'done' | 'ignored'> {
  const { event, now } = input;
  const t = say(deps.templates);

  if (event.type === 'unknown' || event.type === 'receipt') {
    if (event.type === 'receipt' && event.msgId) {
      await tx
        .update(messages)
        .set({ deliveryStatus: event.event === 'user_seen_message' ? 'seen' : 'delivered' })
        .where(and(eq(messages.zaloMsgId, event.msgId), eq(messages.direction, 'out')));
      return 'done';
    }
    return 'ignored';
  }

  if (event.type === 'oa_echo') {
    // Our own sends come back as echoes; only replies typed by staff in Zalo's OA app are new. An echo of our
    // own stays in inbound_events: it is what proves a send cut off by a crash went out after all
    // (bot/delivery/delivery-intent.ts reads it there; nothing else needs doing with it here).
    if (!event.byStaff || !event.userId) return 'ignored';
    const contact = await ensureContact(tx, event.userId, now);
    const caseId = await deps.cases.latestOpenCaseId(tx, contact.id);
    await tx.insert(messages).values({
      caseId: caseId ?? null,
      contactId: contact.id,
      zaloUserId: event.userId,
      direction: 'out',
      channel: 'zalo',
      kind: 'text',
      text: event.text ?? null,
      zaloMsgId: event.msgId ?? null,
      payload: { via: 'oa_app' },
      deliveryStatus: 'sent',
      at: now,
    });
    if (caseId !== undefined) await signalCaseChange(tx, { caseId, kind: 'message' });
    return 'done';
  }

  const userId = event.userId;
  if (event.type === 'unfollow') {
    // Leaving is not an interaction: it must not reopen the 7-day window.
    await recordFollowerState(tx, userId, false);
    await tx.delete(conversations).where(eq(conversations.zaloUserId, userId));
    return 'done';
  }

  const interaction = countsAsInteraction(event) ? { follower: event.type === 'follow' ? true : undefined } : undefined;

  // An official linking this Zalo account, whether it is known as a citizen, not known, or linked already.
  const link = event.type === 'text' && deps.linkOfficial ? matchLinkCommand(event.text) : undefined;
  if (link && deps.linkOfficial) {
    if (interaction) await recordInteraction(tx, userId, now, interaction);
    const linked = await deps.linkOfficial(tx, { zaloUserId: userId, code: link.code, now });
    const recipient = { userId, contactId: null, ...(linked.officialId === undefined ? {} : { officialId: linked.officialId }) };
    await insertOutbox(tx, [{ key: replyOutboxKey(input.inboundEventId), kind: 'zalo', recipient, data: { messages: linked.messages, reply: true } }], now);
    return 'done';
  }

  const replies: OutgoingMessage[] = [];
  const sender = await loadSender(tx, userId, interaction && { at: now, ...interaction });
  const official = sender.officialId === undefined ? undefined : { id: sender.officialId };
  const contact = official ? undefined : (sender.contact ?? (await ensureContact(tx, userId, now)));
  const text = messageTextOf(event);

  if (contact && event.type !== 'follow') {
    // A contact created just now has no case yet.
    const caseId = sender.contact ? sender.openCaseId : undefined;
    await tx.insert(messages).values({
      caseId: caseId ?? null,
      contactId: contact.id,
      zaloUserId: userId,
      direction: 'in',
      channel: 'zalo',
      kind: event.type,
      text,
      zaloMsgId: 'msgId' in event ? (event.msgId ?? null) : null,
      payload: 'attachments' in event ? { attachments: event.attachments } : event.type === 'location' ? { latitude: event.latitude, longitude: event.longitude } : {},
      deliveryStatus: 'received',
      at: now,
    });
    if (caseId !== undefined) await signalCaseChange(tx, { caseId, kind: 'message' });
  }

  if (official && event.type === 'text' && deps.officialAssistant) {
    const answer = await deps.officialAssistant(tx, { officialId: official.id, text: event.text, now });
    if (answer) replies.push(...answer);
  }

  if (contact && replies.length === 0) {
    replies.push(...(await converseWithCitizen(deps, tx, { contact, conversation: sender.conversation, userId, event, now, t })));
  }

  if (replies.length > 0) {
    await insertOutbox(
      tx,
      [{ key: replyOutboxKey(input.inboundEventId), kind: 'zalo', recipient: { userId, contactId: contact?.id ?? null }, data: { messages: replies, reply: true } }],
      now,
    );
  }
  return 'done';
}

async function converseWithCitizen(
  deps: ConversationDeps,
  tx: Tx,
  args: { contact: ContactRow; conversation: ConversationRow | undefined; userId: string; event: TZaloEvent; now: Date; t: ReturnType<typeof say> },
): Promise<OutgoingMessage[]> {
  const { contact, userId, event, now, t } = args;
  let conversation = args.conversation;
  const replies: OutgoingMessage[] = [];

  if (conversation?.dialog && conversation.expiresAt && conversation.expiresAt <= now) {
    replies.push({ type: 'text', text: t('dialog-expired') });
    await saveConversation(tx, userId, null, now);
    conversation = undefined;
  }
  const active = conversation?.dialog === 'intake' ? (conversation.state as unknown as IntakeState) : undefined;

  if (event.type === 'follow') {
    return [{ type: 'text', text: t('welcome') }, ...menuMessages(t)];
  }

  const reference = await deps.loadReference(tx);
  const ctx: IntakeContext = {
    categories: reference.categories,
    places: reference.places,
    knownContact: contact.fullName && contact.phone ? { name: contact.fullName, phone: contact.phone } : undefined,
    say: t,
    now,
  };

  const command = event.type === 'text' ? matchCitizenCommand(event.text) : undefined;
  if (command) {
    switch (command.type) {
      case 'cancel':
        if (!active) return [...replies, { type: 'text', text: t('nothing-to-cancel') }, ...menuMessages(t)];
        await saveConversation(tx, userId, null, now);
        return [...replies, { type: 'text', text: t('cancelled') }];
      case 'help':
        return [...replies, { type: 'text', text: t('welcome') }, ...menuMessages(t), ...(active ? promptFor(active, ctx) : [])];
      case 'start': {
        const started = startIntake(ctx);
        await saveConversation(tx, userId, started.state, now);
        return [...replies, ...started.replies];
      }
      case 'lookup':
        return [...replies, ...(await lookupCase(deps, tx, command.code, contact.id, t)), ...(active ? promptFor(active, ctx) : [])];
      case 'rate':
        return [...replies, ...(await rateCase(deps, tx, command, contact.id, now, t))];
    }
  }

  const userInput = inputOf(event);
  if (active && userInput) {
    const result = advanceIntake(active, userInput, ctx);
    if (result.submit) {
      // The code and due date reach the citizen as the case's own "received" notification.
      await deps.cases.submit(tx, { contactId: contact.id, intake: result.state, now });
      await saveConversation(tx, userId, null, now);
      return replies;
    }
    await saveConversation(tx, userId, result.end ? null : result.state, now);
    return [...replies, ...result.replies];
  }

  // Outside a dialog, a reply to "please add information" belongs to the case that asked for it.
  const awaiting = await deps.cases.findAwaitingInfoCase(tx, contact.id);
  if (awaiting && userInput && userInput.type !== 'contact_info') {
    await deps.cases.provideInfo(tx, { caseId: awaiting.id, contactId: contact.id, text: messageTextOf(event) ?? '(ảnh/tệp đính kèm)', now });
    return [...replies, { type: 'text', text: t('info-received', { code: awaiting.code }) }];
  }

  // A citizen answering an official's chat message is talking to that official, who reads it on the case page.
  const chat = userInput && userInput.type !== 'contact_info' ? await openStaffChat(tx, contact.id, now) : undefined;
  if (chat) return chat.firstReply ? [...replies, { type: 'text', text: t('message-to-official', { code: chat.caseCode }) }] : replies;

  if (userInput?.type === 'media') return [...replies, { type: 'text', text: t('media-outside-dialog') }, ...menuMessages(t)];
  const shown = event.type === 'text' ? excerpt(event.text, 60) : '…';
  return [...replies, { type: 'text', text: t('unknown-input', { input: shown }) }, ...menuMessages(t)];
}

/** How long after an official's last chat message the citizen's free text is taken as an answer to it. */
const STAFF_CHAT_WINDOW_MS = 48 * 60 * 60 * 1000;

/**
 * The open case on which an official wrote to this citizen within the chat window (from the console or from
 * Zalo's own OA app), and whether the citizen's message just stored is the first one since: only that one is
 * acknowledged, so a conversation with the official is not interleaved with bot replies.
 */
async function openStaffChat(tx: Tx, contactId: number, now: Date): Promise<{ caseCode: string; firstReply: boolean } | undefined> {
  const since = new Date(now.getTime() - STAFF_CHAT_WINDOW_MS);
  const [staff] = await tx
    .select({ caseId: messages.caseId, at: messages.at, caseCode: cases.code })
    .from(messages)
    .innerJoin(cases, eq(cases.id, messages.caseId))
    .where(
      and(
        eq(messages.contactId, contactId),
        eq(messages.direction, 'out'),
        gte(messages.at, since),
        or(isNotNull(messages.officialId), sql`${messages.payload}->>'via' = 'oa_app'`),
        inArray(cases.status, [...CONVERSATION_STATUSES]),
      ),
    )
    .orderBy(desc(messages.at))
    .limit(1);
  if (!staff?.caseId) return undefined;
  const [answers] = await tx
    .select({ n: count() })
    .from(messages)
    .where(and(eq(messages.caseId, staff.caseId), eq(messages.contactId, contactId), eq(messages.direction, 'in'), gt(messages.at, staff.at)));
  return { caseCode: staff.caseCode, firstReply: (answers?.n ?? 0) <= 1 };
}

async function lookupCase(deps: ConversationDeps, tx: Tx, code: string | undefined, contactId: number, t: ReturnType<typeof say>): Promise<OutgoingMessage[]> {
  if (!code) return [{ type: 'text', text: t('ask-lookup-code') }];
  const found = await deps.cases.findByCode(tx, code);
  if (!found) return [{ type: 'text', text: t('lookup-not-found', { code }) }];
  if (found.contactId !== contactId) return [{ type: 'text', text: t('lookup-other', { code, statusLabel: found.statusLabel }) }];
  const own: OutgoingMessage = {
    type: 'text',
    text: t('lookup-own', {
      code,
      categoryName: found.categoryName ?? 'chưa phân loại',
      statusLabel: found.statusLabel,
      unitName: found.unitName ?? 'đang phân loại',
      receivedDate: formatVnDate(found.receivedAt),
      dueDate: found.answerDueAt ? formatVnDate(found.answerDueAt) : '—',
      answer: found.answerText,
    }),
  };
  if (found.status === 'answered') {
    return [own, ...ratingButtons(code)];
  }
  return [own];
}

export function ratingButtons(code: string): OutgoingMessage[] {
  return buttonMessages('Anh/chị đánh giá thế nào về kết quả xử lý?', '', [
    queryButton('Hài lòng', RATING_PAYLOAD(code, 'hai_long')),
    queryButton('Chấp nhận', RATING_PAYLOAD(code, 'chap_nhan')),
    queryButton('Chưa hài lòng', RATING_PAYLOAD(code, 'chua_hai_long')),
  ]);
}

async function rateCase(
  deps: ConversationDeps,
  tx: Tx,
  command: { code: string; rating: 'hai_long' | 'chap_nhan' | 'chua_hai_long' },
  contactId: number,
  now: Date,
  t: ReturnType<typeof say>,
): Promise<OutgoingMessage[]> {
  const found = await deps.cases.findByCode(tx, command.code);
  if (!found || found.contactId !== contactId) return [{ type: 'text', text: t('lookup-not-found', { code: command.code }) }];
  const result = await deps.cases.rate(tx, { caseId: found.id, contactId, rating: command.rating, now });
  if (!result.ok) return [{ type: 'text', text: t('rating-not-allowed', { code: command.code, reason: result.reason }) }];
  if (result.reopened) return [{ type: 'text', text: t('rating-reopened', { code: command.code, unitName: result.unitName ?? 'đơn vị xử lý' }) }];
  return [{ type: 'text', text: t('rating-thanks', { code: command.code }) }];
}
