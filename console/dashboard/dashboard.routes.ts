import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../runtime/app.js';
import { formatVnDate, localDay } from '../../workflows/calendar/working-calendar.js';
import type { CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { countByPeriod, groupCaseKpis, summarizeCases } from '../../workflows/dashboard/case-kpis.js';
import { loadCaseFacts, seesAllUnits } from '../../workflows/dashboard/dashboard.repo.js';
import { renderPage, requireOfficial, toActor } from '../page-renderer.js';
import { listAreaUnits, listHandlingUnits, loadReferenceData } from '../reference-data.repo.js';
import { pickGranularity, toDashboardFilters, ZDashboardQuery, type TDashboardQuery } from './dashboard-query.js';
import { buildPeriodChart, buildStatusChart, describeGroups, describeKpiCards, describeStatusRows } from './dashboard-view.js';

export const CHART_VENDOR_URL = '/console/assets/vendor/chart.umd.js';
export const DASHBOARD_SCRIPT_URL = '/console/assets/dashboard.js';

/** Statistics of the cases the official may see: all for dispatchers and admins, their unit's for others. */
export async function registerDashboardRoutes(scope: FastifyInstance, options: { deps: AppDeps; caseDeps: CaseServiceDeps }): Promise<void> {
  const { deps, caseDeps } = options;

  scope.get('/dashboard', async (req, reply) => {
    const official = requireOfficial(req);
    const actor = toActor(official);
    const parsed = ZDashboardQuery.safeParse(req.query);
    const query: TDashboardQuery = parsed.success ? parsed.data : {};
    const now = deps.clock.now();
    const all = seesAllUnits(actor);
    const filters = toDashboardFilters(query, now, all);
    const granularity = pickGranularity(query);

    const [ref, calendar, facts] = await Promise.all([loadReferenceData(caseDeps.db), caseDeps.loadCalendar(), loadCaseFacts(caseDeps.db, actor, filters)]);
    const kpis = summarizeCases(facts, calendar, now);
    const unitName = (id: number | null) => (id === null ? 'Chưa giao đơn vị' : ref.unitName(id));
    const wardName = (id: number | null) => (id === null ? 'Chưa xác định' : ref.unitName(id));
    const byUnit = describeGroups(groupCaseKpis(facts, 'unit', calendar, now), unitName);
    const byCategory = describeGroups(groupCaseKpis(facts, 'category', calendar, now), (id) => ref.categoryName(id));
    const byWard = describeGroups(groupCaseKpis(facts, 'ward', calendar, now), wardName);
    const periods = countByPeriod(facts, granularity);

    return renderPage(
      req,
      reply,
      'dashboard.hbs',
      {
        invalidFilters: !parsed.success,
        scopeLabel: all ? 'Toàn thành phố' : official.unitName,
        seesAllUnits: all,
        periodLabel: `${filters.from ? formatVnDate(filters.from) : 'đầu kỳ'} – ${filters.to ? formatVnDate(new Date(filters.to.getTime() - 1)) : formatVnDate(now)}`,
        filters: {
          from: query.from ?? (filters.from ? localDay(filters.from) : ''),
          to: query.to ?? '',
          granularity,
        },
        granularityOptions: [
          { value: 'week', label: 'Theo tuần', selected: granularity === 'week' },
          { value: 'month', label: 'Theo tháng', selected: granularity === 'month' },
        ],
        unitOptions: all ? listHandlingUnits(ref).map((u) => ({ value: u.id, label: u.name, selected: u.id === query.unitId })) : [],
        categoryOptions: ref.categories.map((c) => ({ value: c.id, label: c.name, selected: c.id === query.categoryId })),
        wardOptions: listAreaUnits(ref).map((u) => ({ value: u.id, label: u.name, selected: u.id === query.areaUnitId })),
        cards: describeKpiCards(kpis),
        statusRows: describeStatusRows(kpis),
        statusChartJson: JSON.stringify(buildStatusChart(kpis)),
        periodRows: periods,
        periodChartJson: JSON.stringify(buildPeriodChart(periods)),
        byUnit,
        byCategory,
        byWard,
        scripts: [CHART_VENDOR_URL, DASHBOARD_SCRIPT_URL],
      },
      { status: parsed.success ? 200 : 400, nav: 'dashboard', title: 'Bảng điều khiển' },
    );
  });
}
