import { and, lte, sql, type SQL } from 'drizzle-orm';
import { cases, officials, outbox, units } from '../../db/schema.js';
import { queryRows, type Db, type Queryable } from '../../runtime/db.js';
import type { NudgeCase } from './plan-nudges.js';
import { excerpt } from '../text/excerpt.js';

/**
 * When the case entered its current step: its latest event that changed the status to the current one, or a
 * transfer (a new unit starts the accept step over without a status change). Notes and drafts kept in the same
 * status do not count. The predicate repeats case_events_step_start_idx's literally, so each case costs one
 * backward step in that index (no heap visit), inside the same statement as the case row: both are read from
 * one snapshot, never a status from before a change with a start from after it. The outer columns are
 * qualified by hand: drizzle leaves them bare in a one-table select, and a bare "id" here would be the event's.
 */
const stepStartedAt = sql<Date | null>`(
  select max(e.at) from case_events e
  where e.case_id = cases.id and e.to_status = cases.status
    and (e.from_status is distinct from e.to_status or e.action = 'transferred'))`.mapWith(cases.receivedAt);

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
  stepStartedAt,
};

export type DueCaseRow = { [K in Exclude<keyof typeof caseColumns, 'stepStartedAt'>]: (typeof cases.$inferSelect)[K] } & { stepStartedAt: Date | null };

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
  const lists: DueCaseRow[][] = [];
  // One after another: a transaction has one connection, and pg refuses to queue queries on it.
  for (const query of buildDueCaseQueries(q, upper)) lists.push(await query);
  return mergeDueCases(lists);
}

/** findCasesDueBy for the sweep, which holds the pool: the three scans run side by side. */
export async function findCasesDueByInParallel(db: Db, upper: Date): Promise<DueCaseRow[]> {
  return mergeDueCases(await Promise.all(buildDueCaseQueries(db, upper)));
}

function mergeDueCases(lists: readonly DueCaseRow[][]): DueCaseRow[] {
  const byId = new Map<number, DueCaseRow>();
  for (const rows of lists) for (const row of rows) byId.set(row.id, row);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * A morning sweep's big steps (which keys exist, the cases' texts, the insert) handle ~10,000 items each; split
 * over two pooled connections the server works them on two cores, and the process prepares one part while the
 * server runs the other. Below SPLIT_MIN_ITEMS a second statement costs more than it saves.
 */
const PARALLEL_STATEMENTS = 2;
const SPLIT_MIN_ITEMS = 2_000;

/** `items` in PARALLEL_STATEMENTS consecutive parts, or in one when there are few. */
export function splitForParallelStatements<T>(items: readonly T[]): T[][] {
  const parts = items.length < SPLIT_MIN_ITEMS ? 1 : PARALLEL_STATEMENTS;
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * size, (i + 1) * size));
}

async function loadDescriptions(q: Queryable, ids: readonly number[]): Promise<Array<[number, string]>> {
  // A join on the unnested ids probes the primary key once per case, without sorting the array first.
  const rows = await queryRows<{ id: number | string; description: string }>(
    q,
    sql`select c.id, c.description from unnest(${sql.param([...ids])}::bigint[]) as k(id) join ${cases} c on c.id = k.id`,
  );
  return rows.map((r) => [Number(r.id), r.description]);
}

async function loadUnitNames(q: Queryable, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  // Full names: "Phường Hoàn Kiếm", not the bare "Hoàn Kiếm" of a ward's short name.
  const rows = await q
    .select({ id: units.id, name: units.fullName })
    .from(units)
    .where(sql`${units.id} = any(${sql.param([...ids])}::int[])`);
  return new Map(rows.map((r) => [r.id, r.name]));
}

async function loadOfficialNames(q: Queryable, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await q
    .select({ id: officials.id, name: officials.fullName })
    .from(officials)
    .where(sql`${officials.id} = any(${sql.param([...ids])}::int[])`);
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * The cases with the excerpt, unit and handler names their messages show, for the cases with something new to
 * send; the names are those of the ids the reminders were planned with. On the pool: the reads run side by side.
 */
export async function loadNudgeDetails(db: Db, list: readonly NudgeCase[]): Promise<Map<NudgeCase, NudgeCase>> {
  if (list.length === 0) return new Map();
  const unitIds = [...new Set(list.flatMap((c) => (c.responsibleUnitId === null ? [] : [c.responsibleUnitId])))];
  const officialIds = [...new Set(list.flatMap((c) => (c.assigneeId === null ? [] : [c.assigneeId])))];
  const [descriptions, unitNames, officialNames] = await Promise.all([
    Promise.all(splitForParallelStatements(list.map((c) => c.id)).map((ids) => loadDescriptions(db, ids))),
    loadUnitNames(db, unitIds),
    loadOfficialNames(db, officialIds),
  ]);
  const text = new Map(descriptions.flat());
  return new Map(
    list.map((c) => [
      c,
      {
        ...c,
        details: {
          ...c.details,
          excerpt: excerpt(text.get(c.id) ?? '', 160),
          unitName: c.responsibleUnitId === null ? null : (unitNames.get(c.responsibleUnitId) ?? null),
          assigneeName: c.assigneeId === null ? null : (officialNames.get(c.assigneeId) ?? null),
        },
      },
    ]),
  );
}

/**
 * Which of the keys are in the outbox, as the 1-based positions of those found: one array parameter and one
 * round trip however many keys, and one probe of outbox_key_uq per key, forced by the LATERAL … LIMIT 1 whatever
 * the statistics say. (`key = any($1)` and `exists` let the planner hash the whole outbox when it looks small,
 * as it does right after a cleanup, and are slower even on the index.)
 */
export function buildExistingOutboxKeysQuery(keys: readonly string[]): SQL {
  return sql`select k.i from unnest(${sql.param([...keys])}::text[]) with ordinality as k(key, i)
    cross join lateral (select 1 from ${outbox} o where o.key = k.key limit 1) as found`;
}

/** Which of these outbox keys exist already: lets a sweep skip work done instead of bumping into the unique key. */
export async function findExistingOutboxKeys(q: Queryable, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await queryRows<{ i: number | string }>(q, buildExistingOutboxKeysQuery(keys));
  return new Set(rows.map((r) => keys[Number(r.i) - 1]!));
}
