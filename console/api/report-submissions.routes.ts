import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import type { AppPart } from '../../runtime/app.js';
import type { Db } from '../../runtime/db.js';
import { reportErrorMessage, type ReportErrorCode } from '../../workflows/reports/report-errors.js';
import { recordReportPush, type ObligationView } from '../../workflows/reports/report-obligations.js';
import { REPORT_STATUSES } from '../../workflows/reports/reporting-regime.js';
import { authenticateApiToken, type ApiScope } from './api-token-auth.js';
import { DOCUMENTED_ONLY, ZApiError } from './cases-api.schemas.js';

export const ZReportSubmissionBody = z.object({
  regimeCode: z.string().trim().min(1).max(64).describe('Mã chế độ báo cáo, ví dụ ktxh-thang'),
  unitCode: z.string().trim().min(1).max(32).describe('Mã đơn vị: mã GSO 5 số của phường/xã hoặc mã sở, ngành'),
  periodKey: z.string().trim().min(1).max(32).describe('Kỳ báo cáo, ví dụ 2026-01, 2026-Q1, 2026'),
  status: z.enum(['da_nop', 'tra_lai']).describe('da_nop: đơn vị đã nộp; tra_lai: đơn vị nhận trả lại báo cáo'),
  submittedAt: z.iso.datetime({ offset: true }).describe('Thời điểm nộp hoặc trả lại, ISO 8601 có múi giờ'),
  externalRef: z.string().trim().min(1).max(200).describe('Mã văn bản trên hệ thống báo cáo; cùng mã gửi lại là cùng một lần nộp'),
});
export type TReportSubmissionBody = z.infer<typeof ZReportSubmissionBody>;

export const ZReportSubmissionResponse = z.object({
  ok: z.literal(true),
  submission: z.object({
    regimeCode: z.string(),
    unitCode: z.string(),
    periodKey: z.string(),
    periodLabel: z.string(),
    status: z.enum(REPORT_STATUSES),
    statusLabel: z.string(),
    dueAt: z.string().describe('Hạn nộp, ISO 8601 (UTC)'),
    submittedAt: z.string().nullable().describe('ISO 8601 (UTC); null khi chưa nộp'),
    externalRef: z.string().nullable(),
  }),
});

/** What the reporting system's operators read when a push is refused, field by field. */
const FIELD_LABELS: Record<keyof TReportSubmissionBody, string> = {
  regimeCode: 'regimeCode (mã chế độ báo cáo)',
  unitCode: 'unitCode (mã đơn vị)',
  periodKey: 'periodKey (kỳ báo cáo, ví dụ 2026-01, 2026-Q1)',
  status: 'status (da_nop hoặc tra_lai)',
  submittedAt: 'submittedAt (thời điểm ISO 8601 có múi giờ, ví dụ 2026-01-16T09:00:00+07:00)',
  externalRef: 'externalRef (mã văn bản trên hệ thống báo cáo)',
};

/** HTTP statuses of the workflows' refusals, shared by the API and the console's Báo cáo pages. */
export const REPORT_ERROR_STATUS: Record<ReportErrorCode, 404 | 409> = {
  unknown_regime: 404,
  unknown_unit: 404,
  unknown_period: 404,
  not_obliged: 404,
  already_submitted: 409,
  not_submitted: 409,
  self_submit_not_allowed: 409,
};

function toResponse(o: ObligationView, unitCode: string) {
  return {
    regimeCode: o.regimeCode,
    unitCode,
    periodKey: o.periodKey,
    periodLabel: o.periodLabel,
    status: o.status,
    statusLabel: o.statusLabel,
    dueAt: o.dueAt.toISOString(),
    submittedAt: o.submittedAt?.toISOString() ?? null,
    externalRef: o.externalRef,
  };
}

const TOKEN_MESSAGES = {
  missing_token: 'Thiếu mã truy cập (Authorization: Bearer …).',
  invalid_token: 'Mã truy cập không hợp lệ hoặc đã bị thu hồi.',
  insufficient_scope: 'Mã truy cập không có quyền "%SCOPE%".',
} as const;

/** preHandler: 401 without a live token, 403 without the scope; runs before the input is looked at. */
function requireScope(db: Db, scope: ApiScope): preHandlerAsyncHookHandler {
  return async (req, reply) => {
    const auth = await authenticateApiToken(db, req.headers.authorization, scope);
    if (auth.ok) {
      tokenNames.set(req, auth.token.name);
      return;
    }
    if (auth.status === 401) reply.header('www-authenticate', `Bearer realm="pakn", error="${auth.error === 'missing_token' ? 'invalid_request' : 'invalid_token'}"`);
    return reply.code(auth.status).send({ error: auth.error, message: TOKEN_MESSAGES[auth.error].replace('%SCOPE%', scope) });
  };
}

const tokenNames = new WeakMap<FastifyRequest, string>();

/**
 * POST /api/v1/report-submissions (registered under the API prefix, in the documented scope of api.part.ts): the
 * city's reporting system tells us a unit submitted a report (or that it was returned). Token scope
 * `reports:write`. Idempotent: the same push (same externalRef) answers 200 with the same body, plus
 * `Idempotent-Replayed: true` from the second time on. The body schema documents the route; the handler parses
 * it itself, after the token check, so an unauthenticated caller learns nothing and a refused field is named in
 * Vietnamese.
 */
export const registerReportSubmissionRoutes: AppPart = async (app, deps) => {
  const db = deps.database.db;
  const schema = {
    tags: ['Báo cáo định kỳ'],
    summary: 'Ghi nhận đơn vị đã nộp (hoặc bị trả lại) một báo cáo định kỳ',
    description: 'Mã truy cập cần quyền reports:write. Gửi lại cùng externalRef trả về cùng kết quả, kèm tiêu đề Idempotent-Replayed: true.',
    security: [{ bearerAuth: [] }],
    body: ZReportSubmissionBody,
    response: { 200: ZReportSubmissionResponse, 400: ZApiError, 401: ZApiError, 403: ZApiError, 404: ZApiError, 409: ZApiError },
  };
  app.post('/report-submissions', { schema, validatorCompiler: DOCUMENTED_ONLY, preHandler: requireScope(db, 'reports:write') }, async (req, reply) => {
    const parsed = ZReportSubmissionBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '')))].filter((f): f is keyof TReportSubmissionBody => f in FIELD_LABELS);
      return reply.code(400).send({
        error: 'invalid_input',
        message: `Dữ liệu báo cáo không hợp lệ: thiếu hoặc sai ${fields.map((f) => FIELD_LABELS[f]).join('; ') || 'nội dung yêu cầu (cần một đối tượng JSON)'}.`,
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message })) },
      });
    }
    const body = parsed.data;
    const result = await recordReportPush(
      db,
      {
        regimeCode: body.regimeCode,
        unitCode: body.unitCode,
        periodKey: body.periodKey,
        status: body.status,
        at: new Date(body.submittedAt),
        by: `api:${tokenNames.get(req) ?? 'token'}`,
        externalRef: body.externalRef,
      },
      deps.clock.now(),
    );
    if (!result.ok) {
      return reply.code(REPORT_ERROR_STATUS[result.error]).send({ error: result.error, message: reportErrorMessage(result.error) });
    }
    // A replay gets the very same body; the header (as with Stripe's idempotency keys) says it changed nothing.
    if (!result.changed) reply.header('idempotent-replayed', 'true');
    return reply.code(200).send({ ok: true, submission: toResponse(result.obligation, body.unitCode) });
  });
};
