import { and, count, desc, eq, gte, inArray, isNotNull, lt, type SQL } from 'drizzle-orm';
import { cases } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';
import type { CaseStatus } from '../../workflows/cases/case-status.js';

/**
 * Reads of published cases for the public page and the Open311 API. Only the columns the publish command
 * wrote after masking, plus codes, dates and place at ward level, are ever selected: the citizen's own text,
 * name, phone, address and the contact row are not reachable from here.
 */
export interface PublishedCase {
  id: number;
  code: string;
  status: CaseStatus;
  categoryId: number | null;
  areaUnitId: number | null;
  responsibleUnitId: number | null;
  latitude: number | null;
  longitude: number | null;
  receivedAt: Date;
  answerDueAt: Date | null;
  answeredAt: Date | null;
  updatedAt: Date;
  publishedAt: Date;
  publicTitle: string | null;
  publicQuestion: string | null;
  publicAnswer: string | null;
}

const publicColumns = {
  id: cases.id,
  code: cases.code,
  status: cases.status,
  categoryId: cases.categoryId,
  areaUnitId: cases.areaUnitId,
  responsibleUnitId: cases.responsibleUnitId,
  latitude: cases.latitude,
  longitude: cases.longitude,
  receivedAt: cases.receivedAt,
  answerDueAt: cases.answerDueAt,
  answeredAt: cases.answeredAt,
  updatedAt: cases.updatedAt,
  publishedAt: cases.publishedAt,
  publicTitle: cases.publicTitle,
  publicQuestion: cases.publicQuestion,
  publicAnswer: cases.publicAnswer,
};

export interface PublishedCaseFilters {
  categoryIds?: number[];
  areaUnitId?: number;
  codes?: string[];
  statuses?: CaseStatus[];
  /** received_at ≥ */
  receivedFrom?: Date;
  /** received_at ≤ */
  receivedTo?: Date;
}

function buildConditions(filters: PublishedCaseFilters): SQL[] {
  const conditions: SQL[] = [isNotNull(cases.publishedAt)];
  if (filters.categoryIds) conditions.push(filters.categoryIds.length ? inArray(cases.categoryId, filters.categoryIds) : eq(cases.id, -1));
  if (filters.areaUnitId !== undefined) conditions.push(eq(cases.areaUnitId, filters.areaUnitId));
  if (filters.codes) conditions.push(filters.codes.length ? inArray(cases.code, filters.codes) : eq(cases.id, -1));
  if (filters.statuses) conditions.push(filters.statuses.length ? inArray(cases.status, filters.statuses) : eq(cases.id, -1));
  if (filters.receivedFrom) conditions.push(gte(cases.receivedAt, filters.receivedFrom));
  // "≤ end" as the spec words it: the instant itself is included.
  if (filters.receivedTo) conditions.push(lt(cases.receivedAt, new Date(filters.receivedTo.getTime() + 1)));
  return conditions;
}

type PublishedRow = Omit<PublishedCase, 'publishedAt'> & { publishedAt: Date | null };
const toPublished = (rows: PublishedRow[]): PublishedCase[] => rows.flatMap((r) => (r.publishedAt ? [{ ...r, publishedAt: r.publishedAt }] : []));

/** Newest publication first, one page at a time, with the total for the pager. */
export async function listPublishedCases(
  db: Db,
  filters: PublishedCaseFilters,
  page: { limit: number; offset: number },
): Promise<{ items: PublishedCase[]; total: number }> {
  const where = and(...buildConditions(filters));
  const [rows, [totalRow]] = await Promise.all([
    db.select(publicColumns).from(cases).where(where).orderBy(desc(cases.publishedAt), desc(cases.id)).limit(page.limit).offset(page.offset),
    db.select({ total: count() }).from(cases).where(where),
  ]);
  return { items: toPublished(rows), total: Number(totalRow?.total ?? 0) };
}

/** Open311 lists by request date, newest first. */
export async function listPublishedCasesByReceived(db: Db, filters: PublishedCaseFilters, limit: number): Promise<PublishedCase[]> {
  const rows = await db
    .select(publicColumns)
    .from(cases)
    .where(and(...buildConditions(filters)))
    .orderBy(desc(cases.receivedAt), desc(cases.id))
    .limit(limit);
  return toPublished(rows);
}

export async function findPublishedCaseByCode(db: Db, code: string): Promise<PublishedCase | null> {
  const [row] = await db
    .select(publicColumns)
    .from(cases)
    .where(and(...buildConditions({ codes: [code] })));
  return row ? (toPublished([row])[0] ?? null) : null;
}
