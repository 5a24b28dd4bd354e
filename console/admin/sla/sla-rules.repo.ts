import { asc, eq } from 'drizzle-orm';
import { slaRules } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';

export type AdminSlaRuleRow = typeof slaRules.$inferSelect;

export async function listSlaRulesForAdmin(db: Db): Promise<AdminSlaRuleRow[]> {
  return db.select().from(slaRules).orderBy(asc(slaRules.step), asc(slaRules.code));
}

export interface SlaRuleValues {
  limitValue: number;
  limitUnit: 'working_days' | 'working_hours';
  legalSource: string;
  active: boolean;
}

/** Applies to cases received (or steps started) from now on: stored due dates are facts and stay. */
export async function updateSlaRule(db: Db, ruleId: number, values: SlaRuleValues): Promise<boolean> {
  const rows = await db.update(slaRules).set(values).where(eq(slaRules.id, ruleId)).returning({ id: slaRules.id });
  return rows.length > 0;
}
