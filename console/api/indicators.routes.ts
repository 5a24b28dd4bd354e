import type { preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import type { AppPart } from '../../runtime/app.js';
import type { Db } from '../../runtime/db.js';
import { localDay } from '../../workflows/calendar/working-calendar.js';
import { computeCaseIndicators, findCategoryIdByCode, INDICATOR_GROUPINGS, toReceiptWindow } from '../../workflows/reports/case-indicators.js';
import { findUnitByCode } from '../../workflows/reports/report.repo.js';
import { authenticateApiToken, type ApiScope } from './api-token-auth.js';

const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'ngày dạng YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'ngày không tồn tại');

export const ZIndicatorQuery = z.object({
  /** First local day of receipt (inclusive); default 1 January of this year. */
  from: localDate.optional(),
  /** Last local day of receipt (inclusive); default today. */
  to: localDate.optional(),
  unitCode: z.string().trim().min(1).max(32).optional(),
  categoryCode: z.string().trim().min(1).max(64).optional(),
  groupBy: z.enum(INDICATOR_GROUPINGS).default('unit'),
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
 * GET /api/v1/indicators — received, handled, on-time rate, overdue and satisfaction over cases received in
 * [from, to] (local days), filtered by unit and/or category, grouped by unit, category or month.
 * Token scope `indicators:read`.
 */
export const registerIndicatorRoutes: AppPart = async (app, deps) => {
  const db = deps.database.db;
  app.get('/api/v1/indicators', { preHandler: requireScope(db, 'indicators:read') }, async (req, reply) => {
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
