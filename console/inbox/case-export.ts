import { formatVnDateTime } from '../../workflows/calendar/working-calendar.js';
import { listCasesForActor, type CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { CASE_RATING_LABELS, CASE_STATUS_LABELS } from '../../workflows/cases/case-status.js';
import type { CaseRow } from '../../workflows/cases/case.repo.js';
import type { Actor } from '../../workflows/cases/actor.js';
import type { CaseListFilters } from '../../workflows/cases/list-cases.js';
import { CONTACT_KIND_LABELS } from '../cases/case-labels.js';
import type { ReferenceData } from '../reference-data.repo.js';

/** A spreadsheet a unit can still open and filter; above it, the dashboard is the tool. */
export const EXPORT_MAX_ROWS = 10_000;
const EXPORT_PAGE_SIZE = 200;

const CHANNEL_LABELS: Record<CaseRow['channel'], string> = { zalo: 'Zalo', console: 'Tại quầy / bảng điều khiển', api: 'API' };

/** One row per case, the columns people asked for (ANCHORS.md §1.7 #11): timings, outcome and rating. */
export const CASE_EXPORT_HEADER = [
  'Mã hồ sơ',
  'Trạng thái',
  'Lĩnh vực',
  'Phường, xã',
  'Đơn vị chủ trì',
  'Người gửi',
  'Kênh',
  'Ngày tiếp nhận',
  'Hạn trả lời',
  'Ngày trả lời',
  'Trả lời đúng hạn',
  'Đánh giá',
  'Nội dung',
] as const;

export const CASE_EXPORT_WIDTHS = [18, 24, 28, 24, 28, 14, 12, 18, 18, 18, 14, 14, 80];

/** Contact details stay out: the export is for statistics and follow-up, and files travel further than pages. */
export function toExportRow(row: CaseRow, ref: ReferenceData): string[] {
  const at = (d: Date | null) => (d ? formatVnDateTime(d) : '');
  return [
    row.code,
    CASE_STATUS_LABELS[row.status],
    ref.categoryName(row.categoryId),
    row.areaUnitId === null ? '' : ref.unitName(row.areaUnitId),
    row.responsibleUnitId === null ? '' : ref.unitName(row.responsibleUnitId),
    CONTACT_KIND_LABELS[row.contactKind],
    CHANNEL_LABELS[row.channel],
    at(row.receivedAt),
    at(row.answerDueAt),
    at(row.answeredAt),
    row.answeredOnTime === null ? '' : row.answeredOnTime ? 'Đúng hạn' : 'Quá hạn',
    row.rating === null ? '' : CASE_RATING_LABELS[row.rating],
    row.description,
  ];
}

/** Every case of the filtered list, page by page through the same scoped query as the inbox. */
export async function listCasesForExport(deps: CaseServiceDeps, actor: Actor, filters: CaseListFilters): Promise<{ rows: CaseRow[]; truncated: boolean }> {
  const rows: CaseRow[] = [];
  let after = filters.after;
  for (;;) {
    const page = await listCasesForActor(deps, actor, { ...filters, ...(after === undefined ? {} : { after }), limit: EXPORT_PAGE_SIZE });
    rows.push(...page.items);
    if (rows.length >= EXPORT_MAX_ROWS) return { rows: rows.slice(0, EXPORT_MAX_ROWS), truncated: page.nextAfter !== null || rows.length > EXPORT_MAX_ROWS };
    if (page.nextAfter === null) return { rows, truncated: false };
    after = page.nextAfter;
  }
}
