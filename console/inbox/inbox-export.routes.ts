import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../../runtime/app.js';
import { localDay } from '../../workflows/calendar/working-calendar.js';
import type { CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { writeCsv } from '../export/csv-writer.js';
import { writeXlsx, XLSX_CONTENT_TYPE } from '../export/xlsx-writer.js';
import { renderErrorPage, requireOfficial, toActor } from '../page-renderer.js';
import { loadReferenceData } from '../reference-data.repo.js';
import { CASE_EXPORT_HEADER, CASE_EXPORT_WIDTHS, listCasesForExport, toExportRow } from './case-export.js';
import { pickInboxView, toCaseListFilters, ZInboxQuery } from './inbox-query.js';

const INVALID_FILTERS = 'Điều kiện lọc không hợp lệ. Vui lòng quay lại hộp thư, kiểm tra bộ lọc rồi tải lại.';

function sendDownload(reply: FastifyReply, body: string | Buffer, contentType: string, fileName: string, truncated: boolean) {
  return reply
    .header('content-type', contentType)
    .header('content-disposition', `attachment; filename="${fileName}"`)
    .header('cache-control', 'private, no-store')
    .header('x-export-truncated', truncated ? '1' : '0')
    .send(body);
}

/** The inbox's filtered list as CSV or XLSX: the same filters, the same scope, every page. */
export async function registerInboxExportRoutes(scope: FastifyInstance, options: { deps: AppDeps; caseDeps: CaseServiceDeps }): Promise<void> {
  const { deps, caseDeps } = options;

  async function loadExport(query: unknown, official: ReturnType<typeof requireOfficial>) {
    const parsed = ZInboxQuery.safeParse(query);
    if (!parsed.success) return null;
    const view = pickInboxView(official.roles, parsed.data.view);
    // The export starts at the top of the list: "after" belongs to on-screen paging.
    const { after: _after, ...filters } = parsed.data;
    const [ref, list] = await Promise.all([
      loadReferenceData(caseDeps.db),
      listCasesForExport(caseDeps, toActor(official), toCaseListFilters(filters, view, 1)),
    ]);
    return { rows: list.rows.map((r) => toExportRow(r, ref)), truncated: list.truncated, stamp: localDay(deps.clock.now()).replace(/-/g, '') };
  }

  scope.get('/inbox/export.csv', async (req, reply) => {
    const data = await loadExport(req.query, requireOfficial(req));
    if (!data) return renderErrorPage(req, reply, 400, INVALID_FILTERS);
    return sendDownload(reply, writeCsv(CASE_EXPORT_HEADER, data.rows), 'text/csv; charset=utf-8', `ho-so-${data.stamp}.csv`, data.truncated);
  });

  scope.get('/inbox/export.xlsx', async (req, reply) => {
    const data = await loadExport(req.query, requireOfficial(req));
    if (!data) return renderErrorPage(req, reply, 400, INVALID_FILTERS);
    const xlsx = writeXlsx({ name: 'Hồ sơ', header: CASE_EXPORT_HEADER, rows: data.rows, widths: CASE_EXPORT_WIDTHS });
    return sendDownload(reply, xlsx, XLSX_CONTENT_TYPE, `ho-so-${data.stamp}.xlsx`, data.truncated);
  });
}
