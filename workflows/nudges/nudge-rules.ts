import { asc, eq } from 'drizzle-orm';
import { nudgeRules } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import type { SlaStep } from '../sla/sla-rules.js';

export type NudgeTarget = 'assignee' | 'unit_leader' | 'dispatcher';

/**
 * One row of `nudge_rules`. offsetWorkingDays: negative = that many working days before the due day (in the
 * morning), 0 = the morning of the due day, 1 = as soon as the due instant has passed, k > 1 = the morning of
 * the k-th working day after the due day (when the SLA badge reads "quá hạn k ngày làm việc").
 */
export interface NudgeRule {
  code: string;
  step: SlaStep;
  offsetWorkingDays: number;
  /** Only meaningful once overdue: the reminder comes back every working morning while the step lasts. */
  repeatDaily: boolean;
  target: NudgeTarget;
  active: boolean;
}

/** The person whose job the step is; a rule aimed at anyone else is an escalation. */
export const STEP_OWNER: Record<SlaStep, NudgeTarget> = {
  triage: 'dispatcher',
  accept: 'unit_leader',
  answer: 'assignee',
  approval: 'unit_leader',
};

/** Template names under templates/zalo/ and templates/email/. */
export const NUDGE_TEMPLATES = {
  upcoming: 'nudge-upcoming',
  dueToday: 'nudge-due-today',
  overdue: 'nudge-overdue',
  escalation: 'nudge-escalation',
} as const;

export type NudgeTemplate = (typeof NUDGE_TEMPLATES)[keyof typeof NUDGE_TEMPLATES];

export function pickNudgeTemplate(rule: Pick<NudgeRule, 'step' | 'offsetWorkingDays' | 'target'>): NudgeTemplate {
  if (rule.offsetWorkingDays < 0) return NUDGE_TEMPLATES.upcoming;
  if (rule.offsetWorkingDays === 0) return NUDGE_TEMPLATES.dueToday;
  return rule.target === STEP_OWNER[rule.step] ? NUDGE_TEMPLATES.overdue : NUDGE_TEMPLATES.escalation;
}

/** What officials read for each step ("hạn … {{stepLabel}}"). */
export const NUDGE_STEP_LABELS: Record<SlaStep, string> = {
  triage: 'phân loại, chuyển xử lý',
  accept: 'tiếp nhận',
  answer: 'trả lời',
  approval: 'duyệt trả lời',
};

export async function loadNudgeRules(q: Queryable): Promise<NudgeRule[]> {
  return q.select().from(nudgeRules).where(eq(nudgeRules.active, true)).orderBy(asc(nudgeRules.code));
}
