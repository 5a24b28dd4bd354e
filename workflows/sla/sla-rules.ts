import {
  addWorkingDays,
  addWorkingHours,
  localDay,
  workingDaysBetween,
  workingMsBetween,
  type WorkingCalendar,
} from '../calendar/working-calendar.js';

export type SlaStep = 'triage' | 'accept' | 'answer' | 'approval';
export type CasePriority = 'normal' | 'urgent' | 'complex';

/** One row of `sla_rules`: a limit is data so an official can change it without a deploy (DOMAIN.md §1.6). */
export interface SlaRule {
  code: string;
  step: SlaStep;
  categoryId: number | null;
  priority: CasePriority | null;
  limitValue: number;
  limitUnit: 'working_days' | 'working_hours';
  startEvent: string;
  legalSource: string;
  active: boolean;
}

const PRODUCT_DEFAULT = 'Mặc định của sản phẩm';

/**
 * Seeded into `sla_rules`. The national and Hà Nội processing limits could not be read (DOMAIN.md §1.6, §9),
 * so every number is a product default that cites the closest sourced rule. The three `-urgent` rows for
 * triage, accept and approval are ours: without them an urgent case would inherit the 1–2 day defaults and
 * show a triage deadline days after its 4-hour answer deadline.
 */
export const DEFAULT_SLA_RULES: Omit<SlaRule, never>[] = [
  {
    code: 'triage-default',
    step: 'triage',
    categoryId: null,
    priority: null,
    limitValue: 2,
    limitUnit: 'working_days',
    startEvent: 'received',
    legalSource: `${PRODUCT_DEFAULT}; tham chiếu NĐ 20/2008 Điều 9, TT 18/2018/TT-BCT Điều 13`,
    active: true,
  },
  {
    code: 'triage-urgent',
    step: 'triage',
    categoryId: null,
    priority: 'urgent',
    limitValue: 1,
    limitUnit: 'working_hours',
    startEvent: 'received',
    legalSource: `${PRODUCT_DEFAULT} cho phản ánh khẩn; tham chiếu QĐ 1207/QĐ-UBND (Hà Nội, 2025): mức độ khẩn xử lý trong 4 giờ làm việc`,
    active: true,
  },
  {
    code: 'accept-default',
    step: 'accept',
    categoryId: null,
    priority: null,
    limitValue: 1,
    limitUnit: 'working_days',
    startEvent: 'assigned',
    legalSource: `${PRODUCT_DEFAULT}; tham chiếu NĐ 20/2008 Điều 9, TT 18/2018/TT-BCT Điều 13`,
    active: true,
  },
  {
    code: 'accept-urgent',
    step: 'accept',
    categoryId: null,
    priority: 'urgent',
    limitValue: 1,
    limitUnit: 'working_hours',
    startEvent: 'assigned',
    legalSource: `${PRODUCT_DEFAULT} cho phản ánh khẩn; tham chiếu QĐ 1207/QĐ-UBND (Hà Nội, 2025): mức độ khẩn xử lý trong 4 giờ làm việc`,
    active: true,
  },
  {
    code: 'answer-default',
    step: 'answer',
    categoryId: null,
    priority: null,
    limitValue: 10,
    limitUnit: 'working_days',
    startEvent: 'received',
    legalSource: `${PRODUCT_DEFAULT}; tham chiếu Luật Tiếp công dân 2013 Điều 28, TT 18/2018/TT-BCT Điều 13`,
    active: true,
  },
  {
    code: 'answer-complex',
    step: 'answer',
    categoryId: null,
    priority: 'complex',
    limitValue: 20,
    limitUnit: 'working_days',
    startEvent: 'received',
    legalSource: `${PRODUCT_DEFAULT} cho vụ việc phức tạp (có ghi nhận gia hạn); tham chiếu TT 18/2018/TT-BCT Điều 13`,
    active: true,
  },
  {
    code: 'answer-urgent',
    step: 'answer',
    categoryId: null,
    priority: 'urgent',
    limitValue: 4,
    limitUnit: 'working_hours',
    startEvent: 'received',
    legalSource: `${PRODUCT_DEFAULT}; tham chiếu QĐ 1207/QĐ-UBND (Hà Nội, 2025): mức độ khẩn xử lý trong 4 giờ làm việc`,
    active: true,
  },
  {
    code: 'approval-default',
    step: 'approval',
    categoryId: null,
    priority: null,
    limitValue: 1,
    limitUnit: 'working_days',
    startEvent: 'pending_approval',
    legalSource: PRODUCT_DEFAULT,
    active: true,
  },
  {
    code: 'approval-urgent',
    step: 'approval',
    categoryId: null,
    priority: 'urgent',
    limitValue: 1,
    limitUnit: 'working_hours',
    startEvent: 'pending_approval',
    legalSource: `${PRODUCT_DEFAULT} cho phản ánh khẩn`,
    active: true,
  },
];

/** Raised when no active rule covers a step: the rule table is misconfigured, not the case. */
export class SlaRuleMissingError extends Error {
  constructor(
    readonly step: SlaStep,
    readonly categoryId: number | null,
    readonly priority: CasePriority,
  ) {
    super(`No active SLA rule for step "${step}" (category ${categoryId ?? 'none'}, priority ${priority})`);
    this.name = 'SlaRuleMissingError';
  }
}

/**
 * Most specific active rule wins: category+priority > category > priority > default. Ties are broken by
 * code so the answer does not depend on the order the database returned the rows in.
 */
export function pickSlaRule(
  rules: SlaRule[],
  step: SlaStep,
  categoryId: number | null,
  priority: CasePriority,
): SlaRule | undefined {
  let best: SlaRule | undefined;
  let bestRank = -1;
  for (const rule of rules) {
    if (!rule.active || rule.step !== step) continue;
    if (rule.categoryId !== null && rule.categoryId !== categoryId) continue;
    if (rule.priority !== null && rule.priority !== priority) continue;
    const rank = (rule.categoryId !== null ? 2 : 0) + (rule.priority !== null ? 1 : 0);
    if (rank > bestRank || (rank === bestRank && best !== undefined && rule.code < best.code)) {
      best = rule;
      bestRank = rank;
    }
  }
  return best;
}

export function dueAfter(cal: WorkingCalendar, rule: SlaRule, start: Date): Date {
  switch (rule.limitUnit) {
    case 'working_days':
      return addWorkingDays(cal, start, rule.limitValue);
    case 'working_hours':
      return addWorkingHours(cal, start, rule.limitValue);
    default:
      return assertUnreachable(rule.limitUnit);
  }
}

export interface CaseDueDates {
  triageDueAt: Date;
  acceptDueAt: Date | null;
  answerDueAt: Date;
}

interface CaseSlaKey {
  categoryId: number | null;
  priority: CasePriority;
}

/** Both clocks run from receipt; the accept clock only starts once a unit is assigned. */
export function computeInitialDueDates(
  cal: WorkingCalendar,
  rules: SlaRule[],
  input: CaseSlaKey & { receivedAt: Date },
): CaseDueDates {
  return {
    triageDueAt: dueAfter(cal, requireRule(rules, 'triage', input), input.receivedAt),
    acceptDueAt: null,
    answerDueAt: dueAfter(cal, requireRule(rules, 'answer', input), input.receivedAt),
  };
}

export function computeAcceptDue(
  cal: WorkingCalendar,
  rules: SlaRule[],
  input: CaseSlaKey & { assignedAt: Date },
): Date {
  return dueAfter(cal, requireRule(rules, 'accept', input), input.assignedAt);
}

/**
 * awaiting_info stops the clock: the due date moves by exactly the working time that passed while the case
 * waited for the citizen, measured in working hours so a pause from 16:00 to 10:00 the next working day
 * costs 3.5 h, not a whole day. Time paused outside sessions (nights, weekends, Tết) costs nothing.
 */
export function shiftForPause(cal: WorkingCalendar, due: Date, pausedAt: Date, resumedAt: Date): Date {
  const pausedMs = workingMsBetween(cal, pausedAt, resumedAt);
  if (pausedMs < 0) throw new RangeError('resumedAt is before pausedAt');
  if (Number.isNaN(due.getTime())) throw new RangeError('Invalid due date');
  if (pausedMs === 0) return new Date(due.getTime());
  return addWorkingHours(cal, due, pausedMs / 3_600_000);
}

/**
 * The new unit gets a fresh accept window from the transfer. The answer due date is deliberately kept: the
 * legal limits count from receipt of the PAKN (ND 20/2008 Điều 9: transfer within 5 working days of receipt;
 * Luật Tiếp công dân 2013 Điều 28: reply within 10 working days of receipt), and the citizen's wait does not
 * restart because the city moved the case internally — otherwise passing a case between units would extend
 * its deadline without limit. More time needs an explicit, logged extension (extendDue).
 */
export function recomputeOnTransfer(
  cal: WorkingCalendar,
  rules: SlaRule[],
  input: CaseSlaKey & { transferredAt: Date },
): { acceptDueAt: Date } {
  return { acceptDueAt: dueAfter(cal, requireRule(rules, 'accept', input), input.transferredAt) };
}

/** An extension adds whole working days after the current due day and ends at that day's close. */
export function extendDue(cal: WorkingCalendar, currentDue: Date, extraWorkingDays: number): Date {
  if (!Number.isInteger(extraWorkingDays) || extraWorkingDays < 1) {
    throw new RangeError(`An extension needs at least one whole working day, got ${extraWorkingDays}`);
  }
  return addWorkingDays(cal, currentDue, extraWorkingDays);
}

export type SlaBadgeState = 'none' | 'ok' | 'due_soon' | 'overdue';

export interface SlaBadge {
  state: SlaBadgeState;
  text: string;
}

/**
 * Days are counted in working days between local days, so a case due Friday 17:30 seen on Monday morning is
 * "quá hạn 1 ngày làm việc" and one due Monday seen on Saturday is "còn 1 ngày làm việc". Past the due
 * instant but with no working day elapsed (the evening of the due day, or the weekend after) it is overdue
 * without a count. The due instant itself is still on time.
 */
export function slaBadge(cal: WorkingCalendar, due: Date | null, now: Date): SlaBadge {
  if (due === null) return { state: 'none', text: '' };
  if (now.getTime() > due.getTime()) {
    const late = workingDaysBetween(cal, due, now);
    return { state: 'overdue', text: late > 0 ? `quá hạn ${late} ngày làm việc` : 'đã quá hạn' };
  }
  if (localDay(now) === localDay(due)) return { state: 'due_soon', text: 'hạn hôm nay' };
  // A due date on a day off (only possible for hand-entered dates) leaves at least the next working day.
  const left = Math.max(1, workingDaysBetween(cal, now, due));
  return { state: left <= 1 ? 'due_soon' : 'ok', text: `còn ${left} ngày làm việc` };
}

function requireRule(rules: SlaRule[], step: SlaStep, key: CaseSlaKey): SlaRule {
  const rule = pickSlaRule(rules, step, key.categoryId, key.priority);
  if (!rule) throw new SlaRuleMissingError(step, key.categoryId, key.priority);
  return rule;
}

function assertUnreachable(value: never): never {
  throw new Error(`Unexpected SLA limit unit: ${String(value)}`);
}
