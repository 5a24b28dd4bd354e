import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderErrorPage, renderPage, requireOfficial } from '../page-renderer.js';

export const ADMIN_SECTIONS = [
  { key: 'units', url: '/console/admin/units', label: 'Đơn vị' },
  { key: 'officials', url: '/console/admin/officials', label: 'Cán bộ' },
  { key: 'categories', url: '/console/admin/categories', label: 'Lĩnh vực' },
  { key: 'routing', url: '/console/admin/routing', label: 'Quy tắc phân công' },
  { key: 'sla', url: '/console/admin/sla', label: 'Thời hạn xử lý' },
  { key: 'nudges', url: '/console/admin/nudges', label: 'Quy tắc nhắc hạn' },
  { key: 'calendar', url: '/console/admin/calendar', label: 'Lịch làm việc' },
  { key: 'reporting', url: '/console/admin/reporting', label: 'Chế độ báo cáo' },
  { key: 'templates', url: '/console/admin/templates', label: 'Mẫu tin nhắn' },
  { key: 'zalo', url: '/console/admin/zalo', label: 'Kết nối Zalo' },
  { key: 'api-tokens', url: '/console/admin/api-tokens', label: 'Mã truy cập API' },
] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number]['key'] | 'home';

export const ADMIN_ONLY = 'Chỉ quản trị hệ thống mới truy cập được khu vực này.';

/**
 * onRequest hook of the admin scope: runs after the console's auth hook has loaded the official, before
 * any body is parsed, so a non-admin's form is refused without being read.
 */
export async function requireAdmin(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (requireOfficial(req).roles.includes('admin')) return;
  return renderErrorPage(req, reply, 403, ADMIN_ONLY, 'Không có quyền truy cập');
}

export interface AdminPageState {
  status?: number;
  /** A refused form's message, shown above the page in an alert. */
  error?: string | null;
}

/** An admin page inside the layout, with the admin sub-navigation. */
export function renderAdminPage(
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  section: AdminSection,
  title: string,
  data: Record<string, unknown>,
  state: AdminPageState = {},
): Promise<FastifyReply> {
  return renderPage(
    req,
    reply,
    view,
    {
      ...data,
      adminNav: ADMIN_SECTIONS.map((s) => ({ url: s.url, label: s.label, current: s.key === section })),
      heading: title,
      formError: state.error ?? null,
      scripts: (data.scripts as string[] | undefined) ?? [],
    },
    { status: state.status ?? 200, nav: 'admin', title: `Quản trị — ${title}` },
  );
}
