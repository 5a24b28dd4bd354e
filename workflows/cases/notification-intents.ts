import { formatVnDate } from '../calendar/working-calendar.js';
import type { Role } from './actor.js';
import { CASE_STATUS_LABELS } from './case-status.js';
import type { CaseState, NotificationIntent, NotificationRecipient } from './case-state.js';
import { excerpt } from '../text/excerpt.js';

/** An intent before it has its idempotency key (the key needs the case's next version). */
export type IntentDraft = Omit<NotificationIntent, 'key'>;

/**
 * Logical template names; the delivery job resolves `templates/zalo/<name>.hbs` or `templates/email/<name>.hbs`.
 * Citizen-facing names start with `case-`, officials' with `official-`.
 */
export const NOTIFICATION_TEMPLATES = {
  caseReceived: 'case-received',
  caseAssigned: 'case-assigned',
  caseAwaitingInfo: 'case-awaiting-info',
  caseAnswered: 'case-answered',
  caseRefused: 'case-refused',
  caseMerged: 'case-merged',
  caseReopened: 'case-reopened',
  caseExtended: 'case-extended',
  officialCaseAssigned: 'official-case-assigned',
  officialCaseCoAssigned: 'official-case-co-assigned',
  officialHandlerAssigned: 'official-handler-assigned',
  officialCaseReturned: 'official-case-returned',
  officialInfoProvided: 'official-info-provided',
  officialAnswerToApprove: 'official-answer-to-approve',
  officialAnswerSentBack: 'official-answer-sent-back',
  officialCaseReopened: 'official-case-reopened',
  officialExtensionRequested: 'official-extension-requested',
  officialExtensionGranted: 'official-extension-granted',
} as const;

const UNIT_STAFF: Role[] = ['unit_leader', 'handler'];
const UNIT_LEADERS: Role[] = ['unit_leader'];

/** What every citizen message can show: the tracking code, the status and the promised date. */
export function describeCaseForCitizen(c: CaseState): Record<string, unknown> {
  return {
    caseCode: c.code,
    statusLabel: CASE_STATUS_LABELS[c.status],
    answerDueDate: c.answerDueAt ? formatVnDate(c.answerDueAt) : null,
  };
}

/** What officials need to decide from the notification alone, without opening the console. */
export function describeCaseForOfficials(c: CaseState): Record<string, unknown> {
  return {
    caseId: c.id,
    caseCode: c.code,
    statusLabel: CASE_STATUS_LABELS[c.status],
    priority: c.priority,
    excerpt: excerpt(c.description, 200),
    acceptDueDate: c.acceptDueAt ? formatVnDate(c.acceptDueAt) : null,
    answerDueDate: c.answerDueAt ? formatVnDate(c.answerDueAt) : null,
  };
}

/** Cases without a contact (entered at the desk for an anonymous caller) simply get no citizen messages. */
export function toCitizen(c: CaseState, template: string, data: Record<string, unknown> = {}): IntentDraft[] {
  if (c.contactId === null) return [];
  return [{ to: { type: 'contact', contactId: c.contactId }, template, data: { ...describeCaseForCitizen(c), ...data } }];
}

export function toUnitStaff(c: CaseState, unitId: number, template: string, data: Record<string, unknown> = {}): IntentDraft {
  return { to: { type: 'unit', unitId, roles: UNIT_STAFF }, template, data: { ...describeCaseForOfficials(c), ...data } };
}

export function toUnitLeaders(c: CaseState, unitId: number, template: string, data: Record<string, unknown> = {}): IntentDraft {
  return { to: { type: 'unit', unitId, roles: UNIT_LEADERS }, template, data: { ...describeCaseForOfficials(c), ...data } };
}

export function toOfficial(c: CaseState, officialId: number, template: string, data: Record<string, unknown> = {}): IntentDraft {
  return { to: { type: 'official', officialId }, template, data: { ...describeCaseForOfficials(c), ...data } };
}

export function toDispatchers(c: CaseState, template: string, data: Record<string, unknown> = {}): IntentDraft {
  return { to: { type: 'dispatchers' }, template, data: { ...describeCaseForOfficials(c), ...data } };
}

/**
 * `case:<id>:v<version>:<template>:<recipient>`: a version happens once per case, so the key is unique per
 * change, and two intents for the same person and template in one change collapse into one message.
 */
export function keyIntents(caseId: number, version: number, drafts: IntentDraft[]): NotificationIntent[] {
  const seen = new Set<string>();
  const out: NotificationIntent[] = [];
  for (const draft of drafts) {
    const key = `case:${caseId}:v${version}:${draft.template}:${describeRecipient(draft.to)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, ...draft });
  }
  return out;
}

function describeRecipient(to: NotificationRecipient): string {
  switch (to.type) {
    case 'contact':
      return `contact-${to.contactId}`;
    case 'official':
      return `official-${to.officialId}`;
    case 'unit':
      return `unit-${to.unitId}-${to.roles.join('+')}`;
    case 'dispatchers':
      return 'dispatchers';
  }
}
