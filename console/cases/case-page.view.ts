import { randomUUID } from 'node:crypto';
import type { caseEvents } from '../../db/schema.js';
import { addWorkingDays, formatVnDateTime, localDay, type WorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import type { CaseCommandType } from '../../workflows/cases/case-commands.js';
import type { CaseAction } from '../../workflows/cases/case-state.js';
import { CASE_RATING_LABELS, CASE_RATINGS, CASE_STATUS_LABELS, type CaseRating } from '../../workflows/cases/case-status.js';
import type { CaseView } from '../../workflows/cases/case.repo.js';
import { isRefusalReason, REFUSAL_REASON_TEXTS, REFUSAL_REASONS } from '../../workflows/cases/refusal-reasons.js';
import type { AnswerTemplateInfo } from '../../workflows/cases/answer-templates.js';
import type { ConsoleOfficial } from '../auth/official-auth.repo.js';
import { listHandlingUnits, type ReferenceData } from '../reference-data.repo.js';
import { CHANNEL_LABELS, COMMAND_TEXTS, CONTACT_KIND_LABELS, DELIVERY_STATUS_LABELS, EVENT_ACTION_LABELS, PRIORITY_LABELS, type ConsoleCommandType } from './case-labels.js';
import type { AttachmentRow, CaseContact, TimelineMessageRow } from './case-page.repo.js';
import { MAX_REPLY_LENGTH } from './case-reply.js';
import type { CategorySuggestionView, DuplicateCandidateView } from './case-suggestions.js';
import { describeSla } from './sla-view.js';

type CaseEventRow = typeof caseEvents.$inferSelect;

export interface CasePageInput {
  official: ConsoleOfficial;
  caseView: CaseView;
  events: CaseEventRow[];
  messages: TimelineMessageRow[];
  attachments: AttachmentRow[];
  officialNames: Map<number, string>;
  ref: ReferenceData;
  calendar: WorkingCalendar;
  now: Date;
  /** Loaded only when the official may see it. */
  contact: CaseContact | null;
  contactVisible: boolean;
  allowedCommands: CaseCommandType[];
  handlers: Array<{ id: number; fullName: string }>;
  answerTemplates: AnswerTemplateInfo[];
  selectedTemplate: string | null;
  answerDraft: string;
  canReply: boolean;
  replyBlockedReason: string | null;
  /** A refused command, shown above the forms. */
  error: string | null;
  /** The triage panel (duplicates, category); null when the case is past triage. */
  suggestions: { duplicates: DuplicateCandidateView[]; duplicateDays: number; categories: CategorySuggestionView[] } | null;
}

/**
 * Contact details (name, phone) are for the officials of the unit that handles the case (personal data law
 * 91/2025: the least people necessary). Others see only whether the details exist, which is what a
 * dispatcher needs to judge "thiếu thông tin liên hệ".
 */
export function canSeeContactDetails(official: Pick<ConsoleOfficial, 'unitId'>, c: Pick<CaseView, 'responsibleUnitId'>): boolean {
  return c.responsibleUnitId !== null && c.responsibleUnitId === official.unitId;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isoDate = (v: unknown): string | null => {
  const s = str(v);
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : formatVnDateTime(d);
};
const ratingLabel = (v: unknown): string | null =>
  typeof v === 'string' && (CASE_RATINGS as readonly string[]).includes(v) ? CASE_RATING_LABELS[v as CaseRating] : null;

/** The one line under an event that says what it was about, from its payload. */
function describeEventDetail(e: CaseEventRow, names: Map<number, string>, ref: ReferenceData): string | null {
  const p = e.payload;
  const parts: string[] = [];
  const add = (label: string, value: string | null) => {
    if (value) parts.push(`${label}: ${value}`);
  };
  // The unit's current display name ("Phường Hoàn Kiếm") rather than the short name frozen in the payload.
  const unitName = (idValue: unknown, fallback: unknown) => {
    const id = num(idValue);
    return id === null ? str(fallback) : ref.unitName(id);
  };
  const officialName = (v: unknown) => {
    const id = num(v);
    return id === null ? null : (names.get(id) ?? `Cán bộ #${id}`);
  };
  switch (e.action as CaseAction) {
    case 'received':
      add('Kênh', CHANNEL_LABELS[str(p.channel) ?? ''] ?? str(p.channel));
      break;
    case 'assigned':
      add('Đơn vị chủ trì', unitName(p.unitId, p.unitName));
      break;
    case 'transferred':
      add('Sang đơn vị', unitName(p.toUnitId, p.toUnitName));
      add('Lý do', str(p.reason));
      break;
    case 'returned':
      add('Lý do', str(p.reason));
      break;
    case 'refused': {
      const reason = str(p.reason);
      add('Lý do', reason && isRefusalReason(reason) ? REFUSAL_REASON_TEXTS[reason].label : reason);
      add('Ghi chú', str(p.note));
      break;
    }
    case 'merged':
      add('Gộp vào hồ sơ', str(p.intoCaseCode));
      break;
    case 'recategorised': {
      const from = num(p.fromCategoryId);
      const to = num(p.toCategoryId);
      add('Từ lĩnh vực', ref.categoryName(from));
      add('Sang lĩnh vực', to === null ? str(p.toCategoryName) : ref.categoryName(to));
      break;
    }
    case 'accepted':
    case 'handler_assigned':
      add('Cán bộ xử lý', officialName(p.handlerId));
      break;
    case 'info_requested':
      add('Nội dung yêu cầu', str(p.question));
      break;
    case 'info_provided':
      add('Thông tin bổ sung', str(p.text));
      break;
    case 'sent_back':
      add('Ý kiến', str(p.comment));
      break;
    case 'extension_requested':
      add('Số ngày làm việc đề nghị thêm', num(p.extraWorkingDays)?.toString() ?? null);
      add('Lý do', str(p.reason));
      break;
    case 'extension_granted':
      add('Hạn trả lời mới', isoDate(p.answerDueAt));
      add('Lý do', str(p.reason));
      break;
    case 'note_added':
      add('Ghi chú', str(p.text));
      break;
    case 'rated':
    case 'reopened':
      add('Đánh giá', ratingLabel(p.rating));
      break;
    default:
      break;
  }
  return parts.length > 0 ? parts.join('. ') : null;
}

function describeActorName(e: CaseEventRow, names: Map<number, string>, citizenName: string): string {
  if (e.actorType === 'system') return 'Hệ thống';
  if (e.actorType === 'citizen') return citizenName;
  const id = Number(e.actorId);
  return names.get(id) ?? `Cán bộ #${e.actorId ?? '?'}`;
}

/** An outbound message's status: the outbox knows about failures before the message row is updated. */
function effectiveDeliveryStatus(m: TimelineMessageRow): string {
  if (m.deliveryStatus === 'pending' && m.outboxStatus && ['sent', 'failed', 'flagged'].includes(m.outboxStatus)) return m.outboxStatus;
  return m.deliveryStatus;
}

interface TimelineEntry {
  /** Stable across renders, so the live update can tell new items from those already shown. */
  key: string;
  sortAt: number;
  order: number;
  kind: 'event' | 'message';
  at: string;
  atIso: string;
  who: string;
  title: string;
  detail: string | null;
  text: string | null;
  outbound: boolean;
  delivery: { label: string; tone: string; error: string | null } | null;
  attachments: Array<{ url: string; label: string }>;
}

function attachmentLabel(a: AttachmentRow, index: number): string {
  const base = a.kind === 'image' ? `Ảnh ${index + 1}` : `Tệp ${index + 1}`;
  return a.fileName ? `${base}: ${a.fileName}` : base;
}

function buildTimeline(input: CasePageInput, citizenName: string): TimelineEntry[] {
  const { caseView, officialNames } = input;
  const byMessage = new Map<number, AttachmentRow[]>();
  for (const a of input.attachments) {
    if (a.messageId === null) continue;
    byMessage.set(a.messageId, [...(byMessage.get(a.messageId) ?? []), a]);
  }
  const events: TimelineEntry[] = input.events.map((e) => ({
    key: `e${e.id}`,
    sortAt: e.at.getTime(),
    order: 0,
    kind: 'event',
    at: formatVnDateTime(e.at),
    atIso: e.at.toISOString(),
    who: describeActorName(e, officialNames, citizenName),
    title: EVENT_ACTION_LABELS[e.action as CaseAction] ?? e.action,
    detail: describeEventDetail(e, officialNames, input.ref),
    text: null,
    outbound: false,
    delivery: null,
    attachments: [],
  }));
  const messages: TimelineEntry[] = input.messages.map((m) => {
    const outbound = m.direction === 'out';
    const status = effectiveDeliveryStatus(m);
    return {
      key: `m${m.id}`,
      sortAt: m.at.getTime(),
      order: 1,
      kind: 'message',
      at: formatVnDateTime(m.at),
      atIso: m.at.toISOString(),
      who: outbound ? (m.officialId !== null ? (officialNames.get(m.officialId) ?? `Cán bộ #${m.officialId}`) : 'Hệ thống (OA)') : citizenName,
      title: outbound ? `Tin nhắn gửi người dân (${CHANNEL_LABELS[m.channel] ?? m.channel})` : `Tin nhắn của người dân (${CHANNEL_LABELS[m.channel] ?? m.channel})`,
      detail: null,
      text: m.text,
      outbound,
      delivery: outbound ? { label: DELIVERY_STATUS_LABELS[status] ?? status, tone: status, error: status === 'failed' || status === 'flagged' ? m.error : null } : null,
      attachments: (byMessage.get(m.id) ?? []).map((a, i) => ({
        url: `/console/cases/${caseView.id}/attachments/${a.id}`,
        label: attachmentLabel(a, i),
      })),
    };
  });
  return [...events, ...messages].sort((a, b) => a.sortAt - b.sortAt || a.order - b.order);
}

function formatCoordinate(v: number): string {
  return v.toFixed(6);
}

function describePlace(c: CaseView, ref: ReferenceData) {
  const hasPoint = c.latitude !== null && c.longitude !== null;
  return {
    address: c.address,
    wardName: c.areaUnitId === null ? null : ref.unitName(c.areaUnitId),
    point: hasPoint
      ? {
          latitude: formatCoordinate(c.latitude as number),
          longitude: formatCoordinate(c.longitude as number),
        }
      : null,
  };
}

function describeContact(input: CasePageInput) {
  const { contact, caseView } = input;
  if (caseView.contactId === null) return { exists: false, visible: false };
  if (!input.contactVisible || !contact) return { exists: true, visible: false };
  return {
    exists: true,
    visible: true,
    kindLabel: CONTACT_KIND_LABELS[contact.kind],
    name: contact.fullName ?? contact.displayName,
    displayName: contact.fullName && contact.displayName && contact.displayName !== contact.fullName ? contact.displayName : null,
    companyName: contact.companyName,
    phone: contact.phone,
    email: contact.email,
    onZalo: contact.zaloUserId !== null,
  };
}

/** The forms this official may use now, each with what it needs to render; keys absent = not allowed. */
function describeActions(input: CasePageInput) {
  const allowed = new Set<ConsoleCommandType>(input.allowedCommands.filter((t): t is ConsoleCommandType => t !== 'auto_close'));
  const { caseView, ref } = input;
  const handlingUnits = listHandlingUnits(ref);
  const unitOptions = handlingUnits.filter((u) => u.id !== caseView.responsibleUnitId).map((u) => ({ value: u.id, label: u.name }));
  // Co-handling units: the current ones stay ticked on a transfer, so moving the lead does not drop them silently.
  const coUnitGroups = (formId: string) =>
    CO_UNIT_GROUPS.map((group) => ({
      legend: group.legend,
      units: handlingUnits
        .filter((u) => group.kinds.includes(u.kind))
        .map((u) => ({ value: u.id, label: u.name, checked: caseView.coUnitIds.includes(u.id), inputId: `${formId}-co-${u.id}` })),
    })).filter((g) => g.units.length > 0);
  const handlerOptions = input.handlers.map((h) => ({ value: h.id, label: h.fullName, selected: h.id === caseView.assigneeId }));
  const form = (type: ConsoleCommandType, extra: Record<string, unknown> = {}) =>
    allowed.has(type) ? { ...COMMAND_TEXTS[type], action: `/console/cases/${caseView.id}/commands/${type}`, id: `form-${type.replace(/_/g, '-')}`, ...extra } : null;

  const actions = {
    assign: form('assign', { unitOptions, coUnitGroups: coUnitGroups('form-assign') }),
    accept: form('accept', { handlerOptions }),
    assign_handler: form('assign_handler', { handlerOptions }),
    return: form('return'),
    refuse: form('refuse', { reasonOptions: REFUSAL_REASONS.map((r) => ({ value: r, label: REFUSAL_REASON_TEXTS[r].label })) }),
    merge: form('merge'),
    recategorise: form('recategorise', {
      categoryOptions: ref.categories
        .filter((cat) => cat.active && cat.id !== caseView.categoryId)
        .map((cat) => ({ value: cat.id, label: cat.name })),
      currentCategory: ref.categoryName(caseView.categoryId),
    }),
    transfer: form('transfer', { unitOptions, coUnitGroups: coUnitGroups('form-transfer'), currentCoUnits: caseView.coUnitIds.length }),
    request_info: form('request_info'),
    provide_info: form('provide_info'),
    draft_answer: form('draft_answer', {
      templateOptions: input.answerTemplates.map((t) => ({ value: t.name, label: t.title, selected: t.name === input.selectedTemplate })),
      selectedTemplate: input.selectedTemplate,
      draft: input.answerDraft,
      templateUrl: `/console/cases/${caseView.id}`,
    }),
    approve: form('approve', { draft: caseView.answerText ?? '' }),
    send_back: form('send_back'),
    rate: form('rate', { ratingOptions: CASE_RATINGS.map((r) => ({ value: r, label: CASE_RATING_LABELS[r] })) }),
    request_extension: form('request_extension'),
    grant_extension: form('grant_extension', describeExtensionDates(input)),
    add_note: form('add_note'),
    publish: form('publish'),
  } satisfies Record<ConsoleCommandType, unknown>;
  return { ...actions, any: allowed.size > 0 };
}

const CO_UNIT_GROUPS: ReadonlyArray<{ legend: string; kinds: ReadonlyArray<ReferenceData['units'][number]['kind']> }> = [
  { legend: 'Sở, ban, ngành', kinds: ['office', 'department', 'agency'] },
  { legend: 'Phường, xã', kinds: ['ward', 'commune'] },
];

/** The current answer due date, and the first day a new one may fall on (the date picker's minimum). */
function describeExtensionDates(input: CasePageInput) {
  const due = input.caseView.answerDueAt;
  const from = due && due.getTime() > input.now.getTime() ? due : input.now;
  return {
    currentDueAt: due ? formatVnDateTime(due) : null,
    minDay: localDay(addWorkingDays(input.calendar, from, 1)),
  };
}

export function buildCasePageView(input: CasePageInput) {
  const { caseView: c, ref, calendar, now, officialNames } = input;
  const contact = describeContact(input);
  const citizenName = contact.visible && 'name' in contact && contact.name ? contact.name : c.contactKind === 'business' ? 'Doanh nghiệp' : 'Người dân';
  const coUnits = c.coUnitIds.map((id) => ref.unitName(id));
  return {
    case: {
      id: c.id,
      code: c.code,
      version: c.version,
      status: c.status,
      statusLabel: CASE_STATUS_LABELS[c.status],
      priorityLabel: PRIORITY_LABELS[c.priority],
      isUrgent: c.priority === 'urgent',
      channelLabel: CHANNEL_LABELS[c.channel] ?? c.channel,
      contactKindLabel: CONTACT_KIND_LABELS[c.contactKind],
      categoryName: ref.categoryName(c.categoryId),
      title: c.title,
      description: c.description,
      receivedAt: formatVnDateTime(c.receivedAt),
      answerDueAt: c.answerDueAt ? formatVnDateTime(c.answerDueAt) : null,
      responsibleUnitName: c.responsibleUnitId === null ? null : ref.unitName(c.responsibleUnitId),
      coUnits: coUnits.length > 0 ? coUnits.join(', ') : null,
      assigneeName: c.assigneeId === null ? null : (officialNames.get(c.assigneeId) ?? `Cán bộ #${c.assigneeId}`),
      refusalReason: c.refusalReason && isRefusalReason(c.refusalReason) ? REFUSAL_REASON_TEXTS[c.refusalReason].label : c.refusalReason,
      answerText: c.answerText,
      answerIsDraft: c.status === 'pending_approval' || (c.answerText !== null && c.answeredAt === null),
      answeredAt: c.answeredAt ? formatVnDateTime(c.answeredAt) : null,
      ratingLabel: c.rating ? CASE_RATING_LABELS[c.rating] : null,
      publishedAt: c.publishedAt ? formatVnDateTime(c.publishedAt) : null,
      sla: describeSla(calendar, c, now),
    },
    place: describePlace(c, ref),
    contact,
    timeline: buildTimeline(input, citizenName),
    actions: describeActions(input),
    reply: input.canReply
      ? { action: `/console/cases/${c.id}/reply`, replyId: randomUUID(), maxLength: MAX_REPLY_LENGTH }
      : null,
    replyBlockedReason: input.replyBlockedReason,
    error: input.error,
    suggestions: input.suggestions,
    live: { source: '/console/live', caseId: c.id, version: c.version },
  };
}
