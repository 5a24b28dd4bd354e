import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { caseEvents, caseUnits, categories, cases, contacts, officials, units } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import type { CaseEventDraft, CaseState, CategoryInfo, MergeTargetInfo, MergedCaseInfo, OfficialInfo, UnitInfo } from './case-state.js';

export type CaseRow = typeof cases.$inferSelect;
/** A case as the console and bot read it: the row plus its co-handling units. */
export type CaseView = CaseRow & { coUnitIds: number[] };

export function toCaseState(row: CaseRow, coUnitIds: number[]): CaseState {
  return {
    id: row.id,
    code: row.code,
    status: row.status,
    version: row.version,
    channel: row.channel,
    contactId: row.contactId,
    contactKind: row.contactKind,
    categoryId: row.categoryId,
    priority: row.priority,
    description: row.description,
    address: row.address,
    areaUnitId: row.areaUnitId,
    responsibleUnitId: row.responsibleUnitId,
    coUnitIds,
    assigneeId: row.assigneeId,
    mergedIntoId: row.mergedIntoId,
    refusalReason: row.refusalReason,
    receivedAt: row.receivedAt,
    triageDueAt: row.triageDueAt,
    acceptDueAt: row.acceptDueAt,
    answerDueAt: row.answerDueAt,
    pausedAt: row.pausedAt,
    extensionCount: row.extensionCount,
    answerText: row.answerText,
    answerDraftedBy: row.answerDraftedBy,
    answerApprovedBy: row.answerApprovedBy,
    answeredAt: row.answeredAt,
    answeredOnTime: row.answeredOnTime,
    closedAt: row.closedAt,
    rating: row.rating,
    reopenCount: row.reopenCount,
    publishedAt: row.publishedAt,
    publicTitle: row.publicTitle,
    publicQuestion: row.publicQuestion,
    publicAnswer: row.publicAnswer,
  };
}

/** `lock` = SELECT … FOR UPDATE: the command holds the row until its transaction ends. */
export async function findCaseRow(q: Queryable, caseId: number, options: { lock?: boolean } = {}): Promise<CaseRow | undefined> {
  const query = q.select().from(cases).where(eq(cases.id, caseId));
  const [row] = options.lock ? await query.for('update') : await query;
  return row;
}

export async function loadCoUnitIds(q: Queryable, caseId: number): Promise<number[]> {
  const rows = await q
    .select({ unitId: caseUnits.unitId })
    .from(caseUnits)
    .where(and(eq(caseUnits.caseId, caseId), eq(caseUnits.role, 'co')))
    .orderBy(asc(caseUnits.unitId));
  return rows.map((r) => r.unitId);
}

export async function loadCaseView(q: Queryable, caseId: number): Promise<CaseView | undefined> {
  const row = await findCaseRow(q, caseId);
  if (!row) return undefined;
  return { ...row, coUnitIds: await loadCoUnitIds(q, caseId) };
}

/** The columns a new case is created with; everything else starts at its column default. */
export interface NewCaseValues {
  code: string;
  channel: CaseRow['channel'];
  contactKind: CaseRow['contactKind'];
  contactId: number | null;
  categoryId: number | null;
  priority: CaseRow['priority'];
  title: string | null;
  description: string;
  address: string | null;
  areaUnitId: number | null;
  latitude: number | null;
  longitude: number | null;
  receivedAt: Date;
  triageDueAt: Date | null;
  answerDueAt: Date | null;
  searchText: string;
  consentVersion: string | null;
  createdAt: Date;
}

export async function insertCaseRow(q: Queryable, v: NewCaseValues): Promise<CaseRow> {
  const [inserted] = await q
    .insert(cases)
    .values({ ...v, status: 'received', updatedAt: v.createdAt })
    .returning({ id: cases.id });
  const row = inserted ? await findCaseRow(q, inserted.id) : undefined;
  if (!row) throw new Error('insert into cases returned no row');
  return row;
}

/**
 * Writes every field the state machine owns, guarded by the version the caller read: false means somebody
 * else changed the case in between (stale_version).
 */
export async function updateCaseFromState(q: Queryable, next: CaseState, expectedVersion: number, now: Date): Promise<boolean> {
  const rows = await q
    .update(cases)
    .set({
      status: next.status,
      version: sql`${cases.version} + 1`,
      categoryId: next.categoryId,
      responsibleUnitId: next.responsibleUnitId,
      assigneeId: next.assigneeId,
      mergedIntoId: next.mergedIntoId,
      refusalReason: next.refusalReason,
      triageDueAt: next.triageDueAt,
      acceptDueAt: next.acceptDueAt,
      answerDueAt: next.answerDueAt,
      pausedAt: next.pausedAt,
      extensionCount: next.extensionCount,
      answerText: next.answerText,
      answerDraftedBy: next.answerDraftedBy,
      answerApprovedBy: next.answerApprovedBy,
      answeredAt: next.answeredAt,
      answeredOnTime: next.answeredOnTime,
      closedAt: next.closedAt,
      rating: next.rating,
      reopenCount: next.reopenCount,
      publishedAt: next.publishedAt,
      publicTitle: next.publicTitle,
      publicQuestion: next.publicQuestion,
      publicAnswer: next.publicAnswer,
      updatedAt: now,
    })
    .where(and(eq(cases.id, next.id), eq(cases.version, expectedVersion)))
    .returning({ id: cases.id });
  return rows.length === 1;
}

/**
 * Mirrors responsible_unit_id and the co-units into case_units. Rows that stay keep their added_at, so the
 * table also answers "since when has this unit been on the case".
 */
export async function syncCaseUnits(q: Queryable, caseId: number, lead: number | null, coUnitIds: readonly number[], now: Date): Promise<void> {
  const wanted = new Map<number, 'lead' | 'co'>();
  for (const id of coUnitIds) wanted.set(id, 'co');
  if (lead !== null) wanted.set(lead, 'lead');
  const existing = await q.select({ unitId: caseUnits.unitId, role: caseUnits.role }).from(caseUnits).where(eq(caseUnits.caseId, caseId));
  const stale = existing.filter((e) => wanted.get(e.unitId) !== e.role).map((e) => e.unitId);
  if (stale.length > 0) await q.delete(caseUnits).where(and(eq(caseUnits.caseId, caseId), inArray(caseUnits.unitId, stale)));
  const kept = new Set(existing.filter((e) => wanted.get(e.unitId) === e.role).map((e) => e.unitId));
  const toInsert = [...wanted].filter(([unitId]) => !kept.has(unitId)).map(([unitId, role]) => ({ caseId, unitId, role, addedAt: now }));
  if (toInsert.length > 0) await q.insert(caseUnits).values(toInsert);
}

export async function insertCaseEvents(q: Queryable, caseId: number, drafts: readonly CaseEventDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  await q.insert(caseEvents).values(
    drafts.map((d) => ({
      caseId,
      actorType: d.actorType,
      actorId: d.actorId,
      action: d.action,
      fromStatus: d.fromStatus,
      toStatus: d.toStatus,
      payload: d.payload,
      at: d.at,
    })),
  );
}

export async function listCaseEvents(q: Queryable, caseId: number): Promise<Array<typeof caseEvents.$inferSelect>> {
  return q.select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.id));
}

export async function loadUnitInfos(q: Queryable, ids: readonly number[]): Promise<UnitInfo[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  return q
    .select({ id: units.id, name: units.name, requiresApproval: units.requiresApproval, active: units.active })
    .from(units)
    .where(inArray(units.id, unique));
}

export async function loadOfficialInfos(q: Queryable, ids: readonly number[]): Promise<OfficialInfo[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  return q
    .select({ id: officials.id, unitId: officials.unitId, roles: officials.roles, active: officials.active })
    .from(officials)
    .where(inArray(officials.id, unique));
}

export async function loadCategoryInfo(q: Queryable, categoryId: number): Promise<CategoryInfo | null> {
  const [row] = await q.select({ id: categories.id, name: categories.name, active: categories.active }).from(categories).where(eq(categories.id, categoryId));
  return row ?? null;
}

export async function loadMergeTarget(q: Queryable, caseId: number): Promise<MergeTargetInfo | null> {
  const [row] = await q.select({ id: cases.id, code: cases.code, status: cases.status }).from(cases).where(eq(cases.id, caseId));
  return row ?? null;
}

export async function loadMergedCases(q: Queryable, caseId: number): Promise<MergedCaseInfo[]> {
  return q
    .select({ id: cases.id, code: cases.code, contactId: cases.contactId })
    .from(cases)
    .where(eq(cases.mergedIntoId, caseId))
    .orderBy(asc(cases.id));
}

/** Every name the sender goes by, for search and for masking before publication. */
export async function loadContactNames(q: Queryable, contactId: number | null): Promise<string[]> {
  if (contactId === null) return [];
  const [row] = await q
    .select({ fullName: contacts.fullName, displayName: contacts.displayName })
    .from(contacts)
    .where(eq(contacts.id, contactId));
  if (!row) return [];
  return [row.fullName, row.displayName].filter((n): n is string => typeof n === 'string' && n.trim() !== '');
}

export async function contactExists(q: Queryable, contactId: number): Promise<boolean> {
  const [row] = await q.select({ id: contacts.id }).from(contacts).where(eq(contacts.id, contactId));
  return row !== undefined;
}
