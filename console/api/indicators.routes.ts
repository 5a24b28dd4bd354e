import type { preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import type { AppPart } from '../../runtime/app.js';
import type { Db } from '../../runtime/db.js';
import { localDay } from '../../workflows/calendar/working-calendar.js';
import { computeCaseIndicators, findCategoryIdByCode, INDICATOR_GROUPINGS, toReceiptWindow } from '../../workflows/reports/case-indicators.js';
import { findUnitByCode } from '../../workflows/reports/report.repo.js';
import { authenticateApiToken, type ApiScope } from './api-token-auth.js';
import { DOCUMENTED_ONLY, ZApiError } from './cases-api.schemas.js';

const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'ngày dạng YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'ngày không tồn tại');

export const ZIndicatorQuery = z.object({
  /** First local day of receipt (inclusive); default 1 January of this year. */
  from: localDate.optional().describe('Ngày tiếp nhận từ (YYYY-MM-DD, giờ Hà Nội); mặc định 01/01 năm nay'),
  /** Last local day of receipt (inclusive); default today. */
  to: localDate.optional().describe('Ngày tiếp nhận đến hết ngày (YYYY-MM-DD); mặc định hôm nay'),
  unitCode: z.string().trim().min(1).max(32).optional().describe('Chỉ hồ sơ của đơn vị chủ trì có mã này'),
  categoryCode: z.string().trim().min(1).max(64).optional().describe('Chỉ hồ sơ thuộc lĩnh vực có mã này'),
  groupBy: z.enum(INDICATOR_GROUPINGS).default('unit').describe('Nhóm theo đơn vị (unit), lĩnh vực (category) hoặc tháng (month)'),
});

const ZIndicatorCounts = z.object({
  received: z.number().int().describe('Số hồ sơ tiếp nhận trong khoảng'),
  handled: z.number().int().describe('Đã xử lý xong: đã trả lời, hoàn thành, từ chối hoặc gộp'),
  answered: z.number().int(),
  answeredOnTime: z.number().int(),
  onTimeRate: z.number().nullable().describe('answeredOnTime / answered; null khi chưa có trả lời'),
  overdue: z.number().int().describe('Đang xử lý và đã quá hạn trả lời'),
  rated: z.number().int(),
  satisfied: z.number().int().describe('Đánh giá hài lòng hoặc chấp nhận'),
  satisfactionRate: z.number().nullable().describe('satisfied / rated; null khi chưa có đánh giá'),
});

export const ZIndicatorResponse = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.enum(INDICATOR_GROUPINGS),
  filters: z.object({ unitCode: z.string().nullable(), categoryCode: z.string().nullable() }),
  generatedAt: z.string().describe('ISO 8601 (UTC)'),
  totals: ZIndicatorCounts,
  groups: z.array(
    ZIndicatorCounts.extend({
      key: z.string().nullable().describe('Mã đơn vị, mã lĩnh vực hoặc YYYY-MM; null khi hồ sơ chưa có đơn vị/lĩnh vực'),
      label: z.string(),
    }),
  ),
});

const QUERY_LABELS: Record<string, string> = {
  from: 'from (ngày bắt đầu, YYYY-MM-DD)',
  to: 'to (ngày kết thúc, YYYY-MM-DD)',
  unitCode: 'unitCode (mã đơn vị)',
  categoryCode: 'categoryCode (mã lĩnh vực)',
  groupBy: 'groupBy (unit, category hoặc month)',
};

const TOKEN_MESSAGES = {
  missing_token: 'Thiếu mã truy cập (Authorization: Bearer …).',
  invalid_token: 'Mã truy cập không hợp lệ hoặc đã bị thu hồi.',
  insufficient_scope: 'Mã truy cập không có quyền "%SCOPE%".',
} as const;

/** preHandler: 401 without a live token, 403 without the scope; runs before the input is looked at. */
function requireScope(db: Db, scope: ApiScope): preHandlerAsyncHookHandler {
  return async (req, reply) => {
    const auth = await authenticateApiToken(db, req.headers.authorization, scope);
    if (auth.ok) return;
    if (auth.status === 401) reply.header('www-authenticate', `Bearer realm="pakn", error="${auth.error === 'missing_token' ? 'invalid_request' : 'invalid_token'}"`);
    return reply.code(auth.status).send({ error: auth.error, message: TOKEN_MESSAGES[auth.error].replace('%SCOPE%', scope) });
  };
}

/**
 * GET /api/v1/indicators (registered under the API prefix, in the documented scope of api.part.ts) — received,
 * handled, on-time rate, overdue and satisfaction over cases received in [from, to] (local days), filtered by
 * unit and/or category, grouped by unit, category or month. Token scope `indicators:read`. The query schema
 * documents the route; the handler parses it itself, after the token check, with Vietnamese messages.
 */
export const registerIndicatorRoutes: AppPart = async (app, deps) => {
  const db = deps.database.db;
  const schema = {
    tags: ['Chỉ tiêu thống kê'],
    summary: 'Chỉ tiêu tiếp nhận, xử lý, đúng hạn, quá hạn và mức độ hài lòng',
    description: 'Mã truy cập cần quyền indicators:read. Tính trên hồ sơ tiếp nhận trong [from, to] theo ngày giờ Hà Nội.',
    security: [{ bearerAuth: [] }],
    querystring: ZIndicatorQuery,
    response: { 200: ZIndicatorResponse, 400: ZApiError, 401: ZApiError, 403: ZApiError, 404: ZApiError },
  };
  app.get('/indicators', { schema, validatorCompiler: DOCUMENTED_ONLY, preHandler: requireScope(db, 'indicators:read') }, async (req, reply) => {
    const parsed = ZIndicatorQuery.safeParse(req.query ?? {});
    const now = deps.clock.now();
    const today = localDay(now);
    const from = parsed.success ? (parsed.data.from ?? `${today.slice(0, 4)}-01-01`) : '';
    const to = parsed.success ? (parsed.data.to ?? today) : '';
    if (!parsed.success || from > to) {
      const fields = parsed.success ? ['from', 'to'] : [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '')))];
      return reply.code(400).send({
        error: 'invalid_input',
        message: parsed.success
          ? 'Khoảng thời gian không hợp lệ: from phải trước hoặc bằng to.'
          : `Tham số không hợp lệ: ${fields.map((f) => QUERY_LABELS[f] ?? f).join('; ')}.`,
        details: { issues: parsed.success ? [{ path: 'from', code: 'custom', message: 'from > to' }] : parsed.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message })) },
      });
    }
    const query = parsed.data;

    const unit = query.unitCode ? await findUnitByCode(db, query.unitCode) : undefined;
    if (query.unitCode && !unit) return reply.code(404).send({ error: 'unknown_unit', message: 'Không tìm thấy đơn vị với mã này.' });
    const categoryId = query.categoryCode ? await findCategoryIdByCode(db, query.categoryCode) : undefined;
    if (query.categoryCode && categoryId === undefined) {
      return reply.code(404).send({ error: 'unknown_category', message: 'Không tìm thấy lĩnh vực với mã này.' });
    }

    const report = await computeCaseIndicators(
      db,
      { ...toReceiptWindow(from, to), unitId: unit?.id, categoryId, groupBy: query.groupBy },
      now,
    );
    return reply.send({
      from,
      to,
      groupBy: query.groupBy,
      filters: { unitCode: query.unitCode ?? null, categoryCode: query.categoryCode ?? null },
      generatedAt: now.toISOString(),
      totals: report.totals,
      groups: report.groups,
    });
  });
};
