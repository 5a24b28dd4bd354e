import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { httpError, type AppDeps } from '../../runtime/app.js';
import { relayOutbox } from '../../runtime/outbox/outbox.js';
import { formatLocalIso } from '../../workflows/calendar/working-calendar.js';
import { caseErrorMessage } from '../../workflows/cases/case-errors.js';
import { listAllowedCommands } from '../../workflows/cases/case-permissions.js';
import { getCaseForActor, listCasesForActor, runCaseCommand } from '../../workflows/cases/case-service.js';
import type { CaseRow } from '../../workflows/cases/case.repo.js';
import { findConsoleOfficial, type ConsoleOfficial } from '../auth/official-auth.repo.js';
import { mayUseConsole } from '../auth/session-auth.js';
import { createCaseServiceDeps } from '../case-service-deps.js';
import { statusForCaseError } from '../cases/case-page.routes.js';
import { toCaseListFilters } from '../inbox/inbox-query.js';
import { toActor } from '../page-renderer.js';
import { authenticateApiToken, sendApiTokenRefusal, type ApiScope } from './api-token-auth.js';
import { ZApiCaseDetail, ZApiCaseList, ZApiCaseListQuery, ZApiCaseParams, ZApiCommandBody, ZApiError, type TApiCase } from './cases-api.schemas.js';

const iso = (d: Date | null) => (d === null ? null : formatLocalIso(d));

export function toApiCase(row: CaseRow): TApiCase {
  return {
    id: row.id,
    code: row.code,
    status: row.status,
    version: row.version,
    channel: row.channel,
    contactKind: row.contactKind,
    categoryId: row.categoryId,
    priority: row.priority,
    title: row.title,
    description: row.description,
    address: row.address,
    areaUnitId: row.areaUnitId,
    latitude: row.latitude,
    longitude: row.longitude,
    responsibleUnitId: row.responsibleUnitId,
    assigneeId: row.assigneeId,
    receivedAt: formatLocalIso(row.receivedAt),
    triageDueAt: iso(row.triageDueAt),
    acceptDueAt: iso(row.acceptDueAt),
    answerDueAt: iso(row.answerDueAt),
    answeredAt: iso(row.answeredAt),
    answeredOnTime: row.answeredOnTime,
    answerText: row.answerText,
    closedAt: iso(row.closedAt),
    rating: row.rating,
    publishedAt: iso(row.publishedAt),
    updatedAt: formatLocalIso(row.updatedAt),
  };
}

const NO_OFFICIAL = 'Mã truy cập không gắn với cán bộ đang hoạt động nên không có phạm vi hồ sơ.';

const security = [{ bearerAuth: [] }];
const errors = { 400: ZApiError, 401: ZApiError, 403: ZApiError, 404: ZApiError, 409: ZApiError, 422: ZApiError };

/**
 * /api/v1/cases: the console's case operations for machine clients. Every call acts as the token's
 * official through the same workflow functions as the console, so the unit scope and role rules are
 * the workflows', not this file's.
 */
export async function registerCasesApi(plain: FastifyInstance, deps: AppDeps): Promise<void> {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const caseDeps = createCaseServiceDeps(deps);
  const db = deps.database.db;

  /** The token's official, or null after sending 401/403. */
  async function authorize(req: FastifyRequest, reply: FastifyReply, scope: ApiScope): Promise<ConsoleOfficial | null> {
    const auth = await authenticateApiToken(db, req.headers.authorization, scope, deps.clock.now());
    if (!auth.ok) {
      await sendApiTokenRefusal(reply, auth);
      return null;
    }
    const official = auth.token.officialId === null ? null : await findConsoleOfficial(db, auth.token.officialId);
    if (!official || !mayUseConsole(official, deps.config)) {
      await reply.code(403).send({ error: 'forbidden', message: NO_OFFICIAL });
      return null;
    }
    return official;
  }

  api.get(
    '/cases',
    {
      schema: {
        tags: ['Hồ sơ'],
        summary: 'Danh sách hồ sơ trong phạm vi của cán bộ gắn với mã truy cập',
        security,
        querystring: ZApiCaseListQuery,
        response: { 200: ZApiCaseList, ...errors },
      },
    },
    async (req, reply) => {
      const official = await authorize(req, reply, 'cases:read');
      if (!official) return reply;
      const { limit, view, ...query } = req.query;
      const page = await listCasesForActor(caseDeps, toActor(official), toCaseListFilters(query, view ?? 'all', limit));
      return { items: page.items.map(toApiCase), nextAfter: page.nextAfter };
    },
  );

  api.get(
    '/cases/:id',
    {
      schema: {
        tags: ['Hồ sơ'],
        summary: 'Một hồ sơ và các thao tác được phép',
        security,
        params: ZApiCaseParams,
        response: { 200: ZApiCaseDetail, ...errors },
      },
    },
    async (req, reply) => {
      const official = await authorize(req, reply, 'cases:read');
      if (!official) return reply;
      const actor = toActor(official);
      const read = await getCaseForActor(caseDeps, req.params.id, actor);
      if (!read.ok) return reply.code(404).send({ ...httpError(404), message: caseErrorMessage('not_found') });
      return { case: { ...toApiCase(read.case), coUnitIds: read.case.coUnitIds }, allowedCommands: listAllowedCommands(actor, read.case) };
    },
  );

  api.post(
    '/cases/:id/commands',
    {
      schema: {
        tags: ['Hồ sơ'],
        summary: 'Thực hiện một thao tác trên hồ sơ',
        description: 'Thân yêu cầu: { command: { type, … }, expectedVersion }. Phiên bản khác phiên bản hiện tại → 409.',
        security,
        params: ZApiCaseParams,
        body: ZApiCommandBody,
        response: { 200: ZApiCaseDetail, ...errors },
      },
    },
    async (req, reply) => {
      const official = await authorize(req, reply, 'cases:write');
      if (!official) return reply;
      const actor = toActor(official);
      const result = await runCaseCommand(caseDeps, { caseId: req.params.id, command: req.body.command, actor, expectedVersion: req.body.expectedVersion });
      if (!result.ok) {
        const status = statusForCaseError(result.error.code);
        return reply.code(status).send({ error: result.error.code, message: result.error.message });
      }
      req.log.info({ caseId: req.params.id, command: req.body.command.type, officialId: official.id }, 'api case command');
      // As the console's case page does: hand the command's notifications to delivery now, not at the next
      // one-minute tick. Best effort; the tick relays whatever is left.
      try {
        await relayOutbox(db, deps.jobs, deps.clock.now());
      } catch (err) {
        req.log.warn({ err }, 'could not relay the outbox after an API case command; the scheduler tick will');
      }
      return { case: { ...toApiCase(result.case), coUnitIds: result.case.coUnitIds }, allowedCommands: listAllowedCommands(actor, result.case) };
    },
  );
}
