import { and, desc, eq, inArray } from 'drizzle-orm';
import { attachments, cases, categories, consents, contacts, units } from '../db/schema.js';
import type { Db, Tx } from '../runtime/db.js';
import { loadWorkingCalendar } from '../workflows/calendar/calendar.repo.js';
import { createCase, loadSlaRulesFromDb, runCaseCommand, type CaseServiceDeps } from '../workflows/cases/case-service.js';
import { CASE_STATUS_LABELS, CONVERSATION_STATUSES } from '../workflows/cases/case-status.js';
import type { CaseGateway } from './conversation/engine.js';

/**
 * The workflows seen from inside the bot's per-user transaction: every service runs on that
 * transaction (nested as a savepoint), never on the outer pool, so PGlite's single connection
 * cannot deadlock and the reply, the case and its events commit together.
 */
function serviceDepsFor(tx: Tx, now: Date): CaseServiceDeps {
  return {
    db: tx as unknown as Db,
    clock: { now: () => now },
    loadCalendar: () => loadWorkingCalendar(tx),
    loadSlaRules: () => loadSlaRulesFromDb(tx),
  };
}

export const caseGateway: CaseGateway = {
  async submit(tx, { contactId, intake, now }) {
    await tx
      .update(contacts)
      .set({
        kind: intake.kind ?? 'citizen',
        fullName: intake.contactName ?? null,
        phone: intake.phone ?? null,
        companyName: intake.companyName ?? null,
        taxCode: intake.taxCode ?? null,
        address: intake.address ?? null,
        updatedAt: now,
      })
      .where(eq(contacts.id, contactId));
    if (intake.consentVersion) {
      await tx.insert(consents).values({
        contactId,
        purpose: 'pakn_handling',
        textVersion: intake.consentVersion,
        channel: 'zalo',
        grantedAt: intake.consentAt ? new Date(intake.consentAt) : now,
      });
    }
    const created = await createCase(serviceDepsFor(tx, now), {
      channel: 'zalo',
      contact: { id: contactId },
      contactKind: intake.kind ?? 'citizen',
      categoryId: intake.categoryId ?? null,
      description: intake.description ?? '',
      address: intake.address ?? null,
      areaUnitId: intake.areaUnitId ?? null,
      latitude: intake.latitude ?? null,
      longitude: intake.longitude ?? null,
      consentVersion: intake.consentVersion ?? null,
    });
    const caseId = created.case.id;
    if (intake.photos.length > 0) {
      await tx.insert(attachments).values(
        intake.photos.map((p) => ({ caseId, kind: p.kind, sourceUrl: p.url, fileName: p.name ?? null, size: p.size ?? null, status: 'pending' as const, createdAt: now })),
      );
    }
    return { caseId, code: created.case.code, answerDueAt: created.dueDates.answerDueAt };
  },

  async findByCode(tx, code) {
    const [row] = await tx
      .select({
        id: cases.id,
        code: cases.code,
        status: cases.status,
        contactId: cases.contactId,
        categoryName: categories.name,
        unitName: units.name,
        receivedAt: cases.receivedAt,
        answerDueAt: cases.answerDueAt,
        answerText: cases.answerText,
      })
      .from(cases)
      .leftJoin(categories, eq(categories.id, cases.categoryId))
      .leftJoin(units, eq(units.id, cases.responsibleUnitId))
      .where(eq(cases.code, code));
    if (!row) return undefined;
    const answered = row.status === 'answered' || row.status === 'closed';
    return { ...row, statusLabel: CASE_STATUS_LABELS[row.status], answerText: answered ? row.answerText : null };
  },

  async rate(tx, { caseId, contactId, rating, now }) {
    const [row] = await tx.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    if (!row) return { ok: false, reason: 'không tìm thấy' };
    const result = await runCaseCommand(serviceDepsFor(tx, now), {
      caseId,
      command: { type: 'rate', rating },
      actor: { type: 'citizen', contactId },
      expectedVersion: row.version,
    });
    if (!result.ok) return { ok: false, reason: result.error.message };
    const [unit] = result.case.responsibleUnitId ? await tx.select({ name: units.name }).from(units).where(eq(units.id, result.case.responsibleUnitId)) : [];
    return { ok: true, reopened: result.case.status === 'in_progress', unitName: unit?.name ?? null };
  },

  async findAwaitingInfoCase(tx, contactId) {
    const [row] = await tx
      .select({ id: cases.id, code: cases.code })
      .from(cases)
      .where(and(eq(cases.contactId, contactId), eq(cases.status, 'awaiting_info')))
      .orderBy(desc(cases.id))
      .limit(1);
    return row;
  },

  async provideInfo(tx, { caseId, contactId, text, now }) {
    const [row] = await tx.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    if (!row) return;
    await runCaseCommand(serviceDepsFor(tx, now), {
      caseId,
      command: { type: 'provide_info', text: text.slice(0, 5000) },
      actor: { type: 'citizen', contactId },
      expectedVersion: row.version,
    });
  },

  async latestOpenCaseId(tx, contactId) {
    const [row] = await tx
      .select({ id: cases.id })
      .from(cases)
      .where(and(eq(cases.contactId, contactId), inArray(cases.status, [...CONVERSATION_STATUSES])))
      .orderBy(desc(cases.id))
      .limit(1);
    return row?.id;
  },
};
