import type { SlaStep } from '../sla/sla-rules.js';
import type { NudgeRule, NudgeTarget } from './nudge-rules.js';

/**
 * Nudge rules as an admin edits them. `offsetWorkingDays` is one signed number in the table (see
 * nudge-rules.ts); people think of it as "n working days before", "on the due day" or "once overdue", so the
 * console edits it as a timing plus a count and this file converts both ways and checks the combination.
 */

export const NUDGE_TIMINGS = ['before', 'due_day', 'overdue'] as const;
export type NudgeTiming = (typeof NUDGE_TIMINGS)[number];

/** Reminders further ahead than a month of working days are planning, not nudging. */
export const MAX_DAYS_BEFORE = 20;
export const MAX_DAYS_OVERDUE = 30;

export function toOffsetWorkingDays(timing: NudgeTiming, days: number): number {
  switch (timing) {
    case 'before':
      return -days;
    case 'due_day':
      return 0;
    case 'overdue':
      return days;
  }
}

/** The inverse: "overdue 1" is as soon as the due instant has passed, "overdue k" the morning of the k-th working day. */
export function fromOffsetWorkingDays(offset: number): { timing: NudgeTiming; days: number } {
  if (offset < 0) return { timing: 'before', days: -offset };
  if (offset === 0) return { timing: 'due_day', days: 0 };
  return { timing: 'overdue', days: offset };
}

export const NUDGE_RULE_PROBLEMS = ['days_out_of_range', 'repeat_needs_overdue', 'triage_is_dispatchers', 'duplicate'] as const;
export type NudgeRuleProblemCode = (typeof NUDGE_RULE_PROBLEMS)[number];

export interface NudgeRuleProblem {
  code: NudgeRuleProblemCode;
  /** For a duplicate: the code of the rule that already does the same. */
  otherCode?: string;
}

export interface NudgeRuleDraft {
  step: SlaStep;
  offsetWorkingDays: number;
  repeatDaily: boolean;
  target: NudgeTarget;
  active: boolean;
}

/**
 * The first reason a rule cannot be saved, or null. `others` are the other rows of the table (the rule being
 * edited excluded): two active rules that remind the same people of the same step on the same day would send
 * every message twice.
 */
export function findNudgeRuleProblem(rule: NudgeRuleDraft, others: readonly Pick<NudgeRule, 'code' | 'step' | 'offsetWorkingDays' | 'target' | 'active'>[]): NudgeRuleProblem | null {
  const { timing, days } = fromOffsetWorkingDays(rule.offsetWorkingDays);
  if ((timing === 'before' && days > MAX_DAYS_BEFORE) || (timing === 'overdue' && days > MAX_DAYS_OVERDUE)) return { code: 'days_out_of_range' };
  // plan-nudges only repeats once the step is overdue; a repeating "2 days before" would silently send once.
  if (rule.repeatDaily && timing !== 'overdue') return { code: 'repeat_needs_overdue' };
  // A case waiting for triage has no unit and no handler yet: only the dispatchers can be reminded.
  if (rule.step === 'triage' && rule.target !== 'dispatcher') return { code: 'triage_is_dispatchers' };
  if (rule.active) {
    const twin = others.find((o) => o.active && o.step === rule.step && o.offsetWorkingDays === rule.offsetWorkingDays && o.target === rule.target);
    if (twin) return { code: 'duplicate', otherCode: twin.code };
  }
  return null;
}

export function nudgeRuleProblemMessage(problem: NudgeRuleProblem): string {
  switch (problem.code) {
    case 'days_out_of_range':
      return `Số ngày làm việc phải từ 1 đến ${MAX_DAYS_BEFORE} (trước hạn) hoặc từ 1 đến ${MAX_DAYS_OVERDUE} (sau hạn).`;
    case 'repeat_needs_overdue':
      return 'Chỉ nhắc lặp lại hằng ngày khi đã quá hạn. Vui lòng bỏ chọn "nhắc lại mỗi sáng" hoặc chọn thời điểm "quá hạn".';
    case 'triage_is_dispatchers':
      return 'Phản ánh chờ phân loại chưa có đơn vị, cán bộ xử lý: bước phân loại chỉ nhắc được Văn phòng (bộ phận điều phối).';
    case 'duplicate':
      return `Đã có quy tắc đang áp dụng nhắc cùng người, cùng bước, cùng thời điểm (mã ${problem.otherCode ?? ''}). Mỗi nhắc nhở sẽ bị gửi hai lần.`;
    default:
      return assertUnreachable(problem.code);
  }
}

function assertUnreachable(value: never): never {
  throw new Error(`Unexpected nudge rule problem: ${String(value)}`);
}
