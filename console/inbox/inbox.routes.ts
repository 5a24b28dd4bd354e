import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../runtime/app.js';
import { formatVnDateTime } from '../../workflows/calendar/working-calendar.js';
import { listCasesForActor } from '../../workflows/cases/case-service.js';
import { CASE_STATUS_LABELS, CASE_STATUSES } from '../../workflows/cases/case-status.js';
import type { CaseRow } from '../../workflows/cases/case.repo.js';
import type { CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { renderPage, requireOfficial, toActor } from '../page-renderer.js';
import { listAreaUnits, loadReferenceData, type ReferenceData } from '../reference-data.repo.js';
import { CONTACT_KIND_LABELS } from '../cases/case-labels.js';
import { describeSla } from '../cases/sla-view.js';
import type { WorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import {
  buildInboxHref,
  INBOX_VIEW_LABELS,
  listInboxViews,
  pickInboxView,
  toCaseListFilters,
  ZInboxQuery,
  type TInboxQuery,
} from './inbox-query.js';
import { excerpt } from '../../workflows/text/excerpt.js';

export const INBOX_PAGE_SIZE = 25;

const EXCERPT_LENGTH = 140;

function describeRow(row: CaseRow, ref: ReferenceData, calendar: WorkingCalendar, now: Date) {
  return {
    id: row.id,
    code: row.code,
    url: `/console/cases/${row.id}`,
    excerpt: excerpt(row.description, EXCERPT_LENGTH),
    categoryName: ref.categoryName(row.categoryId),
    wardName: row.areaUnitId === null ? 'Chưa xác định' : ref.unitName(row.areaUnitId),
    receivedAt: formatVnDateTime(row.receivedAt),
    receivedAtIso: row.receivedAt.toISOString(),
    status: row.status,
    statusLabel: CASE_STATUS_LABELS[row.status],
    contactKindLabel: CONTACT_KIND_LABELS[row.contactKind],
    sla: describeSla(calendar, row, now),
  };
}

/** The filter values as the form shows them back (strings, '' for unset). */
function echoFilters(query: TInboxQuery) {
  return {
    status: query.status ?? '',
    categoryId: query.categoryId ?? '',
    areaUnitId: query.areaUnitId ?? '',
    contactKind: query.contactKind ?? '',
    from: query.from ?? '',
    to: query.to ?? '',
    q: query.q ?? '',
  };
}

export async function registerInboxRoutes(scope: FastifyInstance, options: { deps: AppDeps; caseDeps: CaseServiceDeps }): Promise<void> {
  const { deps, caseDeps } = options;

  // The console's home is the inbox; "/console" stays a stable entry point for bookmarks and links.
  scope.get('/', async (_req, reply) => reply.redirect('/console/inbox', 302));

  scope.get('/inbox', async (req, reply) => {
    const official = requireOfficial(req);
    const parsed = ZInboxQuery.safeParse(req.query);
    const query: TInboxQuery = parsed.success ? parsed.data : {};
    const views = listInboxViews(official.roles);
    const view = pickInboxView(official.roles, query.view);

    const [ref, calendar, page] = await Promise.all([
      loadReferenceData(caseDeps.db),
      caseDeps.loadCalendar(),
      listCasesForActor(caseDeps, toActor(official), toCaseListFilters(query, view, INBOX_PAGE_SIZE)),
    ]);
    const now = deps.clock.now();
    const filters = echoFilters(query);
    const filterParams = { view, ...filters };

    return renderPage(
      req,
      reply,
      'inbox.hbs',
      {
        invalidFilters: !parsed.success,
        viewLabel: INBOX_VIEW_LABELS[view],
        tabs: views.map((v) => ({ label: INBOX_VIEW_LABELS[v], url: buildInboxHref({ view: v }), current: v === view })),
        clearUrl: buildInboxHref({ view }),
        view,
        filters,
        statusOptions: CASE_STATUSES.map((s) => ({ value: s, label: CASE_STATUS_LABELS[s], selected: s === query.status })),
        categoryOptions: ref.categories.map((c) => ({ value: c.id, label: c.name, selected: c.id === query.categoryId })),
        wardOptions: listAreaUnits(ref).map((u) => ({ value: u.id, label: u.name, selected: u.id === query.areaUnitId })),
        contactKindOptions: (['citizen', 'business'] as const).map((k) => ({
          value: k,
          label: CONTACT_KIND_LABELS[k],
          selected: k === query.contactKind,
        })),
        rows: page.items.map((row) => describeRow(row, ref, calendar, now)),
        nextUrl: page.nextAfter === null ? null : buildInboxHref({ ...filterParams, after: page.nextAfter }),
        firstUrl: query.after ? buildInboxHref(filterParams) : null,
        csvUrl: buildInboxHref(filterParams, '/console/inbox/export.csv'),
        xlsxUrl: buildInboxHref(filterParams, '/console/inbox/export.xlsx'),
      },
      { status: parsed.success ? 200 : 400, nav: 'inbox', title: `Hộp thư — ${INBOX_VIEW_LABELS[view]}` },
    );
  });
}
