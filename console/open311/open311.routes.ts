import type { FastifyError, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { asc } from 'drizzle-orm';
import { categories } from '../../db/schema.js';
import type { AppPart } from '../../runtime/app.js';
import { formatLocalIso, formatVnDate } from '../../workflows/calendar/working-calendar.js';
import { CATEGORY_LEXICON } from '../../workflows/classifier/category-lexicon.js';
import { isOpenStatus, OPEN_STATUSES, type CaseStatus } from '../../workflows/cases/case-status.js';
import { loadReferenceData, type ReferenceData } from '../reference-data.repo.js';
import {
  findPublishedCaseByCode,
  listPublishedCasesByReceived,
  type PublishedCase,
  type PublishedCaseFilters,
} from '../public-site/published-cases.repo.js';
import {
  ZOpen311Error,
  ZOpen311Request,
  ZOpen311RequestParams,
  ZOpen311RequestsQuery,
  ZOpen311Service,
  ZOpen311ServicesQuery,
  type TOpen311Request,
  type TOpen311RequestsQuery,
} from './open311.schemas.js';

export const OPEN311_PREFIX = '/open311/v2';
/** The spec's defaults: the last 90 days when no date is given, at most 1000 requests per answer. */
export const OPEN311_DEFAULT_DAYS = 90;
export const OPEN311_MAX_REQUESTS = 1000;
const SERVICE_GROUP = 'Phản ánh, kiến nghị';
const KEYWORDS_PER_SERVICE = 6;

/** Three decimals ≈ 110 m: enough to find the street, not the house (DOMAIN.md §7.3). */
export function roundCoordinate(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}

function parseDateParam(value: string, endOfDay: boolean): Date {
  // A bare date means the whole day in Hà Nội; a datetime without offset is taken as Hà Nội time too.
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(`${value}T${endOfDay ? '23:59:59.999' : '00:00:00'}+07:00`);
  return new Date(/([zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}+07:00`);
}

export function toOpen311Request(c: PublishedCase, ref: ReferenceData, categoryCodes: Map<number, string>): TOpen311Request {
  return {
    service_request_id: c.code,
    status: isOpenStatus(c.status) ? 'open' : 'closed',
    status_notes: c.publicAnswer,
    service_name: c.categoryId === null ? null : ref.categoryName(c.categoryId),
    service_code: c.categoryId === null ? null : (categoryCodes.get(c.categoryId) ?? null),
    description: c.publicQuestion,
    agency_responsible: c.responsibleUnitId === null ? null : ref.unitName(c.responsibleUnitId),
    service_notice: c.answerDueAt ? `Hạn trả lời theo quy định: ${formatVnDate(c.answerDueAt)}` : null,
    requested_datetime: formatLocalIso(c.receivedAt),
    updated_datetime: formatLocalIso(c.updatedAt),
    expected_datetime: c.answerDueAt ? formatLocalIso(c.answerDueAt) : null,
    address: c.areaUnitId === null ? null : ref.unitName(c.areaUnitId),
    lat: roundCoordinate(c.latitude),
    long: roundCoordinate(c.longitude),
  };
}

async function loadCategoryCodes(deps: Parameters<AppPart>[1]): Promise<Map<number, string>> {
  const rows = await deps.database.db.select({ id: categories.id, code: categories.code }).from(categories);
  return new Map(rows.map((r) => [r.id, r.code]));
}

/** The Open311 GeoReport v2 read API over published cases: services (categories) and requests. */
export const registerOpen311: AppPart = async (app, deps) => {
  await app.register(
    async (plain: FastifyInstance) => {
      const api = plain.withTypeProvider<ZodTypeProvider>();
      const db = deps.database.db;

      // Public data meant for reuse by other sites and apps.
      api.addHook('onSend', async (_req, reply) => {
        reply.header('access-control-allow-origin', '*');
      });
      // The spec's error shape: a list of { code, description }.
      api.setErrorHandler((err: FastifyError, req, reply) => {
        const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
        if (status >= 500) req.log.error({ err }, 'open311 request failed');
        const description = status === 400 ? 'Tham số không hợp lệ.' : status >= 500 ? 'Hệ thống gặp lỗi, vui lòng thử lại sau.' : 'Yêu cầu không hợp lệ.';
        return reply.code(status).send([{ code: status, description }]);
      });
      api.setNotFoundHandler((_req, reply) => reply.code(404).send([{ code: 404, description: 'Không tìm thấy.' }]));

      api.get(
        '/services.json',
        {
          schema: {
            tags: ['Open311'],
            summary: 'Danh sách lĩnh vực (services)',
            querystring: ZOpen311ServicesQuery,
            response: { 200: ZOpen311Service.array() },
          },
        },
        async () => {
          const rows = await db
            .select({ code: categories.code, name: categories.name, description: categories.description, active: categories.active })
            .from(categories)
            .orderBy(asc(categories.sortOrder), asc(categories.id));
          const phrases = new Map<string, string[]>();
          for (const p of CATEGORY_LEXICON) phrases.set(p.label, [...(phrases.get(p.label) ?? []), p.text]);
          return rows
            .filter((c) => c.active)
            .map((c) => ({
              service_code: c.code,
              service_name: c.name,
              description: c.description ?? c.name,
              metadata: false,
              type: 'realtime' as const,
              keywords: (phrases.get(c.code) ?? []).slice(0, KEYWORDS_PER_SERVICE).join(', '),
              group: SERVICE_GROUP,
            }));
        },
      );

      api.get(
        '/requests.json',
        {
          schema: {
            tags: ['Open311'],
            summary: 'Danh sách phản ánh đã công khai (requests)',
            description: 'Chỉ gồm phản ánh đã được trả lời và công khai; nội dung đã ẩn thông tin cá nhân, vị trí làm tròn 3 chữ số thập phân.',
            querystring: ZOpen311RequestsQuery,
            response: { 200: ZOpen311Request.array(), 400: ZOpen311Error },
          },
        },
        async (req) => {
          const filters = await buildRequestFilters(req.query, deps.clock.now(), () => loadCategoryCodes(deps));
          const [ref, codes, rows] = await Promise.all([
            loadReferenceData(db),
            loadCategoryCodes(deps),
            listPublishedCasesByReceived(db, filters, OPEN311_MAX_REQUESTS),
          ]);
          return rows.map((c) => toOpen311Request(c, ref, codes));
        },
      );

      api.get(
        '/requests/:id.json',
        {
          schema: {
            tags: ['Open311'],
            summary: 'Một phản ánh đã công khai theo mã',
            params: ZOpen311RequestParams,
            querystring: ZOpen311ServicesQuery,
            response: { 200: ZOpen311Request.array(), 404: ZOpen311Error },
          },
        },
        async (req, reply) => {
          const found = await findPublishedCaseByCode(db, req.params.id.toUpperCase());
          if (!found) return reply.code(404).send([{ code: 404, description: 'Không tìm thấy phản ánh đã công khai với mã này.' }]);
          const [ref, codes] = await Promise.all([loadReferenceData(db), loadCategoryCodes(deps)]);
          return [toOpen311Request(found, ref, codes)];
        },
      );
    },
    { prefix: OPEN311_PREFIX },
  );
};

/** The spec: service_request_id overrides every other filter; without dates, the last 90 days. */
async function buildRequestFilters(
  query: TOpen311RequestsQuery,
  now: Date,
  loadCodes: () => Promise<Map<number, string>>,
): Promise<PublishedCaseFilters> {
  if (query.service_request_id) return { codes: query.service_request_id.map((c) => c.toUpperCase()) };
  const filters: PublishedCaseFilters = {};
  if (query.service_code) {
    const wanted = new Set(query.service_code);
    filters.categoryIds = [...(await loadCodes()).entries()].filter(([, code]) => wanted.has(code)).map(([id]) => id);
  }
  if (query.status) {
    const statuses = new Set(query.status);
    const CLOSED: CaseStatus[] = ['answered', 'closed', 'refused', 'merged'];
    filters.statuses = [...(statuses.has('open') ? OPEN_STATUSES : []), ...(statuses.has('closed') ? CLOSED : [])];
  }
  const end = query.end_date ? parseDateParam(query.end_date, true) : null;
  const start = query.start_date
    ? parseDateParam(query.start_date, false)
    : new Date((end ?? now).getTime() - OPEN311_DEFAULT_DAYS * 86_400_000);
  filters.receivedFrom = start;
  if (end) filters.receivedTo = end;
  return filters;
}
