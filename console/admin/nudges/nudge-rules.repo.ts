import { asc, eq, like } from 'drizzle-orm';
import { nudgeRules } from '../../../db/schema.js';
import type { Queryable } from '../../../runtime/db.js';

export type AdminNudgeRuleRow = typeof nudgeRules.$inferSelect;

const STEP_ORDER = { triage: 0, accept: 1, answer: 2, approval: 3 } as const;

/** Every rule, inactive ones included, in the order of a case's life: step, then from earliest to latest. */
export async function listNudgeRulesForAdmin(q: Queryable): Promise<AdminNudgeRuleRow[]> {
  const rows = await q.select().from(nudgeRules).orderBy(asc(nudgeRules.offsetWorkingDays), asc(nudgeRules.code));
  return rows.sort((a, b) => STEP_ORDER[a.step] - STEP_ORDER[b.step]);
}

export type NudgeRuleValues = Pick<AdminNudgeRuleRow, 'step' | 'offsetWorkingDays' | 'repeatDaily' | 'target' | 'active'>;

/**
 * A new code from what the rule does ("answer-before-3-assignee"), with -2, -3… when taken. The code is part
 * of every reminder's idempotency key (nudge:<case>:<rule>:<step>), so it never changes afterwards.
 */
export async function insertNudgeRule(q: Queryable, base: string, values: NudgeRuleValues): Promise<AdminNudgeRuleRow> {
  const taken = new Set((await q.select({ code: nudgeRules.code }).from(nudgeRules).where(like(nudgeRules.code, `${base}%`))).map((r) => r.code));
  let code = base;
  for (let n = 2; taken.has(code); n++) code = `${base}-${n}`;
  const [row] = await q.insert(nudgeRules).values({ ...values, code }).returning();
  if (!row) throw new Error('nudge rule insert returned nothing');
  return row;
}

export async function updateNudgeRule(q: Queryable, id: number, values: NudgeRuleValues): Promise<AdminNudgeRuleRow | undefined> {
  const [row] = await q.update(nudgeRules).set(values).where(eq(nudgeRules.id, id)).returning();
  return row;
}
