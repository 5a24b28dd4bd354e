import { computeAcceptDue, computeInitialDueDates, extendDue, recomputeOnTransfer, shiftForPause } from '../sla/sla-rules.js';
import { maskPersonalData } from '../publication/mask-personal-data.js';
import type { Actor } from './actor.js';
import { describeActor } from './actor.js';
import type { CaseCommand, CaseCommandOf } from './case-commands.js';
import { caseError, type CaseErrorCode } from './case-errors.js';
import { COMMAND_RULES, checkCommandPermission } from './case-permissions.js';
import { CASE_RATING_OPTIONS, type CaseStatus } from './case-status.js';
import type { CaseAction, CaseState, TransitionContext, TransitionResult, UnitInfo } from './case-state.js';
import {
  NOTIFICATION_TEMPLATES as T,
  keyIntents,
  toCitizen,
  toDispatchers,
  toOfficial,
  toUnitLeaders,
  toUnitStaff,
  type IntentDraft,
} from './notification-intents.js';
import { REFUSAL_REASON_TEXTS, isRefusalReason } from './refusal-reasons.js';

const DAY_MS = 24 * 60 * 60 * 1000;

interface Step {
  /** The new state; transition() bumps the version. */
  next: CaseState;
  action: CaseAction;
  payload: Record<string, unknown>;
  intents: IntentDraft[];
}

/**
 * The case state machine of ARCHITECTURE.md §3, pure: who may (not_found when they cannot even see the case,
 * forbidden when they may not do this), from which status (invalid_transition), with which inputs, and what
 * follows — the next state, exactly one case_events draft, and the notifications to send.
 */
export function transition(
  current: CaseState,
  command: CaseCommand,
  actor: Actor,
  now: Date,
  ctx: TransitionContext,
): TransitionResult {
  const denied = checkCommandPermission(actor, command.type, current);
  if (denied) return { ok: false, error: caseError(denied) };
  if (!COMMAND_RULES[command.type].from.includes(current.status)) {
    return { ok: false, error: caseError('invalid_transition') };
  }

  const step = runStep(current, command, actor, now, ctx);
  if (typeof step === 'string') return { ok: false, error: caseError(step) };

  const next: CaseState = { ...step.next, version: current.version + 1 };
  return {
    ok: true,
    next,
    events: [
      {
        action: step.action,
        fromStatus: current.status,
        toStatus: next.status,
        ...describeActor(actor),
        payload: step.payload,
        at: now,
      },
    ],
    intents: keyIntents(current.id, next.version, step.intents),
  };
}

function runStep(c: CaseState, command: CaseCommand, actor: Actor, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  switch (command.type) {
    case 'assign':
      return assign(c, command, now, ctx);
    case 'accept':
      return accept(c, command, ctx);
    case 'assign_handler':
      return assignHandler(c, command, ctx);
    case 'return':
      return returnToDispatcher(c, command);
    case 'refuse':
      return refuse(c, command, now);
    case 'merge':
      return merge(c, command, now, ctx);
    case 'recategorise':
      return recategorise(c, command, ctx);
    case 'transfer':
      return transfer(c, command, now, ctx);
    case 'request_info':
      return requestInfo(c, command, now);
    case 'provide_info':
      return provideInfo(c, command, now, ctx);
    case 'draft_answer':
      return draftAnswer(c, command, actor, now, ctx);
    case 'approve':
      return approve(c, command, actor, now, ctx);
    case 'send_back':
      return sendBack(c, command);
    case 'rate':
      return rate(c, command, now, ctx);
    case 'auto_close':
      return autoClose(c, command, now);
    case 'request_extension':
      return requestExtension(c, command);
    case 'grant_extension':
      return grantExtension(c, command, ctx);
    case 'add_note':
      return addNote(c, command, actor);
    case 'publish':
      return publish(c, command, now, ctx);
    default:
      return assertUnreachable(command);
  }
}

function assign(c: CaseState, cmd: CaseCommandOf<'assign'>, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  const unit = findActiveUnit(ctx, cmd.unitId);
  if (!unit) return 'unknown_unit';
  const coUnits = resolveCoUnits(ctx, cmd.coUnitIds, unit.id);
  if (!coUnits) return 'unknown_unit';
  const acceptDueAt = computeAcceptDue(ctx.calendar, ctx.slaRules, {
    assignedAt: now,
    categoryId: c.categoryId,
    priority: c.priority,
  });
  const next: CaseState = {
    ...c,
    status: 'assigned',
    responsibleUnitId: unit.id,
    coUnitIds: coUnits.map((u) => u.id),
    assigneeId: null,
    acceptDueAt,
  };
  return {
    next,
    action: 'assigned',
    payload: {
      unitId: unit.id,
      unitName: unit.name,
      coUnitIds: next.coUnitIds,
      acceptDueAt: acceptDueAt.toISOString(),
      ...(cmd.ruleId !== undefined ? { ruleId: cmd.ruleId } : {}),
    },
    intents: [
      ...toCitizen(next, T.caseAssigned, { unitName: unit.name }),
      toUnitStaff(next, unit.id, T.officialCaseAssigned, { unitName: unit.name }),
      ...coUnits.map((u) => toUnitStaff(next, u.id, T.officialCaseCoAssigned, { unitName: u.name, leadUnitName: unit.name })),
    ],
  };
}

function accept(c: CaseState, cmd: CaseCommandOf<'accept'>, ctx: TransitionContext): Step | CaseErrorCode {
  let handlerId: number;
  if (cmd.handlerId !== undefined) {
    if (!isEligibleHandler(c, cmd.handlerId, ctx)) return 'unknown_handler';
    handlerId = cmd.handlerId;
  } else {
    if (ctx.autoHandlerId === undefined || ctx.autoHandlerId === null) return 'no_handler_available';
    handlerId = ctx.autoHandlerId;
  }
  const next: CaseState = { ...c, status: 'in_progress', assigneeId: handlerId };
  return {
    next,
    action: 'accepted',
    payload: { handlerId, auto: cmd.handlerId === undefined },
    intents: [toOfficial(next, handlerId, T.officialHandlerAssigned)],
  };
}

function assignHandler(c: CaseState, cmd: CaseCommandOf<'assign_handler'>, ctx: TransitionContext): Step | CaseErrorCode {
  if (!isEligibleHandler(c, cmd.handlerId, ctx)) return 'unknown_handler';
  const next: CaseState = { ...c, assigneeId: cmd.handlerId };
  return {
    next,
    action: 'handler_assigned',
    payload: { handlerId: cmd.handlerId, previousHandlerId: c.assigneeId },
    intents: [toOfficial(next, cmd.handlerId, T.officialHandlerAssigned)],
  };
}

function returnToDispatcher(c: CaseState, cmd: CaseCommandOf<'return'>): Step | CaseErrorCode {
  if (isBlank(cmd.reason)) return 'missing_reason';
  const next: CaseState = {
    ...c,
    status: 'received',
    responsibleUnitId: null,
    coUnitIds: [],
    assigneeId: null,
    acceptDueAt: null,
  };
  return {
    next,
    action: 'returned',
    payload: { reason: cmd.reason.trim(), fromUnitId: c.responsibleUnitId },
    intents: [toDispatchers(next, T.officialCaseReturned, { reason: cmd.reason.trim() })],
  };
}

function refuse(c: CaseState, cmd: CaseCommandOf<'refuse'>, now: Date): Step | CaseErrorCode {
  if (isBlank(cmd.reason)) return 'missing_reason';
  if (!isRefusalReason(cmd.reason)) return 'invalid_refusal_reason';
  const text = REFUSAL_REASON_TEXTS[cmd.reason];
  // closedAt marks when the case left the open states for good, whichever way it ended.
  const next: CaseState = { ...c, status: 'refused', refusalReason: cmd.reason, closedAt: now };
  return {
    next,
    action: 'refused',
    payload: { reason: cmd.reason, ...(cmd.note ? { note: cmd.note } : {}) },
    intents: toCitizen(next, T.caseRefused, {
      reasonCode: cmd.reason,
      reasonLabel: text.label,
      reasonText: text.citizenText,
      redirect: text.redirect ?? null,
    }),
  };
}

function merge(c: CaseState, cmd: CaseCommandOf<'merge'>, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  const target = ctx.mergeTarget;
  const unusable: CaseStatus[] = ['merged', 'refused'];
  if (!target || target.id !== cmd.intoCaseId || target.id === c.id || unusable.includes(target.status)) {
    return 'invalid_merge_target';
  }
  const next: CaseState = { ...c, status: 'merged', mergedIntoId: target.id, closedAt: now };
  return {
    next,
    action: 'merged',
    payload: { intoCaseId: target.id, intoCaseCode: target.code },
    intents: toCitizen(next, T.caseMerged, { mergedIntoCode: target.code }),
  };
}

/**
 * The due dates stay: they count from receipt, and the category's own SLA rule was applied then. Routing is
 * the dispatcher's next step (assign), so nobody is notified here.
 */
function recategorise(c: CaseState, cmd: CaseCommandOf<'recategorise'>, ctx: TransitionContext): Step | CaseErrorCode {
  const category = ctx.category;
  if (!category || category.id !== cmd.categoryId || !category.active) return 'unknown_category';
  if (category.id === c.categoryId) return 'same_category';
  return {
    next: { ...c, categoryId: category.id },
    action: 'recategorised',
    payload: { fromCategoryId: c.categoryId, toCategoryId: category.id, toCategoryName: category.name },
    intents: [],
  };
}

function transfer(c: CaseState, cmd: CaseCommandOf<'transfer'>, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  if (isBlank(cmd.reason)) return 'missing_reason';
  const unit = findActiveUnit(ctx, cmd.unitId);
  if (!unit) return 'unknown_unit';
  if (unit.id === c.responsibleUnitId) return 'same_unit';
  const coUnits = resolveCoUnits(ctx, cmd.coUnitIds, unit.id);
  if (!coUnits) return 'unknown_unit';
  const { acceptDueAt } = recomputeOnTransfer(ctx.calendar, ctx.slaRules, {
    transferredAt: now,
    categoryId: c.categoryId,
    priority: c.priority,
  });
  // A transfer out of awaiting_info ends the pause: the waiting time is credited before the clock restarts.
  const answerDueAt = resumeAnswerDue(c, now, ctx);
  const next: CaseState = {
    ...c,
    status: 'assigned',
    responsibleUnitId: unit.id,
    coUnitIds: coUnits.map((u) => u.id),
    assigneeId: null,
    acceptDueAt,
    answerDueAt,
    pausedAt: null,
    // The new unit writes its own answer; a draft of the old one must not be approved by mistake.
    answerText: null,
    answerDraftedBy: null,
  };
  return {
    next,
    action: 'transferred',
    payload: {
      fromUnitId: c.responsibleUnitId,
      toUnitId: unit.id,
      toUnitName: unit.name,
      reason: cmd.reason.trim(),
      coUnitIds: next.coUnitIds,
      acceptDueAt: acceptDueAt.toISOString(),
      ...(c.pausedAt ? { resumedFromPause: true, answerDueAt: isoOrNull(answerDueAt) } : {}),
    },
    intents: [
      ...toCitizen(next, T.caseAssigned, { unitName: unit.name, transferred: true }),
      toUnitStaff(next, unit.id, T.officialCaseAssigned, { unitName: unit.name, transferReason: cmd.reason.trim() }),
      ...coUnits.map((u) => toUnitStaff(next, u.id, T.officialCaseCoAssigned, { unitName: u.name, leadUnitName: unit.name })),
    ],
  };
}

function requestInfo(c: CaseState, cmd: CaseCommandOf<'request_info'>, now: Date): Step | CaseErrorCode {
  if (isBlank(cmd.question)) return 'missing_text';
  if (c.contactId === null) return 'no_contact';
  const next: CaseState = { ...c, status: 'awaiting_info', pausedAt: now };
  return {
    next,
    action: 'info_requested',
    payload: { question: cmd.question.trim() },
    intents: toCitizen(next, T.caseAwaitingInfo, { question: cmd.question.trim() }),
  };
}

function provideInfo(c: CaseState, cmd: CaseCommandOf<'provide_info'>, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  if (isBlank(cmd.text)) return 'missing_text';
  const answerDueAt = resumeAnswerDue(c, now, ctx);
  const next: CaseState = { ...c, status: 'in_progress', pausedAt: null, answerDueAt };
  return {
    next,
    action: 'info_provided',
    payload: {
      text: cmd.text.trim(),
      pausedAt: isoOrNull(c.pausedAt),
      previousAnswerDueAt: isoOrNull(c.answerDueAt),
      answerDueAt: isoOrNull(answerDueAt),
    },
    intents: notifyUnitWorker(next, T.officialInfoProvided, { info: cmd.text.trim() }),
  };
}

function draftAnswer(
  c: CaseState,
  cmd: CaseCommandOf<'draft_answer'>,
  actor: Actor,
  now: Date,
  ctx: TransitionContext,
): Step | CaseErrorCode {
  if (isBlank(cmd.text)) return 'missing_text';
  const text = cmd.text.trim();
  const drafter = actor.type === 'official' ? actor.officialId : null;
  const unit = c.responsibleUnitId === null ? undefined : ctx.units.find((u) => u.id === c.responsibleUnitId);
  // An unknown unit setting errs towards the leader's review, the safer of the two.
  const requiresApproval = unit?.requiresApproval ?? true;
  const templatePayload = cmd.templateName ? { templateName: cmd.templateName } : {};
  if (requiresApproval) {
    const next: CaseState = { ...c, status: 'pending_approval', answerText: text, answerDraftedBy: drafter };
    return {
      next,
      action: 'answer_drafted',
      payload: { ...templatePayload },
      intents: c.responsibleUnitId === null ? [] : [toUnitLeaders(next, c.responsibleUnitId, T.officialAnswerToApprove)],
    };
  }
  const next = markAnswered({ ...c, answerDraftedBy: drafter }, text, null, now);
  return { next, action: 'answered', payload: { ...templatePayload, ...answerPayload(next), direct: true }, intents: answerIntents(next, ctx) };
}

function approve(c: CaseState, cmd: CaseCommandOf<'approve'>, actor: Actor, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  if (cmd.text !== undefined && isBlank(cmd.text)) return 'missing_text';
  const text = cmd.text?.trim() ?? c.answerText;
  if (!text) return 'missing_text';
  const approver = actor.type === 'official' ? actor.officialId : null;
  const next = markAnswered(c, text, approver, now);
  return {
    next,
    action: 'approved',
    payload: { ...answerPayload(next), edited: cmd.text !== undefined && cmd.text.trim() !== c.answerText },
    intents: answerIntents(next, ctx),
  };
}

function sendBack(c: CaseState, cmd: CaseCommandOf<'send_back'>): Step | CaseErrorCode {
  if (isBlank(cmd.comment)) return 'missing_reason';
  const next: CaseState = { ...c, status: 'in_progress' };
  const recipient = c.answerDraftedBy ?? c.assigneeId;
  return {
    next,
    action: 'sent_back',
    payload: { comment: cmd.comment.trim() },
    intents: recipient === null ? [] : [toOfficial(next, recipient, T.officialAnswerSentBack, { comment: cmd.comment.trim() })],
  };
}

/** Law-facing rule: "chưa hài lòng" reopens once to the same unit; the second time the case closes. */
export const MAX_REOPENS = 1;

function rate(c: CaseState, cmd: CaseCommandOf<'rate'>, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  if (cmd.rating === 'chua_hai_long' && c.reopenCount < MAX_REOPENS) {
    // The unit gets a fresh answer period from the reopening; the first answer's on-time flag stays until
    // the next answer replaces it.
    const { answerDueAt } = computeInitialDueDates(ctx.calendar, ctx.slaRules, {
      receivedAt: now,
      categoryId: c.categoryId,
      priority: c.priority,
    });
    const next: CaseState = { ...c, status: 'in_progress', rating: cmd.rating, reopenCount: c.reopenCount + 1, answerDueAt };
    return {
      next,
      action: 'reopened',
      payload: { rating: cmd.rating, answerDueAt: answerDueAt.toISOString() },
      intents: [...toCitizen(next, T.caseReopened), ...notifyUnitWorker(next, T.officialCaseReopened)],
    };
  }
  const next: CaseState = { ...c, status: 'closed', rating: cmd.rating, closedAt: now };
  return { next, action: 'rated', payload: { rating: cmd.rating }, intents: [] };
}

function autoClose(c: CaseState, cmd: CaseCommandOf<'auto_close'>, now: Date): Step | CaseErrorCode {
  if (c.answeredAt === null || now.getTime() - c.answeredAt.getTime() < cmd.afterDays * DAY_MS) return 'too_early_to_close';
  const next: CaseState = { ...c, status: 'closed', closedAt: now };
  return { next, action: 'auto_closed', payload: { afterDays: cmd.afterDays }, intents: [] };
}

function requestExtension(c: CaseState, cmd: CaseCommandOf<'request_extension'>): Step | CaseErrorCode {
  if (isBlank(cmd.reason)) return 'missing_reason';
  if (!Number.isInteger(cmd.extraWorkingDays) || cmd.extraWorkingDays < 1) return 'invalid_extension';
  return {
    next: { ...c },
    action: 'extension_requested',
    payload: { reason: cmd.reason.trim(), extraWorkingDays: cmd.extraWorkingDays, answerDueAt: isoOrNull(c.answerDueAt) },
    intents: [toDispatchers(c, T.officialExtensionRequested, { reason: cmd.reason.trim(), extraWorkingDays: cmd.extraWorkingDays })],
  };
}

function grantExtension(c: CaseState, cmd: CaseCommandOf<'grant_extension'>, ctx: TransitionContext): Step | CaseErrorCode {
  if (isBlank(cmd.reason)) return 'missing_reason';
  const hasDays = cmd.extraWorkingDays !== undefined;
  const hasDate = cmd.newDueAt !== undefined;
  if (hasDays === hasDate || c.answerDueAt === null) return 'invalid_extension';
  let answerDueAt: Date;
  if (cmd.extraWorkingDays !== undefined) {
    if (!Number.isInteger(cmd.extraWorkingDays) || cmd.extraWorkingDays < 1) return 'invalid_extension';
    answerDueAt = extendDue(ctx.calendar, c.answerDueAt, cmd.extraWorkingDays);
  } else {
    answerDueAt = cmd.newDueAt as Date;
    if (Number.isNaN(answerDueAt.getTime()) || answerDueAt.getTime() <= c.answerDueAt.getTime()) return 'invalid_extension';
  }
  const next: CaseState = { ...c, answerDueAt, extensionCount: c.extensionCount + 1 };
  const reason = cmd.reason.trim();
  const officials: IntentDraft[] = [];
  if (c.responsibleUnitId !== null) officials.push(toUnitLeaders(next, c.responsibleUnitId, T.officialExtensionGranted, { reason }));
  if (c.assigneeId !== null) officials.push(toOfficial(next, c.assigneeId, T.officialExtensionGranted, { reason }));
  return {
    next,
    action: 'extension_granted',
    payload: {
      reason,
      ...(cmd.extraWorkingDays !== undefined ? { extraWorkingDays: cmd.extraWorkingDays } : {}),
      previousAnswerDueAt: c.answerDueAt.toISOString(),
      answerDueAt: answerDueAt.toISOString(),
    },
    // Luật Tiếp công dân Điều 28: the person is told when the handling is extended.
    intents: [...toCitizen(next, T.caseExtended, { reason }), ...officials],
  };
}

function addNote(c: CaseState, cmd: CaseCommandOf<'add_note'>, actor: Actor): Step | CaseErrorCode {
  if (isBlank(cmd.text)) return 'missing_text';
  return {
    next: { ...c },
    action: 'note_added',
    payload: { text: cmd.text.trim(), ...(actor.type === 'official' ? { unitId: actor.unitId } : {}) },
    intents: [],
  };
}

function publish(c: CaseState, cmd: CaseCommandOf<'publish'>, now: Date, ctx: TransitionContext): Step | CaseErrorCode {
  const answer = cmd.answer?.trim() || c.answerText;
  if (!answer) return 'missing_text';
  const names = ctx.contactNames ?? [];
  const question = cmd.question?.trim() || c.description;
  const next: CaseState = {
    ...c,
    publishedAt: now,
    publicTitle: cmd.title?.trim() ? maskPersonalData(cmd.title.trim(), { names }) : null,
    publicQuestion: maskPersonalData(question, { names }),
    publicAnswer: maskPersonalData(answer, { names }),
  };
  // The payload stays free of the texts: the audit trail must not become a second copy of personal data.
  return { next, action: 'published', payload: { republished: c.publishedAt !== null }, intents: [] };
}

// ───────────────────────────── helpers ─────────────────────────────

/** Freezes the on-time flag at the moment of answering, so KPIs read stored facts. */
function markAnswered(c: CaseState, text: string, approvedBy: number | null, now: Date): CaseState {
  return {
    ...c,
    status: 'answered',
    answerText: text,
    answerApprovedBy: approvedBy,
    answeredAt: now,
    answeredOnTime: c.answerDueAt === null || now.getTime() <= c.answerDueAt.getTime(),
  };
}

function answerPayload(c: CaseState): Record<string, unknown> {
  return { answeredOnTime: c.answeredOnTime, answerDueAt: isoOrNull(c.answerDueAt) };
}

/** The sender gets the answer with rating buttons; senders of cases merged into this one get it too. */
function answerIntents(c: CaseState, ctx: TransitionContext): IntentDraft[] {
  const data = { answerText: c.answerText, ratingOptions: CASE_RATING_OPTIONS };
  const merged: IntentDraft[] = (ctx.mergedCases ?? []).flatMap((m) =>
    m.contactId === null || m.contactId === c.contactId
      ? []
      : [{ to: { type: 'contact', contactId: m.contactId }, template: T.caseAnswered, data: { caseCode: m.code, mergedIntoCode: c.code, answerText: c.answerText } }],
  );
  return [...toCitizen(c, T.caseAnswered, data), ...merged];
}

/** The handler on the case, or the whole unit when nobody is assigned yet. */
function notifyUnitWorker(c: CaseState, template: string, data: Record<string, unknown> = {}): IntentDraft[] {
  if (c.assigneeId !== null) return [toOfficial(c, c.assigneeId, template, data)];
  return c.responsibleUnitId === null ? [] : [toUnitStaff(c, c.responsibleUnitId, template, data)];
}

function resumeAnswerDue(c: CaseState, now: Date, ctx: TransitionContext): Date | null {
  if (c.pausedAt === null || c.answerDueAt === null) return c.answerDueAt;
  return shiftForPause(ctx.calendar, c.answerDueAt, c.pausedAt, now);
}

function isEligibleHandler(c: CaseState, officialId: number, ctx: TransitionContext): boolean {
  const official = ctx.officials?.find((o) => o.id === officialId);
  return (
    official !== undefined &&
    official.active &&
    official.unitId === c.responsibleUnitId &&
    (official.roles.includes('handler') || official.roles.includes('unit_leader'))
  );
}

function findActiveUnit(ctx: TransitionContext, unitId: number): UnitInfo | undefined {
  return ctx.units.find((u) => u.id === unitId && u.active);
}

/** Deduplicated co-units without the lead; undefined when one of them is unknown or inactive. */
function resolveCoUnits(ctx: TransitionContext, ids: number[] | undefined, leadId: number): UnitInfo[] | undefined {
  const out: UnitInfo[] = [];
  for (const id of new Set(ids ?? [])) {
    if (id === leadId) continue;
    const unit = findActiveUnit(ctx, id);
    if (!unit) return undefined;
    out.push(unit);
  }
  return out;
}

function isBlank(value: string | undefined | null): boolean {
  return value === undefined || value === null || value.trim() === '';
}

function isoOrNull(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case command: ${JSON.stringify(value)}`);
}
