import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { attachments, caseUnits, cases, categories, contacts, messages, officials, outbox } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';

/**
 * Reads for the case page that the workflows do not offer. Every function here is called only after
 * getCaseForActor has confirmed the official may see the case: the scope check stays in the workflows.
 */

export interface TimelineMessageRow {
  id: number;
  direction: 'in' | 'out';
  channel: string;
  kind: string;
  text: string | null;
  officialId: number | null;
  deliveryStatus: string;
  outboxStatus: string | null;
  error: string | null;
  at: Date;
}

export async function listCaseMessages(db: Db, caseId: number): Promise<TimelineMessageRow[]> {
  return db
    .select({
      id: messages.id,
      direction: messages.direction,
      channel: messages.channel,
      kind: messages.kind,
      text: messages.text,
      officialId: messages.officialId,
      deliveryStatus: messages.deliveryStatus,
      outboxStatus: outbox.status,
      error: messages.error,
      at: messages.at,
    })
    .from(messages)
    .leftJoin(outbox, eq(outbox.id, messages.outboxId))
    .where(eq(messages.caseId, caseId))
    .orderBy(asc(messages.at), asc(messages.id));
}

export interface AttachmentRow {
  id: number;
  caseId: number | null;
  messageId: number | null;
  kind: string;
  sourceUrl: string | null;
  storagePath: string | null;
  fileName: string | null;
  mime: string | null;
  status: string;
}

const attachmentColumns = {
  id: attachments.id,
  caseId: attachments.caseId,
  messageId: attachments.messageId,
  kind: attachments.kind,
  sourceUrl: attachments.sourceUrl,
  storagePath: attachments.storagePath,
  fileName: attachments.fileName,
  mime: attachments.mime,
  status: attachments.status,
};

export async function listCaseAttachments(db: Db, caseId: number): Promise<AttachmentRow[]> {
  return db.select(attachmentColumns).from(attachments).where(eq(attachments.caseId, caseId)).orderBy(asc(attachments.id));
}

export async function findCaseAttachment(db: Db, caseId: number, attachmentId: number): Promise<AttachmentRow | null> {
  const [row] = await db
    .select(attachmentColumns)
    .from(attachments)
    .where(and(eq(attachments.id, attachmentId), eq(attachments.caseId, caseId)));
  return row ?? null;
}

export async function loadOfficialNames(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.select({ id: officials.id, fullName: officials.fullName }).from(officials).where(inArray(officials.id, unique));
  return new Map(rows.map((r) => [r.id, r.fullName]));
}

export interface CaseContact {
  id: number;
  kind: 'citizen' | 'business';
  fullName: string | null;
  displayName: string | null;
  phone: string | null;
  email: string | null;
  companyName: string | null;
  zaloUserId: string | null;
}

export async function findCaseContact(db: Db, contactId: number): Promise<CaseContact | null> {
  const [row] = await db
    .select({
      id: contacts.id,
      kind: contacts.kind,
      fullName: contacts.fullName,
      displayName: contacts.displayName,
      phone: contacts.phone,
      email: contacts.email,
      companyName: contacts.companyName,
      zaloUserId: contacts.zaloUserId,
    })
    .from(contacts)
    .where(eq(contacts.id, contactId));
  return row ?? null;
}

/** Officials a unit can hand a case to (the same eligibility transition() checks: active handler or leader). */
export async function listUnitHandlers(db: Db, unitId: number): Promise<Array<{ id: number; fullName: string }>> {
  return db
    .select({ id: officials.id, fullName: officials.fullName })
    .from(officials)
    .where(
      and(
        eq(officials.unitId, unitId),
        eq(officials.active, true),
        sql`${officials.roles} && array['handler', 'unit_leader']::official_role[]`,
      ),
    )
    .orderBy(asc(officials.fullName));
}

/** The merge form takes the code people read (PA-2026-000123); the command needs the id. */
export async function findCaseIdByCode(db: Db, code: string): Promise<number | null> {
  const [row] = await db.select({ id: cases.id }).from(cases).where(eq(cases.code, code.trim().toUpperCase()));
  return row?.id ?? null;
}

/** What the duplicate list shows of a candidate, plus the fields its scope check needs. */
export interface CandidateCaseRow {
  id: number;
  code: string;
  status: (typeof cases.$inferSelect)['status'];
  title: string | null;
  description: string;
  receivedAt: Date;
  contactId: number | null;
  responsibleUnitId: number | null;
  coUnitIds: number[];
}

export async function loadCandidateCases(db: Db, ids: readonly number[]): Promise<CandidateCaseRow[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await db
    .select({
      id: cases.id,
      code: cases.code,
      status: cases.status,
      title: cases.title,
      description: cases.description,
      receivedAt: cases.receivedAt,
      contactId: cases.contactId,
      responsibleUnitId: cases.responsibleUnitId,
    })
    .from(cases)
    .where(inArray(cases.id, unique));
  const co = await db
    .select({ caseId: caseUnits.caseId, unitId: caseUnits.unitId })
    .from(caseUnits)
    .where(and(inArray(caseUnits.caseId, unique), eq(caseUnits.role, 'co')));
  return rows.map((r) => ({ ...r, coUnitIds: co.filter((c) => c.caseId === r.id).map((c) => c.unitId) }));
}

/** The classifier names categories by code; the page links them to ids and names. */
export async function listCategoryCodes(db: Db): Promise<Array<{ id: number; code: string; name: string; active: boolean }>> {
  return db.select({ id: categories.id, code: categories.code, name: categories.name, active: categories.active }).from(categories);
}
