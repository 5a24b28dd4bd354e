import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Queryable } from '../../runtime/db.js';

/**
 * "Case N changed": a PostgreSQL NOTIFY sent inside the transaction that writes the change, so it reaches the
 * listeners (the console's live updates, in every web process) only when that transaction commits, and never
 * for a change that was rolled back. The payload names the case and nothing else a person wrote: whoever
 * listens reads the case again and decides who may see what.
 */
export const CASE_CHANGES_CHANNEL = 'pakn_case_changes';

/** created: a new case; changed: a command ran (case_events row); message: a message joined its timeline. */
export const CASE_CHANGE_KINDS = ['created', 'changed', 'message'] as const;
export type CaseChangeKind = (typeof CASE_CHANGE_KINDS)[number];

export const ZCaseChangeSignal = z.object({
  caseId: z.number().int().positive(),
  kind: z.enum(CASE_CHANGE_KINDS),
  /**
   * The units on the case (lead and co-handling) before the change, when it may have moved the case between
   * units: their officials are told that a case they had has left them. Absent when the change kept the units.
   */
  previousUnitIds: z.array(z.number().int().positive()).max(50).optional(),
});
export type TCaseChangeSignal = z.infer<typeof ZCaseChangeSignal>;

/** Call inside the transaction that writes the change (a savepoint is fine: the outer commit delivers it). */
export async function signalCaseChange(q: Queryable, signal: TCaseChangeSignal): Promise<void> {
  const payload = JSON.stringify(ZCaseChangeSignal.parse(signal));
  await q.execute(sql`select pg_notify(${CASE_CHANGES_CHANNEL}, ${payload})`);
}

/** The signal of a NOTIFY payload, or null for anything else on the channel. */
export function parseCaseChangeSignal(payload: string): TCaseChangeSignal | null {
  try {
    const parsed = ZCaseChangeSignal.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
