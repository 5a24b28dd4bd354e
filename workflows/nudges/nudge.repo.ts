import { and, eq, inArray, lte, max, or, sql } from 'drizzle-orm';
import { caseEvents, cases, officials, outbox, units } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import type { NudgeCase } from './plan-nudges.js';

const caseColumns = {
  id: cases.id,
  code: cases.code,
  status: cases.status,
  responsibleUnitId: cases.responsibleUnitId,
  assigneeId: cases.assigneeId,
  receivedAt: cases.receivedAt,
  triageDueAt: cases.triageDueAt,
  acceptDueAt: cases.acceptDueAt,
  answerDueAt: cases.answerDueAt,
  description: cases.description,
};

export type DueCaseRow = { [K in keyof typeof caseColumns]: (typeof cases.$inferSelect)[K] };

/** A guard against a runaway backlog: one sweep never loads more than this many cases per query. */
export const MAX_DUE_CASES_PER_QUERY = 20_000;

/**
 * Open cases whose current step is due by `upper` (overdue ones included). Three range scans, each on a
 * partial index of db/schema.ts whose predicate is repeated here literally so the planner can prove it:
 * the cost follows the number of open cases near or past their dates, not the size of the table.
 */
export function buildDueCaseQueries(q: Queryable, upper: Date) {
  return [
    q
      .select(caseColumns)
      .from(cases)
      .where(and(sql`${cases.status} in ('received', 'assigned', 'in_progress', 'pending_approval')`, lte(cases.answerDueAt, upper)))
      .limit(MAX_DUE_CASES_PER_QUERY),
    q
      .select(caseColumns)
      .from(cases)
      .where(and(sql`${cases.status} = 'received'`, lte(cases.triageDueAt, upper)))
      .limit(MAX_DUE_CASES_PER_QUERY),
    q
      .select(caseColumns)
      .from(cases)
      .where(and(sql`${cases.status} = 'assigned'`, lte(cases.acceptDueAt, upper)))
      .limit(MAX_DUE_CASES_PER_QUERY),
  ] as const;
}

export async function findCasesDueBy(q: Queryable, upper: Date): Promise<DueCaseRow[]> {
  const byId = new Map<number, DueCaseRow>();
  // One after another: inside a transaction pg does not queue concurrent queries on its one connection.
  for (const query of buildDueCaseQueries(q, upper)) {
    for (const row of await query) byId.set(row.id, row);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * When each case entered its current status: the latest event that changed the status to the current one,
 * or a transfer (a new unit starts the accept step over without a status change). Notes and drafts kept
 * in the same status do not count.
 */
export async function loadStepStarts(q: Queryable, caseIds: readonly number[]): Promise<Map<number, Date>> {
  if (caseIds.length === 0) return new Map();
  const rows = await q
    .select({ caseId: caseEvents.caseId, startedAt: max(caseEvents.at) })
    .from(caseEvents)
    .innerJoin(cases, eq(cases.id, caseEvents.caseId))
    .where(
      and(
        inArray(caseEvents.caseId, [...caseIds]),
        eq(caseEvents.toStatus, cases.status),
        or(sql`${caseEvents.fromStatus} is distinct from ${caseEvents.toStatus}`, eq(caseEvents.action, 'transferred')),
      ),
    )
    .groupBy(caseEvents.caseId);
  return new Map(rows.flatMap((r) => (r.startedAt ? [[r.caseId, r.startedAt] as const] : [])));
}

export async function loadUnitNames(q: Queryable, ids: readonly number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  // Full names: "Phường Hoàn Kiếm", not the bare "Hoàn Kiếm" of a ward's short name.
  const rows = await q.select({ id: units.id, name: units.fullName }).from(units).where(inArray(units.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function loadOfficialNames(q: Queryable, ids: readonly number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await q.select({ id: officials.id, name: officials.fullName }).from(officials).where(inArray(officials.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}

function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The rows as the planner reads them, with when each entered its step; names are added by describeNudgeCases. */
export async function loadNudgeCases(q: Queryable, rows: readonly DueCaseRow[]): Promise<NudgeCase[]> {
  const starts = await loadStepStarts(
    q,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    code: r.code,
    status: r.status,
    responsibleUnitId: r.responsibleUnitId,
    assigneeId: r.assigneeId,
    receivedAt: r.receivedAt,
    triageDueAt: r.triageDueAt,
    acceptDueAt: r.acceptDueAt,
    answerDueAt: r.answerDueAt,
    stepStartedAt: starts.get(r.id) ?? null,
    details: { excerpt: excerpt(r.description, 160) },
  }));
}

/** Adds the unit and handler names a message shows; only called for the few cases with something to send. */
export async function describeNudgeCases(q: Queryable, list: readonly NudgeCase[]): Promise<NudgeCase[]> {
  const unitNames = await loadUnitNames(
    q,
    list.flatMap((c) => (c.responsibleUnitId === null ? [] : [c.responsibleUnitId])),
  );
  const officialNames = await loadOfficialNames(
    q,
    list.flatMap((c) => (c.assigneeId === null ? [] : [c.assigneeId])),
  );
  return list.map((c) => ({
    ...c,
    details: {
      ...c.details,
      unitName: c.responsibleUnitId === null ? null : (unitNames.get(c.responsibleUnitId) ?? null),
      assigneeName: c.assigneeId === null ? null : (officialNames.get(c.assigneeId) ?? null),
    },
  }));
}

/** Which of these outbox keys exist already: lets a sweep skip work done instead of bumping into the unique key. */
export async function findExistingOutboxKeys(q: Queryable, keys: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const rows = await q.select({ key: outbox.key }).from(outbox).where(inArray(outbox.key, chunk));
    for (const r of rows) found.add(r.key);
  }
  return found;
}
