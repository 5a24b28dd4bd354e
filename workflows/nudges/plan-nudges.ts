import { formatVnDate, formatVnDateTime, isWorkingDay, localDay, workingDaysBetween, type WorkingCalendar } from '../calendar/working-calendar.js';
import { CASE_STATUS_LABELS, type CaseStatus } from '../cases/case-status.js';
import type { NotificationRecipient } from '../cases/case-state.js';
import { slaBadge, type SlaStep } from '../sla/sla-rules.js';
import { NUDGE_STEP_LABELS, pickNudgeTemplate, type NudgeRule, type NudgeTarget } from './nudge-rules.js';
import { atLocalTime, deferToSendWindow, DEFAULT_SEND_WINDOW, isInSendWindow, shiftWorkingDays, type SendWindow } from './send-window.js';

/** What the planner reads of a case; the sweep fills it from `cases` and `case_events`. */
export interface NudgeCase {
  id: number;
  code: string;
  status: CaseStatus;
  responsibleUnitId: number | null;
  assigneeId: number | null;
  receivedAt: Date;
  triageDueAt: Date | null;
  acceptDueAt: Date | null;
  answerDueAt: Date | null;
  /**
   * When the case entered its current step (its latest status change or transfer). Reminders that fell due
   * before it are not sent: whoever just got the case was told the due date by the assignment itself.
   * null = unknown, the receipt is used.
   */
  stepStartedAt: Date | null;
  /** Copied into the message so it reads well on its own; never used for deciding. */
  details?: { excerpt?: string; unitName?: string | null; assigneeName?: string | null };
}

export interface CaseStepDue {
  step: SlaStep;
  dueAt: Date;
}

/** A reminder due now, ready for insertOutbox as kind 'notify'. */
export interface PlannedNudge {
  /** `nudge:<caseId>:<ruleCode>:<step>`, plus `:<YYYY-MM-DD>` for a daily repeat: one message per key, ever. */
  key: string;
  recipient: NotificationRecipient;
  template: string;
  data: Record<string, unknown>;
  caseId: number;
  ruleCode: string;
  step: SlaStep;
  /** When the reminder fell due (the sweep may run a little later). */
  occursAt: Date;
}

export interface PlanNudgesOptions {
  window?: SendWindow;
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

/**
 * The step the case is in and the date it is measured against — the same rule as the console's SLA badge
 * (`currentDueAtSql` of workflows/cases/list-cases.ts): the earlier of the step's own date and the answer
 * date. awaiting_info has its clock stopped, so it has no step here.
 */
export function findCurrentStep(c: Pick<NudgeCase, 'status' | 'triageDueAt' | 'acceptDueAt' | 'answerDueAt'>): CaseStepDue | null {
  const make = (step: SlaStep, dueAt: Date | null): CaseStepDue | null => (dueAt ? { step, dueAt } : null);
  switch (c.status) {
    case 'received':
      return make('triage', earliest(c.triageDueAt, c.answerDueAt));
    case 'assigned':
      return make('accept', earliest(c.acceptDueAt, c.answerDueAt));
    case 'in_progress':
      return make('answer', c.answerDueAt);
    case 'pending_approval':
      return make('approval', c.answerDueAt);
    default:
      return null;
  }
}

function resolveRecipient(target: NudgeTarget, c: NudgeCase): NotificationRecipient | null {
  switch (target) {
    case 'dispatcher':
      return { type: 'dispatchers' };
    case 'unit_leader':
      return c.responsibleUnitId === null ? null : { type: 'unit', unitId: c.responsibleUnitId, roles: ['unit_leader'] };
    case 'assignee':
      if (c.assigneeId !== null) return { type: 'official', officialId: c.assigneeId };
      // Nobody picked yet: the people who pick are the ones to remind.
      return c.responsibleUnitId === null ? null : { type: 'unit', unitId: c.responsibleUnitId, roles: ['unit_leader'] };
  }
}

interface Occurrence {
  at: Date;
  /** Set for daily repeats: the local day that makes the key unique. */
  day?: string;
}

/**
 * The occurrence of `rule` that is current at `now`, if any.
 * - Before the due date (offset ≤ 0): the morning of the working day |offset| working days before the due
 *   day; valid only that working day and only while the case is not yet due, so a sweep that was down for
 *   a day does not send yesterday's "còn 2 ngày" today.
 * - Overdue (offset ≥ 1): measured from the due instant, or from the step's start when the case reached
 *   this step already late (the new owner gets the same grace before an escalation). Non-repeating ones
 *   fire late rather than never; daily repeats fire only for the current working day.
 */
function findCurrentOccurrence(
  cal: WorkingCalendar,
  window: SendWindow,
  rule: NudgeRule,
  due: Date,
  stepStart: Date,
  now: Date,
): Occurrence | null {
  const t = now.getTime();
  const dueDay = localDay(due);

  if (rule.offsetWorkingDays <= 0) {
    // The due day's morning, or for a (hand-entered) due date on a day off, the working day before it.
    const anchor = rule.offsetWorkingDays === 0 && !isWorkingDay(cal, dueDay) ? shiftWorkingDays(cal, dueDay, -1) : dueDay;
    const day = rule.offsetWorkingDays === 0 ? anchor : shiftWorkingDays(cal, anchor, rule.offsetWorkingDays);
    const at = atLocalTime(day, window.morning);
    const expires = Math.min(due.getTime(), atLocalTime(shiftWorkingDays(cal, day, 1), window.morning).getTime());
    if (t < at.getTime() || t >= expires || at.getTime() < stepStart.getTime()) return null;
    return { at };
  }

  const reference = stepStart.getTime() > due.getTime() ? stepStart : due;
  const first =
    rule.offsetWorkingDays === 1
      ? deferToSendWindow(cal, window, new Date(reference.getTime() + 1))
      : atLocalTime(shiftWorkingDays(cal, localDay(reference), rule.offsetWorkingDays), window.morning);
  if (t < first.getTime()) return null;
  if (!rule.repeatDaily) return { at: first };

  const firstDay = localDay(first);
  const today = localDay(now);
  const todayMorning = atLocalTime(today, window.morning);
  const latestDay = isWorkingDay(cal, today) && t >= todayMorning.getTime() ? today : shiftWorkingDays(cal, today, -1);
  if (latestDay <= firstDay) return { at: first, day: firstDay };
  return { at: atLocalTime(latestDay, window.morning), day: latestDay };
}

/**
 * The reminders due for one case at `now`: pure, so the sweep, the tests and a preview can all ask it. Each
 * comes with its idempotency key; the outbox's unique key turns "due" into "sent once". Outside the send
 * window nothing is due: whatever a stopped worker missed waits for the next working morning too.
 */
export function planNudges(
  c: NudgeCase,
  rules: readonly NudgeRule[],
  calendar: WorkingCalendar,
  now: Date,
  options: PlanNudgesOptions = {},
): PlannedNudge[] {
  const current = findCurrentStep(c);
  if (!current) return [];
  const window = options.window ?? DEFAULT_SEND_WINDOW;
  if (!isInSendWindow(calendar, window, now)) return [];
  const stepStart = c.stepStartedAt ?? c.receivedAt;
  const planned: PlannedNudge[] = [];

  for (const rule of rules) {
    if (!rule.active || rule.step !== current.step) continue;
    const occurrence = findCurrentOccurrence(calendar, window, rule, current.dueAt, stepStart, now);
    if (!occurrence) continue;
    const recipient = resolveRecipient(rule.target, c);
    if (!recipient) continue;
    const overdueDays = now.getTime() > current.dueAt.getTime() ? Math.max(0, workingDaysBetween(calendar, current.dueAt, now)) : 0;
    planned.push({
      key: `nudge:${c.id}:${rule.code}:${current.step}${occurrence.day ? `:${occurrence.day}` : ''}`,
      recipient,
      template: pickNudgeTemplate(rule),
      caseId: c.id,
      ruleCode: rule.code,
      step: current.step,
      occursAt: occurrence.at,
      data: {
        caseId: c.id,
        caseCode: c.code,
        step: current.step,
        stepLabel: NUDGE_STEP_LABELS[current.step],
        statusLabel: CASE_STATUS_LABELS[c.status],
        dueDate: formatVnDateTime(current.dueAt),
        dueDay: formatVnDate(current.dueAt),
        slaText: slaBadge(calendar, current.dueAt, now).text,
        overdueDays,
        excerpt: c.details?.excerpt ?? '',
        unitName: c.details?.unitName ?? null,
        assigneeName: c.details?.assigneeName ?? null,
      },
    });
  }
  return planned;
}
