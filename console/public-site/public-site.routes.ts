import fastifyHelmet from '@fastify/helmet';
import fastifyView from '@fastify/view';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppPart } from '../../runtime/app.js';
import { formatVnDate } from '../../workflows/calendar/working-calendar.js';
import { CASE_STATUS_LABELS } from '../../workflows/cases/case-status.js';
import { listAreaUnits, loadReferenceData } from '../reference-data.repo.js';
import { CONSOLE_PARTIALS, CONSOLE_VIEWS_DIR, createConsoleHandlebars } from '../view-engine.js';
import { listPublishedCases } from './published-cases.repo.js';

export const PUBLIC_PATH = '/cong-khai';
export const PUBLIC_PAGE_SIZE = 20;

const blank = (v: unknown) => (v === '' ? undefined : v);
export const ZPublicQuery = z.object({
  categoryId: z.preprocess(blank, z.coerce.number().int().positive().optional()).catch(undefined),
  areaUnitId: z.preprocess(blank, z.coerce.number().int().positive().optional()).catch(undefined),
  page: z.preprocess(blank, z.coerce.number().int().min(1).max(10_000).optional()).catch(undefined),
});

function buildPublicHref(params: Record<string, number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const text = search.toString();
  return text ? `${PUBLIC_PATH}?${text}` : PUBLIC_PATH;
}

/**
 * The public page of answered cases (ND 20/2008 Điều 19): no login, Vietnamese, only what the publish
 * command stored after masking personal data (DOMAIN.md §7.3).
 */
export const registerPublicSite: AppPart = async (app, deps) => {
  await app.register(async (site: FastifyInstance) => {
    await site.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'upgrade-insecure-requests': deps.config.publicBaseUrl.startsWith('https://') ? [] : null,
        },
      },
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: false,
    });
    await site.register(fastifyView, {
      engine: { handlebars: createConsoleHandlebars() },
      root: CONSOLE_VIEWS_DIR,
      layout: 'layouts/public.hbs',
      options: { partials: CONSOLE_PARTIALS },
      production: process.env.NODE_ENV !== 'development',
    });

    site.get(PUBLIC_PATH, async (req, reply) => {
      const query = ZPublicQuery.parse(req.query ?? {});
      const page = query.page ?? 1;
      const db = deps.database.db;
      const [ref, list] = await Promise.all([
        loadReferenceData(db),
        listPublishedCases(
          db,
          { ...(query.categoryId ? { categoryIds: [query.categoryId] } : {}), ...(query.areaUnitId ? { areaUnitId: query.areaUnitId } : {}) },
          { limit: PUBLIC_PAGE_SIZE, offset: (page - 1) * PUBLIC_PAGE_SIZE },
        ),
      ]);
      const pages = Math.max(1, Math.ceil(list.total / PUBLIC_PAGE_SIZE));
      const filterParams = { categoryId: query.categoryId, areaUnitId: query.areaUnitId };
      const html = await reply.viewAsync('public-cases.hbs', {
        pageTitle: 'Kết quả giải quyết phản ánh, kiến nghị',
        total: list.total,
        page,
        pages,
        categoryOptions: ref.categories.filter((c) => c.active).map((c) => ({ value: c.id, label: c.name, selected: c.id === query.categoryId })),
        wardOptions: listAreaUnits(ref).map((u) => ({ value: u.id, label: u.name, selected: u.id === query.areaUnitId })),
        cases: list.items.map((c) => ({
          code: c.code,
          title: c.publicTitle,
          question: c.publicQuestion ?? '',
          answer: c.publicAnswer ?? '',
          categoryName: ref.categoryName(c.categoryId),
          wardName: c.areaUnitId === null ? null : ref.unitName(c.areaUnitId),
          unitName: c.responsibleUnitId === null ? null : ref.unitName(c.responsibleUnitId),
          receivedAt: formatVnDate(c.receivedAt),
          answeredAt: c.answeredAt ? formatVnDate(c.answeredAt) : null,
          statusLabel: CASE_STATUS_LABELS[c.status],
        })),
        previousUrl: page > 1 ? buildPublicHref({ ...filterParams, page: page - 1 }) : null,
        nextUrl: page < pages ? buildPublicHref({ ...filterParams, page: page + 1 }) : null,
      });
      return reply.header('cache-control', 'public, max-age=60').type('text/html; charset=utf-8').send(html);
    });
  });
};
