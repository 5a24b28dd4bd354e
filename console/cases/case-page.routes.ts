import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../runtime/app.js';
import { relayOutbox } from '../../runtime/outbox/outbox.js';
import { listTemplateOverrides } from '../../runtime/template-overrides.repo.js';
import {
  buildAnswerTemplateData,
  DEFAULT_ANSWER_TEMPLATES_DIR,
  listAnswerTemplates,
  renderAnswerTemplate,
  type AnswerTemplateInfo,
} from '../../workflows/cases/answer-templates.js';
import type { CaseCommand } from '../../workflows/cases/case-commands.js';
import { caseErrorMessage, type CaseErrorCode } from '../../workflows/cases/case-errors.js';
import { listAllowedCommands } from '../../workflows/cases/case-permissions.js';
import {
  getCaseForActor,
  listCaseEventsForActor,
  runCaseCommand,
  type CaseServiceDeps,
} from '../../workflows/cases/case-service.js';
import type { CaseView } from '../../workflows/cases/case.repo.js';
import { addWorkingDays, formatVnDateTime, localDay, type WorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import { suggestCategory } from '../../workflows/classifier/suggest-category.js';
import { DEFAULT_DUPLICATE_DAYS, findDuplicateCandidates } from '../../workflows/duplicates/find-duplicate-candidates.js';
import { renderErrorPage, renderPage, requireOfficial, setFlash, toActor } from '../page-renderer.js';
import { loadReferenceData } from '../reference-data.repo.js';
import { ANSWER_SENT_TEXT, COMMAND_TEXTS, type ConsoleCommandType } from './case-labels.js';
import {
  findCaseAttachment,
  findCaseContact,
  findCaseIdByCode,
  listCaseAttachments,
  listCaseMessages,
  listCategoryCodes,
  listUnitHandlers,
  loadCandidateCases,
  loadOfficialNames,
} from './case-page.repo.js';
import { describeCategorySuggestions, describeDuplicateCandidates } from './case-suggestions.js';
import { buildCasePageView, canSeeContactDetails } from './case-page.view.js';
import { canReplyToCitizen, enqueueReplyDelivery, queueConsoleReply, REPLY_MESSAGES, ZReplyForm } from './case-reply.js';
import { parseCommandForm, ZCommandPath, ZVersionField } from './command-forms.js';

const ZCaseIdParams = z.object({ id: z.coerce.number().int().positive() });
const ZAttachmentParams = z.object({ id: z.coerce.number().int().positive(), attachmentId: z.coerce.number().int().positive() });
const ZCasePageQuery = z.object({ template: z.string().max(100).optional() });

/** HTTP status of a refused command: the page is re-rendered with the workflows' Vietnamese message. */
export function statusForCaseError(code: CaseErrorCode): number {
  switch (code) {
    case 'not_found':
      return 404;
    case 'forbidden':
      return 403;
    case 'stale_version':
      return 409;
    case 'invalid_input':
      return 400;
    default:
      return 422;
  }
}

interface CasePageState {
  status?: number;
  error?: string | null;
  selectedTemplate?: string | null;
  /** The draft text the official submitted, kept when the command was refused. */
  submittedDraft?: string;
}

export interface CasePageRouteOptions {
  deps: AppDeps;
  caseDeps: CaseServiceDeps;
  answerTemplatesDir?: string;
}

export async function registerCasePageRoutes(scope: FastifyInstance, options: CasePageRouteOptions): Promise<void> {
  const { deps, caseDeps } = options;
  const db = caseDeps.db;
  const templatesDir = options.answerTemplatesDir ?? DEFAULT_ANSWER_TEMPLATES_DIR;

  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    renderErrorPage(req, reply, 404, caseErrorMessage('not_found'), 'Không tìm thấy hồ sơ');

  async function prefillAnswer(c: CaseView, templates: AnswerTemplateInfo[], wanted: string | null | undefined, unitName: string) {
    const selected = templates.find((t) => t.name === wanted) ?? (c.answerText ? null : (templates[0] ?? null));
    if (!selected) return { selectedTemplate: null, draft: c.answerText ?? '' };
    const draft = await renderAnswerTemplate(selected.name, buildAnswerTemplateData(c, unitName), { templatesDir, overrides: await listTemplateOverrides(db) });
    return { selectedTemplate: selected.name, draft };
  }

  /**
   * Triage help: open cases of the same place with similar text (merge candidates), and the categories the
   * classifier reads in the text. Only cases the official may open are listed.
   */
  async function loadTriageSuggestions(c: CaseView, actor: ReturnType<typeof toActor>, allowed: ReadonlySet<string>) {
    const [candidates, categorySuggestions, categoryCodes] = await Promise.all([
      findDuplicateCandidates(db, c.id, { now: deps.clock.now(), days: DEFAULT_DUPLICATE_DAYS }),
      suggestCategory(db, `${c.title ?? ''} ${c.description}`),
      listCategoryCodes(db),
    ]);
    const rows = await loadCandidateCases(db, candidates.map((d) => d.caseId));
    return {
      duplicates: describeDuplicateCandidates({ actor, caseView: c, candidates, rows, canMerge: allowed.has('merge') }),
      duplicateDays: DEFAULT_DUPLICATE_DAYS,
      categories: describeCategorySuggestions({
        caseView: c,
        suggestions: categorySuggestions,
        categories: categoryCodes,
        canRecategorise: allowed.has('recategorise'),
      }),
    };
  }

  async function renderCasePage(req: FastifyRequest, reply: FastifyReply, caseId: number, state: CasePageState = {}) {
    const official = requireOfficial(req);
    const actor = toActor(official);
    const read = await getCaseForActor(caseDeps, caseId, actor);
    if (!read.ok) return notFound(req, reply);
    const c = read.case;

    const eventsRead = await listCaseEventsForActor(caseDeps, caseId, actor);
    const events = eventsRead.ok ? eventsRead.events : [];
    const [ref, calendar, messages, attachments] = await Promise.all([
      loadReferenceData(db),
      caseDeps.loadCalendar(),
      listCaseMessages(db, caseId),
      listCaseAttachments(db, caseId),
    ]);

    const officialIds: number[] = [];
    for (const e of events) {
      if (e.actorType === 'official' && e.actorId) officialIds.push(Number(e.actorId));
      if (typeof e.payload.handlerId === 'number') officialIds.push(e.payload.handlerId);
    }
    for (const m of messages) if (m.officialId !== null) officialIds.push(m.officialId);
    if (c.assigneeId !== null) officialIds.push(c.assigneeId);
    const officialNames = await loadOfficialNames(db, officialIds.filter((id) => Number.isInteger(id)));

    const allowedCommands = listAllowedCommands(actor, c);
    const allowed = new Set<string>(allowedCommands);
    const contact = c.contactId === null ? null : await findCaseContact(db, c.contactId);
    const handlers =
      c.responsibleUnitId !== null && (allowed.has('accept') || allowed.has('assign_handler')) ? await listUnitHandlers(db, c.responsibleUnitId) : [];

    let answerTemplates: AnswerTemplateInfo[] = [];
    let selectedTemplate: string | null = null;
    let answerDraft = '';
    if (allowed.has('draft_answer')) {
      answerTemplates = await listAnswerTemplates({ templatesDir, overrides: await listTemplateOverrides(db) });
      const unitName = c.responsibleUnitId === null ? official.unitName : ref.unitName(c.responsibleUnitId);
      const prefill = await prefillAnswer(c, answerTemplates, state.selectedTemplate, unitName);
      selectedTemplate = prefill.selectedTemplate;
      answerDraft = state.submittedDraft ?? prefill.draft;
    }

    const suggestions = c.status === 'received' ? await loadTriageSuggestions(c, actor, allowed) : null;
    const replyPermitted = canReplyToCitizen(actor, c);
    const view = buildCasePageView({
      official,
      caseView: c,
      events,
      messages,
      attachments,
      officialNames,
      ref,
      calendar,
      now: deps.clock.now(),
      contact,
      contactVisible: canSeeContactDetails(official, c),
      allowedCommands,
      handlers,
      answerTemplates,
      selectedTemplate,
      answerDraft,
      canReply: replyPermitted && contact?.zaloUserId != null,
      replyBlockedReason: replyPermitted && contact?.zaloUserId == null ? REPLY_MESSAGES.noZalo : null,
      error: state.error ?? null,
      suggestions,
    });
    return renderPage(req, reply, 'case.hbs', view, { status: state.status ?? 200, nav: 'inbox', title: `Hồ sơ ${c.code}` });
  }

  scope.get('/cases/:id', async (req, reply) => {
    const params = ZCaseIdParams.safeParse(req.params);
    if (!params.success) return notFound(req, reply);
    const query = ZCasePageQuery.safeParse(req.query);
    return renderCasePage(req, reply, params.data.id, { selectedTemplate: query.success ? query.data.template : null });
  });

  scope.post('/cases/:id/commands/:type', async (req, reply) => {
    const path = ZCommandPath.safeParse(req.params);
    if (!path.success) return notFound(req, reply);
    const { id: caseId, type } = path.data;
    const official = requireOfficial(req);

    const version = ZVersionField.safeParse(req.body ?? {});
    const form = parseCommandForm(type, req.body);
    const submittedDraft = type === 'draft_answer' ? readTextField(req.body, 'text') : undefined;
    if (!version.success || !form) {
      return renderCasePage(req, reply, caseId, { status: 400, error: caseErrorMessage('invalid_input'), submittedDraft });
    }

    let command: CaseCommand;
    if (form.type === 'merge_by_code') {
      const intoCaseId = await findCaseIdByCode(db, form.intoCaseCode);
      if (intoCaseId === null) return renderCasePage(req, reply, caseId, { status: 422, error: caseErrorMessage('invalid_merge_target') });
      command = { type: 'merge', intoCaseId };
    } else if (form.type === 'grant_extension_by_date') {
      const newDueAt = endOfWorkingDayOn(await caseDeps.loadCalendar(), form.newDueDay);
      if (!newDueAt) return renderCasePage(req, reply, caseId, { status: 400, error: caseErrorMessage('invalid_extension') });
      const { type: _type, newDueDay: _day, ...rest } = form;
      command = { type: 'grant_extension', ...rest, newDueAt };
    } else {
      command = form;
    }

    const result = await runCaseCommand(caseDeps, { caseId, command, actor: toActor(official), expectedVersion: version.data.version });
    if (!result.ok) {
      if (result.error.code === 'not_found') return notFound(req, reply);
      return renderCasePage(req, reply, caseId, {
        status: statusForCaseError(result.error.code),
        error: result.error.message,
        submittedDraft,
      });
    }
    await relayCommandNotifications(deps, req.log);
    setFlash(req, 'success', successText(type, result.case));
    return reply.redirect(`/console/cases/${caseId}`, 303);
  });

  scope.post('/cases/:id/reply', async (req, reply) => {
    const params = ZCaseIdParams.safeParse(req.params);
    if (!params.success) return notFound(req, reply);
    const caseId = params.data.id;
    const official = requireOfficial(req);
    const actor = toActor(official);
    const read = await getCaseForActor(caseDeps, caseId, actor);
    if (!read.ok) return notFound(req, reply);
    const c = read.case;
    if (!canReplyToCitizen(actor, c) || c.contactId === null) {
      return renderCasePage(req, reply, caseId, { status: 403, error: REPLY_MESSAGES.forbidden });
    }
    const form = ZReplyForm.safeParse(req.body);
    if (!form.success) return renderCasePage(req, reply, caseId, { status: 400, error: REPLY_MESSAGES.invalid });
    const contact = await findCaseContact(db, c.contactId);
    if (!contact?.zaloUserId) return renderCasePage(req, reply, caseId, { status: 422, error: REPLY_MESSAGES.noZalo });

    const queued = await queueConsoleReply(db, {
      caseId,
      contactId: contact.id,
      zaloUserId: contact.zaloUserId,
      officialId: official.id,
      text: form.data.text,
      replyId: form.data.replyId,
      now: deps.clock.now(),
    });
    if (queued.status === 'queued') await enqueueReplyDelivery(deps.jobs, queued.outboxId, req.log);
    setFlash(req, 'success', queued.status === 'queued' ? REPLY_MESSAGES.queued : REPLY_MESSAGES.duplicate);
    return reply.redirect(`/console/cases/${caseId}#dong-thoi-gian`, 303);
  });

  scope.get('/cases/:id/attachments/:attachmentId', async (req, reply) => {
    const params = ZAttachmentParams.safeParse(req.params);
    if (!params.success) return notFound(req, reply);
    const read = await getCaseForActor(caseDeps, params.data.id, toActor(requireOfficial(req)));
    if (!read.ok) return notFound(req, reply);
    const attachment = await findCaseAttachment(db, params.data.id, params.data.attachmentId);
    if (!attachment) return renderErrorPage(req, reply, 404, 'Không tìm thấy tệp đính kèm.', 'Không tìm thấy tệp');

    const file = attachment.storagePath ? await resolveStoredFile(deps.config.dataDir, attachment.storagePath) : null;
    if (file) {
      const mime = attachment.mime && /^[\w.+-]+\/[\w.+-]+$/.test(attachment.mime) ? attachment.mime : 'application/octet-stream';
      const disposition = mime.startsWith('image/') ? 'inline' : 'attachment';
      const name = attachment.fileName ?? `tep-${attachment.id}`;
      return reply
        .header('content-type', mime)
        .header('content-length', String(file.size))
        .header('content-disposition', `${disposition}; filename*=UTF-8''${encodeURIComponent(name)}`)
        .header('cache-control', 'private, no-store')
        .send(createReadStream(file.path));
    }
    // Not downloaded yet (or kept only at Zalo): the original link still works for a while.
    if (attachment.sourceUrl && /^https?:\/\//i.test(attachment.sourceUrl)) return reply.redirect(attachment.sourceUrl, 302);
    return renderErrorPage(req, reply, 404, 'Tệp đính kèm chưa được lưu trữ trên hệ thống.', 'Không tìm thấy tệp');
  });
}

/**
 * A command's notifications (the citizen's "assigned"/"answered" messages, the unit's alerts) are outbox rows
 * written with the change. Hand them to the delivery job now, as the bot does after an inbound event, rather
 * than at the scheduler's next one-minute tick; until then they would also hold back, by the per-person
 * delivery order, a reply the official sends right after. Best effort: the tick relays whatever is left.
 */
async function relayCommandNotifications(deps: AppDeps, logger: FastifyBaseLogger): Promise<void> {
  try {
    await relayOutbox(deps.database.db, deps.jobs, deps.clock.now());
  } catch (err) {
    logger.warn({ err }, 'could not relay the outbox after a case command; the scheduler tick will');
  }
}

function readTextField(body: unknown, field: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

function successText(type: ConsoleCommandType, after: CaseView): string {
  if (type === 'draft_answer' && after.status === 'answered') return ANSWER_SENT_TEXT;
  if (type === 'grant_extension' && after.answerDueAt) return `Đã gia hạn thời hạn trả lời đến ${formatVnDateTime(after.answerDueAt)}.`;
  return COMMAND_TEXTS[type].done;
}

/**
 * The end of the last working session of the picked day (Hà Nội), or of the next working day when the picked
 * day is off: a deadline falls where officials work. null for a day that does not exist (2026-02-30).
 */
export function endOfWorkingDayOn(calendar: WorkingCalendar, day: string): Date | null {
  const midnight = new Date(`${day}T00:00:00+07:00`);
  if (Number.isNaN(midnight.getTime()) || localDay(midnight) !== day) return null;
  return addWorkingDays(calendar, midnight, 0);
}

/** Files live under DATA_DIR; a stored path that points elsewhere (or is gone) is treated as not stored. */
async function resolveStoredFile(dataDir: string, storagePath: string): Promise<{ path: string; size: number } | null> {
  const root = resolve(dataDir);
  const full = isAbsolute(storagePath) ? resolve(storagePath) : resolve(root, storagePath);
  if (!full.startsWith(root + sep)) return null;
  try {
    const info = await stat(full);
    return info.isFile() ? { path: full, size: info.size } : null;
  } catch {
    return null;
  }
}
