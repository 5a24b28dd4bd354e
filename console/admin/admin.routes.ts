import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../runtime/app.js';
import { registerApiTokenAdminRoutes } from './api-tokens/api-tokens.routes.js';
import { registerCalendarAdminRoutes } from './calendar/calendar-days.routes.js';
import { registerCategoryAdminRoutes } from './categories/categories.routes.js';
import { registerNudgeRuleAdminRoutes } from './nudges/nudge-rules.routes.js';
import { registerOfficialAdminRoutes } from './officials/officials.routes.js';
import { ADMIN_SECTIONS, renderAdminPage, requireAdmin } from './admin-page.js';
import { registerReportingRegimeAdminRoutes } from './reporting/reporting-regimes.routes.js';
import { registerRoutingRuleAdminRoutes } from './routing/routing-rules.routes.js';
import { registerSlaRuleAdminRoutes } from './sla/sla-rules.routes.js';
import { registerTemplateAdminRoutes } from './templates/templates.routes.js';
import { registerUnitAdminRoutes } from './units/units.routes.js';
import { registerZaloStatusAdminRoutes } from './zalo/zalo-status.routes.js';

const SECTION_HINTS: Record<(typeof ADMIN_SECTIONS)[number]['key'], string> = {
  units: 'Yêu cầu lãnh đạo duyệt câu trả lời, cách giao việc trong đơn vị.',
  officials: 'Tạo tài khoản, phân quyền, đặt lại mật khẩu, liên kết Zalo.',
  categories: 'Danh mục lĩnh vực và đơn vị xử lý mặc định.',
  routing: 'Lĩnh vực × phường, xã → đơn vị xử lý, theo độ ưu tiên.',
  sla: 'Thời hạn từng bước xử lý và căn cứ pháp lý.',
  nudges: 'Nhắc trước hạn, khi quá hạn và chuyển lên lãnh đạo, Văn phòng theo từng bước.',
  calendar: 'Ngày nghỉ lễ, Tết và ngày làm việc bù.',
  reporting: 'Báo cáo định kỳ, đột xuất: kỳ, ngày chốt số liệu, hạn gửi, đơn vị phải nộp.',
  templates: 'Nội dung tin nhắn Zalo, thư điện tử và mẫu trả lời, có xem trước.',
  zalo: 'Trạng thái mã truy cập Official Account và webhook.',
  'api-tokens': 'Mã truy cập cho hệ thống bên ngoài dùng API, gắn với một cán bộ.',
};

/** /console/admin/*: admins only (checked before any body is read); every form goes through the CSRF guard. */
export async function registerAdminRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  await scope.register(
    async (admin) => {
      admin.addHook('onRequest', requireAdmin);
      const db = deps.database.db;

      admin.get('/', async (req, reply) =>
        renderAdminPage(req, reply, 'admin/index.hbs', 'home', 'Tổng quan', {
          sections: ADMIN_SECTIONS.map((s) => ({ ...s, hint: SECTION_HINTS[s.key] })),
        }),
      );
      await registerUnitAdminRoutes(admin, db);
      await registerOfficialAdminRoutes(admin, deps);
      await registerCategoryAdminRoutes(admin, db);
      await registerRoutingRuleAdminRoutes(admin, db);
      await registerSlaRuleAdminRoutes(admin, db);
      await registerNudgeRuleAdminRoutes(admin, db);
      await registerCalendarAdminRoutes(admin, deps);
      await registerReportingRegimeAdminRoutes(admin, deps);
      await registerTemplateAdminRoutes(admin, deps);
      await registerZaloStatusAdminRoutes(admin, deps);
      await registerApiTokenAdminRoutes(admin, deps);
    },
    { prefix: '/admin' },
  );
}
