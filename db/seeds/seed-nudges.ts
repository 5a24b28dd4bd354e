import type { Db } from '../../runtime/db.js';
import { nudgeRules } from '../schema.js';

type NudgeRuleSeed = Omit<typeof nudgeRules.$inferInsert, 'id'>;
type Step = NudgeRuleSeed['step'];
type Target = NudgeRuleSeed['target'];

/** Working days overdue after which the dispatchers hear about a case (ARCHITECTURE.md §3: product default). */
export const DEFAULT_ESCALATION_WORKING_DAYS = 2;

/**
 * Who is reminded for each step of a case: triage is the dispatchers' job, accepting and approving the unit
 * leaders', answering the assigned handler's (with the leader told once it is late).
 */
const STEP_OWNERS: Array<{ step: Step; owner: Target; escalateToLeader: boolean; escalateToDispatchers: boolean }> = [
  { step: 'triage', owner: 'dispatcher', escalateToLeader: false, escalateToDispatchers: false },
  { step: 'accept', owner: 'unit_leader', escalateToLeader: false, escalateToDispatchers: true },
  { step: 'answer', owner: 'assignee', escalateToLeader: true, escalateToDispatchers: true },
  { step: 'approval', owner: 'unit_leader', escalateToLeader: false, escalateToDispatchers: true },
];

/**
 * The product's default reminders, as rows an admin may edit (offset: negative = working days before the due
 * day, 0 = the due day's morning, 1 = as soon as it is overdue, k > 1 = the k-th working day overdue).
 * Before the due date: 2 and 1 working days ahead and the morning of the due day; once overdue: at once
 * and every working morning; escalation to the unit leader at once and to the dispatchers after
 * DEFAULT_ESCALATION_WORKING_DAYS.
 */
export const DEFAULT_NUDGE_RULES: NudgeRuleSeed[] = STEP_OWNERS.flatMap(({ step, owner, escalateToLeader, escalateToDispatchers }) => [
  { code: `${step}-before-2`, step, offsetWorkingDays: -2, repeatDaily: false, target: owner, active: true },
  { code: `${step}-before-1`, step, offsetWorkingDays: -1, repeatDaily: false, target: owner, active: true },
  { code: `${step}-due-today`, step, offsetWorkingDays: 0, repeatDaily: false, target: owner, active: true },
  { code: `${step}-overdue`, step, offsetWorkingDays: 1, repeatDaily: true, target: owner, active: true },
  ...(escalateToLeader
    ? [{ code: `${step}-escalate-leader`, step, offsetWorkingDays: 1, repeatDaily: false, target: 'unit_leader' as const, active: true }]
    : []),
  ...(escalateToDispatchers
    ? [
        {
          code: `${step}-escalate-dispatchers`,
          step,
          offsetWorkingDays: DEFAULT_ESCALATION_WORKING_DAYS,
          repeatDaily: false,
          target: 'dispatcher' as const,
          active: true,
        },
      ]
    : []),
]);

/** Inserts the default rules once per code: an admin's edits (offsets, targets, active) survive restarts. */
export async function seedNudgeRules(db: Db): Promise<void> {
  await db.insert(nudgeRules).values(DEFAULT_NUDGE_RULES).onConflictDoNothing({ target: nudgeRules.code });
}
