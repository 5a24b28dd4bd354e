import { formatDayNumber } from '../calendar/local-time.js';
import { formatVnDate, formatVnDateTime, type WorkingCalendar } from '../calendar/working-calendar.js';
import { CASE_STATUS_LABELS, type CaseStatus } from '../cases/case-status.js';
import type { NotificationRecipient } from '../cases/case-state.js';
import { slaBadge, type SlaStep } from '../sla/sla-rules.js';
import { NUDGE_STEP_LABELS, pickNudgeTemplate, type NudgeRule, type NudgeTarget } from './nudge-rules.js';
import { DEFAULT_SEND_WINDOW, deferInstantToSendWindow, parseSendWindow, type SendWindow, type SendWindowMs } from './send-window.js';
import {
  createWorkingDayIndex,
  dayOf,
  instantOn,
  isWorkingDayNumber,
  shiftWorkingDayNumber,
  workingDaysBetweenDays,
  type WorkingDayIndex,
} from './working-day-index.js';

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
   * before it are not sent: whoever just got the case was told the due date by the assignment itself. It is
   * also part of every reminder's key, so a step that starts over (transfer, return) is reminded afresh.
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
  /** One message per key, ever: see nudgeKey. */
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
  /** The calendar unrolled over the days the cases need (the sweep builds one for all of them); else ±120 days of now. */
  days?: WorkingDayIndex;
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

/** When a reminder falls due; `day` is set for daily repeats, the local day that makes the key unique. */
interface Occurrence {
  at: number;
  day?: number;
}

/**
 * Everything about `now` that every case shares, worked out once per sweep: the rules by step, the send window
 * in ms, today's day number and the latest working morning a daily repeat may be for.
 */
export interface NudgePlanner {
  readonly calendar: WorkingCalendar;
  readonly days: WorkingDayIndex;
  readonly now: Date;
  readonly nowMs: number;
  readonly today: number;
  readonly window: SendWindowMs;
  /** Outside the send window nothing is due: whatever a stopped worker missed waits for the next working morning. */
  readonly inWindow: boolean;
  /** The latest working day whose morning has come: the day a daily repeat is for at `now`. */
  readonly latestMorningDay: number;
  readonly rulesByStep: ReadonlyMap<SlaStep, readonly NudgeRule[]>;
  readonly dayLabels: Map<number, string>;
}

/** A reminder found due, before its message is written: enough to learn whether it went out already. */
export interface DueNudge {
  key: string;
  nudgeCase: NudgeCase;
  rule: NudgeRule;
  current: CaseStepDue;
  recipient: NotificationRecipient;
  occursAt: Date;
}

/** The days around `now` a single case can need; the sweep passes an index covering all its candidates. */
const DEFAULT_SPAN_DAYS = 120;

export function createNudgePlanner(rules: readonly NudgeRule[], calendar: WorkingCalendar, now: Date, options: PlanNudgesOptions = {}): NudgePlanner {
  const nowMs = now.getTime();
  const today = dayOf(nowMs);
  const days = options.days ?? createWorkingDayIndex(calendar, today - DEFAULT_SPAN_DAYS, today + DEFAULT_SPAN_DAYS);
  if (days.calendar !== calendar) throw new Error('The working-day index was built from another calendar');
  const window = parseSendWindow(options.window ?? DEFAULT_SEND_WINDOW);
  const rulesByStep = new Map<SlaStep, NudgeRule[]>();
  for (const rule of rules) {
    if (!rule.active) continue;
    const list = rulesByStep.get(rule.step);
    if (list) list.push(rule);
    else rulesByStep.set(rule.step, [rule]);
  }
  const morningHasCome = isWorkingDayNumber(days, today) && nowMs >= instantOn(today, window.morningMs);
  return {
    calendar,
    days,
    now,
    nowMs,
    today,
    window,
    inWindow: deferInstantToSendWindow(days, window, nowMs) === nowMs,
    latestMorningDay: morningHasCome ? today : shiftWorkingDayNumber(days, today, -1),
    rulesByStep,
    dayLabels: new Map(),
  };
}

/**
 * The idempotency key of a reminder: `nudge:<caseId>:<ruleCode>:<occurrence>`, plus `:<YYYY-MM-DD>` for a daily
 * repeat, where the occurrence (nudgeOccurrence) names the step and when it began and falls due. A step that
 * starts over (transfer to another unit, return to the dispatchers, resumption after awaiting_info) or whose
 * date moves (extension) is a new occurrence with keys of its own; the same occurrence seen by any number of
 * sweepers, before or after a restart, always gives the same key.
 */
export function nudgeKey(caseId: number, ruleCode: string, occurrence: string, day?: string): string {
  return `nudge:${caseId}:${ruleCode}:${occurrence}${day === undefined ? '' : `:${day}`}`;
}

/** `<step>@<start>-<due>`: the step's start and its due instant, epoch ms in base 36 (short, exact, no ':'). */
export function nudgeOccurrence(step: SlaStep, stepStartMs: number, dueMs: number): string {
  return `${step}@${stepStartMs.toString(36)}-${dueMs.toString(36)}`;
}

/** Day strings of daily-repeat keys: a sweep needs only a handful of distinct days, for thousands of keys. */
function formatKeyDay(p: NudgePlanner, day: number): string {
  let text = p.dayLabels.get(day);
  if (text === undefined) {
    text = formatDayNumber(day);
    p.dayLabels.set(day, text);
  }
  return text;
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
function findCurrentOccurrence(p: NudgePlanner, rule: NudgeRule, due: number, stepStart: number): Occurrence | null {
  const t = p.nowMs;
  const { days } = p;
  const morning = p.window.morningMs;

  if (rule.offsetWorkingDays <= 0) {
    const dueDay = dayOf(due);
    // The due day's morning, or for a (hand-entered) due date on a day off, the working day before it.
    const anchor = rule.offsetWorkingDays === 0 && !isWorkingDayNumber(days, dueDay) ? shiftWorkingDayNumber(days, dueDay, -1) : dueDay;
    const day = shiftWorkingDayNumber(days, anchor, rule.offsetWorkingDays);
    const at = instantOn(day, morning);
    if (t < at || t >= due || at < stepStart) return null;
    if (t >= instantOn(shiftWorkingDayNumber(days, day, 1), morning)) return null;
    return { at };
  }

  const reference = stepStart > due ? stepStart : due;
  const first =
    rule.offsetWorkingDays === 1
      ? deferInstantToSendWindow(days, p.window, reference + 1)
      : instantOn(shiftWorkingDayNumber(days, dayOf(reference), rule.offsetWorkingDays), morning);
  if (t < first) return null;
  if (!rule.repeatDaily) return { at: first };

  const firstDay = dayOf(first);
  if (p.latestMorningDay <= firstDay) return { at: first, day: firstDay };
  return { at: instantOn(p.latestMorningDay, morning), day: p.latestMorningDay };
}

/**
 * The reminders of one case that are due at the planner's `now`, with their keys and recipients but not yet
 * their messages: the sweep writes messages only for the few keys not sent before.
 */
export function findDueNudges(p: NudgePlanner, c: NudgeCase): DueNudge[] {
  if (!p.inWindow) return [];
  const current = findCurrentStep(c);
  if (!current) return [];
  const rules = p.rulesByStep.get(current.step);
  if (!rules) return [];
  const due = current.dueAt.getTime();
  const stepStart = (c.stepStartedAt ?? c.receivedAt).getTime();
  const found: DueNudge[] = [];
  let occurrenceKey: string | undefined;
  for (const rule of rules) {
    const occurrence = findCurrentOccurrence(p, rule, due, stepStart);
    if (!occurrence) continue;
    const recipient = resolveRecipient(rule.target, c);
    if (!recipient) continue;
    occurrenceKey ??= nudgeOccurrence(current.step, stepStart, due);
    found.push({
      key: nudgeKey(c.id, rule.code, occurrenceKey, occurrence.day === undefined ? undefined : formatKeyDay(p, occurrence.day)),
      nudgeCase: c,
      rule,
      current,
      recipient,
      occursAt: new Date(occurrence.at),
    });
  }
  return found;
}

/**
 * The messages of due reminders. What depends only on the case (SLA text, dates) is worked out once per case:
 * a late case has its daily repeat and an escalation due together.
 */
export function writeNudges(p: NudgePlanner, due: readonly DueNudge[]): PlannedNudge[] {
  const shared = new Map<NudgeCase, Record<string, unknown>>();
  return due.map((n) => {
    const c = n.nudgeCase;
    const { step, dueAt } = n.current;
    let common = shared.get(c);
    if (!common) {
      const dueMs = dueAt.getTime();
      common = {
        caseId: c.id,
        caseCode: c.code,
        step,
        stepLabel: NUDGE_STEP_LABELS[step],
        statusLabel: CASE_STATUS_LABELS[c.status],
        dueDate: formatVnDateTime(dueAt),
        dueDay: formatVnDate(dueAt),
        slaText: slaBadge(p.calendar, dueAt, p.now).text,
        overdueDays: p.nowMs > dueMs ? Math.max(0, workingDaysBetweenDays(p.days, dayOf(dueMs), p.today)) : 0,
        excerpt: c.details?.excerpt ?? '',
        unitName: c.details?.unitName ?? null,
        assigneeName: c.details?.assigneeName ?? null,
      };
      shared.set(c, common);
    }
    return {
      key: n.key,
      recipient: n.recipient,
      template: pickNudgeTemplate(n.rule),
      caseId: c.id,
      ruleCode: n.rule.code,
      step,
      occursAt: n.occursAt,
      data: { ...common },
    };
  });
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
  const planner = createNudgePlanner(rules, calendar, now, options);
  return writeNudges(planner, findDueNudges(planner, c));
}
