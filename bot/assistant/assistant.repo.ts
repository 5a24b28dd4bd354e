import { and, asc, count, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { cases, categories, officials, reportObligations, units } from '../../db/schema.js';
import type { Tx } from '../../runtime/db.js';
import type { OfficialActor } from '../../workflows/cases/actor.js';
import { OPEN_STATUSES } from '../../workflows/cases/case-status.js';
import { currentDueAtSql } from '../../workflows/cases/list-cases.js';
import { loadCaseView, type CaseRow, type CaseView } from '../../workflows/cases/case.repo.js';

export interface AssistantOfficial {
  id: number;
  login: string;
  fullName: string;
  unitId: number;
  unitName: string;
  actor: OfficialActor;
}

export async function loadAssistantOfficial(tx: Tx, officialId: number): Promise<AssistantOfficial | undefined> {
  const [row] = await tx
    .select({ id: officials.id, login: officials.login, fullName: officials.fullName, unitId: officials.unitId, roles: officials.roles, unitName: units.fullName })
    .from(officials)
    .innerJoin(units, eq(units.id, officials.unitId))
    .where(and(eq(officials.id, officialId), eq(officials.active, true)));
  if (!row) return undefined;
  return {
    id: row.id,
    login: row.login,
    fullName: row.fullName,
    unitId: row.unitId,
    unitName: row.unitName,
    actor: { type: 'official', officialId: row.id, unitId: row.unitId, roles: row.roles },
  };
}

/**
 * "My work": cases assigned to me, plus what waits for my role — a leader's unit cases to accept or approve, a
 * dispatcher's triage queue. Open ones only, earliest current due date first (paused ones last).
 */
function myWorkCondition(o: AssistantOfficial): SQL {
  const mine: SQL[] = [eq(cases.assigneeId, o.id)];
  if (o.actor.roles.includes('unit_leader')) {
    mine.push(and(eq(cases.responsibleUnitId, o.unitId), inArray(cases.status, ['assigned', 'pending_approval'])) as SQL);
  }
  if (o.actor.roles.includes('dispatcher')) mine.push(eq(cases.status, 'received'));
  return and(inArray(cases.status, [...OPEN_STATUSES]), or(...mine)) as SQL;
}

export async function listMyOpenCases(tx: Tx, o: AssistantOfficial, limit: number): Promise<{ rows: CaseRow[]; total: number }> {
  const condition = myWorkCondition(o);
  const rows = await tx
    .select()
    .from(cases)
    .where(condition)
    .orderBy(sql`case when ${cases.status} = 'awaiting_info' then 1 else 0 end`, sql`${currentDueAtSql} asc nulls last`, asc(cases.id))
    .limit(limit);
  const [total] = await tx.select({ n: count() }).from(cases).where(condition);
  return { rows, total: total?.n ?? rows.length };
}

export interface CaseDetails {
  view: CaseView;
  categoryName: string | null;
  unitName: string | null;
  assigneeName: string | null;
}

export async function findCaseByCode(tx: Tx, code: string): Promise<CaseDetails | undefined> {
  const [row] = await tx.select({ id: cases.id }).from(cases).where(eq(cases.code, code));
  if (!row) return undefined;
  const view = await loadCaseView(tx, row.id);
  if (!view) return undefined;
  const [category] = view.categoryId === null ? [] : await tx.select({ name: categories.name }).from(categories).where(eq(categories.id, view.categoryId));
  const [unit] = view.responsibleUnitId === null ? [] : await tx.select({ name: units.fullName }).from(units).where(eq(units.id, view.responsibleUnitId));
  const [assignee] = view.assigneeId === null ? [] : await tx.select({ name: officials.fullName }).from(officials).where(eq(officials.id, view.assigneeId));
  return { view, categoryName: category?.name ?? null, unitName: unit?.name ?? null, assigneeName: assignee?.name ?? null };
}

/** The earliest period of a regime my unit still owes whose data window has begun: what "đã nộp" refers to. */
export async function findOldestOwedPeriod(tx: Tx, regimeId: number, unitId: number, today: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ periodKey: reportObligations.periodKey })
    .from(reportObligations)
    .where(
      and(
        eq(reportObligations.regimeId, regimeId),
        eq(reportObligations.unitId, unitId),
        inArray(reportObligations.status, ['chua_nop', 'tra_lai']),
        sql`${reportObligations.periodStart} <= ${today}`,
      ),
    )
    .orderBy(asc(reportObligations.dueAt))
    .limit(1);
  return row?.periodKey;
}
