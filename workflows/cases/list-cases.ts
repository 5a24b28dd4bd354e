import { and, desc, eq, gte, inArray, lt, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { caseUnits, cases } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import { addWorkingDays, type WorkingCalendar } from '../calendar/working-calendar.js';
import type { Actor } from './actor.js';
import { CASE_STATUSES, type CaseStatus } from './case-status.js';
import type { CaseRow } from './case.repo.js';
import { buildSearchTerms, toContainsPattern } from './search-text.js';

/**
 * The console's queues: triage = the dispatcher's received cases; mine = assigned to me; unit = my unit leads
 * it; due_soon / overdue = by the due date of the step the case is in; pending_approval = the leader's queue.
 */
export const CASE_LIST_VIEWS = ['triage', 'mine', 'unit', 'due_soon', 'overdue', 'pending_approval'] as const;
export type CaseListView = (typeof CASE_LIST_VIEWS)[number];

const statusList = z.union([z.enum(CASE_STATUSES), z.array(z.enum(CASE_STATUSES))]);

/** Query-string friendly (coerced), so the console parses `req.query` with it directly. */
export const ZCaseListFilters = z.object({
  view: z.enum(CASE_LIST_VIEWS).optional(),
  status: statusList.optional(),
  categoryId: z.coerce.number().int().positive().optional(),
  areaUnitId: z.coerce.number().int().positive().optional(),
  contactKind: z.enum(['citizen', 'business']).optional(),
  /** received_at ≥ from */
  from: z.coerce.date().optional(),
  /** received_at < to */
  to: z.coerce.date().optional(),
  q: z.string().trim().max(200).optional(),
  /** Keyset pagination: the last id of the previous page (lists run newest first: by id, or by receipt with a period). */
  after: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});
export type CaseListFilters = z.infer<typeof ZCaseListFilters>;

export interface CaseListPage {
  items: CaseRow[];
  /** Pass as `after` for the next page; null on the last page. */
  nextAfter: number | null;
}

export const DEFAULT_PAGE_SIZE = 50;

/** "Due soon" = due by the end of the next working day, the same horizon as slaBadge's due_soon. */
export const DUE_SOON_WORKING_DAYS = 1;

/** Statuses whose clock is running: awaiting_info is paused, so it is neither due soon nor overdue. */
const RUNNING_STATUSES: CaseStatus[] = ['received', 'assigned', 'in_progress', 'pending_approval'];

/**
 * The due date of the step the case is in: received → triage (or the answer date if earlier), assigned →
 * accept (or answer), later → answer. LEAST ignores NULLs.
 */
export const currentDueAtSql = sql<Date | null>`(case ${cases.status}
  when 'received' then least(${cases.triageDueAt}, ${cases.answerDueAt})
  when 'assigned' then least(${cases.acceptDueAt}, ${cases.answerDueAt})
  else ${cases.answerDueAt} end)`;

/**
 * Cases the actor may see, filtered, newest first, one page at a time. The unit scope is part of the SQL
 * (never a filter applied after loading), so counts and pages cannot include other units' cases.
 */
export async function listCasesForActor(
  deps: { db: Db; clock: { now(): Date }; loadCalendar: () => Promise<WorkingCalendar> },
  actor: Actor,
  filters: CaseListFilters,
): Promise<CaseListPage> {
  const now = deps.clock.now();
  const limit = filters.limit ?? DEFAULT_PAGE_SIZE;
  const conditions: SQL[] = [];

  if (filters.view) conditions.push(await viewCondition(filters.view, actor, now, deps.loadCalendar));
  if (filters.status !== undefined) {
    const statuses = Array.isArray(filters.status) ? filters.status : [filters.status];
    conditions.push(statuses.length === 0 ? sql`false` : inArray(cases.status, statuses));
  }
  if (filters.categoryId !== undefined) conditions.push(eq(cases.categoryId, filters.categoryId));
  if (filters.areaUnitId !== undefined) conditions.push(eq(cases.areaUnitId, filters.areaUnitId));
  if (filters.contactKind !== undefined) conditions.push(eq(cases.contactKind, filters.contactKind));
  if (filters.from !== undefined) conditions.push(gte(cases.receivedAt, filters.from));
  if (filters.to !== undefined) conditions.push(lt(cases.receivedAt, filters.to));
  for (const term of buildSearchTerms(filters.q ?? '')) conditions.push(searchTermCondition(term));
  // With a period, the list runs in receipt order (then id) on cases_received_idx. In id order the planner
  // expects matches spread evenly over the ids and walks back from the newest case, so an old month meant
  // scanning every newer case first (~0.5 s at 1M cases). Ids are allocated in receipt order, so the two orders
  // agree in practice; the keyset cursor stays the last case's id either way.
  const byReceipt = filters.from !== undefined || filters.to !== undefined;
  if (filters.after !== undefined) {
    conditions.push(
      byReceipt
        ? sql`(${cases.receivedAt}, ${cases.id}) < (select cursor_case.received_at, cursor_case.id from ${cases} as cursor_case where cursor_case.id = ${filters.after})`
        : lt(cases.id, filters.after),
    );
  }

  // The unit view asks for the unit's own cases: co-handled ones cannot match it.
  const branches = scopeBranches(actor).filter((branch) => !(branch.coHandled && filters.view === 'unit'));
  const pages = await Promise.all(
    branches.map((branch) =>
      deps.db
        .select()
        .from(cases)
        .where(and(branch.condition, ...conditions))
        .orderBy(...(byReceipt ? [desc(cases.receivedAt), desc(cases.id)] : [desc(cases.id)]))
        .limit(limit + 1),
    ),
  );
  // The branches are disjoint (lead vs not lead), each sorted: their first limit + 1 rows hold the union's.
  const rows = pages.length === 1 ? pages[0]! : pages.flat().sort(byReceipt ? compareByReceiptDesc : compareByIdDesc).slice(0, limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextAfter: rows.length > limit && last ? last.id : null };
}

const compareByIdDesc = (a: CaseRow, b: CaseRow) => b.id - a.id;
const compareByReceiptDesc = (a: CaseRow, b: CaseRow) => b.receivedAt.getTime() - a.receivedAt.getTime() || b.id - a.id;

/**
 * "search_text contains the term". A term of several letter/digit runs (a case code "pa-2026-001234", a phone
 * "0912.345.678") goes to the trigram index (cases_search_trgm_idx) as its longest run and is checked whole with
 * strpos, which the index cannot use: LIKE on the whole code made the index intersect the posting lists of
 * "pa" and "2026", which most cases hold (~35 ms at 1M cases, against < 1 ms). Same rows either way: the run
 * is part of the term.
 */
function searchTermCondition(term: string): SQL {
  const runs = term.split(/[^\p{L}\p{N}]+/u).filter((run) => run.length > 0);
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), '');
  if (runs.length <= 1 || longest.length < 3) return sql`${cases.searchText} like ${toContainsPattern(term)} escape '!'`;
  return sql`(${cases.searchText} like ${toContainsPattern(longest)} escape '!' and strpos(${cases.searchText}, ${term}) > 0)`;
}

/**
 * The same rule as canActorSeeCase, in SQL, as one or two disjoint conditions whose rows together are the
 * actor's cases. A unit official's scope is "the unit leads it (responsible_unit_id) or co-handles it (a 'co'
 * row in case_units)"; as one condition with OR, the planner could only filter a scan of every case, which at
 * 1M cases made a ward leader's searches and filtered views take up to seconds. Asked separately, the lead part
 * is a plain column condition that combines with the other indexes (status, trigram search, receipt date) and
 * the co-handled part is a few hundred ids from case_units_unit_role_case_idx.
 */
function scopeBranches(actor: Actor): Array<{ condition: SQL; coHandled: boolean }> {
  switch (actor.type) {
    case 'system':
      return [{ condition: sql`true`, coHandled: false }];
    case 'citizen':
      return [{ condition: eq(cases.contactId, actor.contactId), coHandled: false }];
    case 'official': {
      if (actor.roles.includes('admin') || actor.roles.includes('dispatcher')) return [{ condition: sql`true`, coHandled: false }];
      if (actor.roles.length === 0) return [{ condition: sql`false`, coHandled: false }];
      return [
        { condition: eq(cases.responsibleUnitId, actor.unitId), coHandled: false },
        {
          condition: sql`${cases.id} in (select ${caseUnits.caseId} from ${caseUnits} where ${caseUnits.unitId} = ${actor.unitId} and ${caseUnits.role} = 'co')
            and ${cases.responsibleUnitId} is distinct from ${actor.unitId}`,
          coHandled: true,
        },
      ];
    }
  }
}

async function viewCondition(view: CaseListView, actor: Actor, now: Date, loadCalendar: () => Promise<WorkingCalendar>): Promise<SQL> {
  switch (view) {
    case 'triage':
      return eq(cases.status, 'received');
    case 'mine':
      if (actor.type === 'official') return eq(cases.assigneeId, actor.officialId);
      return actor.type === 'citizen' ? sql`true` : sql`false`;
    case 'unit':
      return actor.type === 'official' ? eq(cases.responsibleUnitId, actor.unitId) : sql`false`;
    case 'due_soon': {
      const horizon = addWorkingDays(await loadCalendar(), now, DUE_SOON_WORKING_DAYS);
      return and(inArray(cases.status, RUNNING_STATUSES), gte(currentDueAtSql, now), lte(currentDueAtSql, horizon)) as SQL;
    }
    case 'overdue':
      return and(inArray(cases.status, RUNNING_STATUSES), lt(currentDueAtSql, now)) as SQL;
    case 'pending_approval':
      return eq(cases.status, 'pending_approval');
  }
}
