import { z } from 'zod';
import type { Role } from '../../workflows/cases/actor.js';
import { CASE_STATUSES } from '../../workflows/cases/case-status.js';
import { CASE_LIST_VIEWS, type CaseListFilters, type CaseListView } from '../../workflows/cases/list-cases.js';

/** 'all' is the console's own tab: no view condition, only the official's scope. */
export const INBOX_VIEWS = [...CASE_LIST_VIEWS, 'all'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

export const INBOX_VIEW_LABELS: Record<InboxView, string> = {
  triage: 'Chờ phân loại',
  mine: 'Của tôi',
  unit: 'Của đơn vị',
  due_soon: 'Sắp đến hạn',
  overdue: 'Quá hạn',
  pending_approval: 'Chờ duyệt',
  all: 'Tất cả',
};

/** Which tabs an official sees: a queue nobody in their roles works from would only be noise. */
export function listInboxViews(roles: readonly Role[]): InboxView[] {
  const has = (r: Role) => roles.includes(r);
  const views: InboxView[] = [];
  if (has('dispatcher') || has('admin')) views.push('triage');
  if (has('handler') || has('unit_leader')) views.push('mine');
  if (has('handler') || has('unit_leader') || has('viewer')) views.push('unit');
  views.push('due_soon', 'overdue');
  if (has('unit_leader') || has('admin')) views.push('pending_approval');
  views.push('all');
  return views;
}

/** The tab an official lands on: their own work queue. */
export function defaultInboxView(roles: readonly Role[]): InboxView {
  if (roles.includes('dispatcher')) return 'triage';
  if (roles.includes('unit_leader')) return 'unit';
  if (roles.includes('handler')) return 'mine';
  return 'all';
}

/** The tab asked for when the official has it, else their default: the inbox and its exports agree. */
export function pickInboxView(roles: readonly Role[], wanted: InboxView | undefined): InboxView {
  return wanted && listInboxViews(roles).includes(wanted) ? wanted : defaultInboxView(roles);
}

/** Empty form fields arrive as ''; they mean "no filter". */
const blank = (v: unknown) => (v === '' ? undefined : v);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const ZInboxQuery = z.object({
  view: z.preprocess(blank, z.enum(INBOX_VIEWS).optional()),
  status: z.preprocess(blank, z.enum(CASE_STATUSES).optional()),
  categoryId: z.preprocess(blank, z.coerce.number().int().positive().optional()),
  areaUnitId: z.preprocess(blank, z.coerce.number().int().positive().optional()),
  contactKind: z.preprocess(blank, z.enum(['citizen', 'business']).optional()),
  from: z.preprocess(blank, day.optional()),
  to: z.preprocess(blank, day.optional()),
  q: z.preprocess(blank, z.string().trim().max(200).optional()),
  after: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});
export type TInboxQuery = z.infer<typeof ZInboxQuery>;

/** Local (Hà Nội, UTC+7) midnight starting the day, or null for an impossible date. */
function startOfVnDay(value: string, plusDays = 0): Date | null {
  const at = new Date(`${value}T00:00:00+07:00`);
  if (Number.isNaN(at.getTime())) return null;
  return new Date(at.getTime() + plusDays * 24 * 60 * 60 * 1000);
}

/** The workflows' list filters: "đến ngày" includes the whole day, so `to` is the next local midnight. */
export function toCaseListFilters(query: TInboxQuery, view: InboxView, pageSize: number): CaseListFilters {
  const from = query.from ? startOfVnDay(query.from) : null;
  const to = query.to ? startOfVnDay(query.to, 1) : null;
  return {
    ...(view === 'all' ? {} : { view: view satisfies CaseListView }),
    ...(query.status ? { status: query.status } : {}),
    ...(query.categoryId ? { categoryId: query.categoryId } : {}),
    ...(query.areaUnitId ? { areaUnitId: query.areaUnitId } : {}),
    ...(query.contactKind ? { contactKind: query.contactKind } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(query.q ? { q: query.q } : {}),
    ...(query.after ? { after: query.after } : {}),
    limit: pageSize,
  };
}

/** The inbox URL with these filters; empty values are left out so links stay short. */
export function buildInboxHref(query: Partial<Record<keyof TInboxQuery, string | number | undefined>>, path = '/console/inbox'): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
