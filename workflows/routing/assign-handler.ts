import { and, eq, inArray, sql } from 'drizzle-orm';
import { cases, officials, units } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import type { Role } from '../cases/actor.js';
import { HANDLER_LOAD_STATUSES } from '../cases/case-status.js';

export type AssignmentStrategy = 'round_robin' | 'least_open';

export interface HandlerCandidate {
  id: number;
  roles: readonly Role[];
  active: boolean;
  /** 'YYYY-MM-DD' (local): on leave through this day. */
  onLeaveUntil: string | null;
  lastAssignedAt: Date | null;
  /** Cases in in_progress / awaiting_info / pending_approval assigned to them. */
  openCases: number;
}

/** Active officials with the handler role who are not on leave today ('YYYY-MM-DD', local). */
export function filterAvailableHandlers(candidates: readonly HandlerCandidate[], today: string): HandlerCandidate[] {
  return candidates.filter(
    (c) => c.active && c.roles.includes('handler') && (c.onLeaveUntil === null || c.onLeaveUntil < today),
  );
}

/**
 * The unit's assignment rule (units.assignment_strategy), pure:
 * - round_robin: whoever was assigned longest ago (never assigned first), so the unit's handlers take turns;
 * - least_open: fewest open cases, then longest since the last assignment.
 * Ties end on the lower id, so the same data always gives the same handler. null when nobody is available.
 */
export function pickHandler(strategy: AssignmentStrategy, candidates: readonly HandlerCandidate[], today: string): number | null {
  const available = filterAvailableHandlers(candidates, today);
  const byLastAssigned = (a: HandlerCandidate, b: HandlerCandidate) =>
    (a.lastAssignedAt?.getTime() ?? Number.NEGATIVE_INFINITY) - (b.lastAssignedAt?.getTime() ?? Number.NEGATIVE_INFINITY);
  const sorted = [...available].sort((a, b) => {
    const primary = strategy === 'least_open' ? a.openCases - b.openCases : 0;
    return primary || byLastAssigned(a, b) || a.id - b.id;
  });
  return sorted[0]?.id ?? null;
}

/**
 * The unit's officials with their open-case counts. `lock` takes row locks on them, so two accepts in the
 * same unit running at once queue up instead of both picking the same "next" handler.
 */
export async function loadHandlerCandidates(q: Queryable, unitId: number, options: { lock?: boolean } = {}): Promise<HandlerCandidate[]> {
  const base = q
    .select({
      id: officials.id,
      roles: officials.roles,
      active: officials.active,
      onLeaveUntil: officials.onLeaveUntil,
      lastAssignedAt: officials.lastAssignedAt,
    })
    .from(officials)
    .where(eq(officials.unitId, unitId))
    .orderBy(officials.id);
  const rows = options.lock ? await base.for('update') : await base;
  if (rows.length === 0) return [];
  const loads = await q
    .select({ assigneeId: cases.assigneeId, count: sql<number>`count(*)::int` })
    .from(cases)
    .where(and(inArray(cases.assigneeId, rows.map((r) => r.id)), inArray(cases.status, [...HANDLER_LOAD_STATUSES])))
    .groupBy(cases.assigneeId);
  const loadById = new Map(loads.map((l) => [l.assigneeId, Number(l.count)]));
  return rows.map((r) => ({ ...r, openCases: loadById.get(r.id) ?? 0 }));
}

/** Round robin reads this: every assignment, automatic or by hand, moves the official to the back of the line. */
export async function recordAssignment(q: Queryable, officialId: number, at: Date): Promise<void> {
  await q.update(officials).set({ lastAssignedAt: at }).where(eq(officials.id, officialId));
}

/**
 * The handler the unit's own rule picks, with the unit's officials locked until the caller's transaction
 * ends. null when nobody is available (all inactive or on leave): the leader then names someone.
 */
export async function pickHandlerForUnit(q: Queryable, unitId: number, today: string): Promise<number | null> {
  const [unit] = await q.select({ strategy: units.assignmentStrategy }).from(units).where(eq(units.id, unitId));
  const candidates = await loadHandlerCandidates(q, unitId, { lock: true });
  return pickHandler(unit?.strategy ?? 'least_open', candidates, today);
}
