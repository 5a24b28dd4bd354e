import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { officials } from '../../../db/schema.js';
import type { AppDeps } from '../../../runtime/app.js';
import { formatVnDateTime } from '../../../workflows/calendar/working-calendar.js';
import { API_SCOPE_LABELS, API_SCOPES, generateApiToken, hashApiToken } from '../../api/api-token-auth.js';
import { setFlash } from '../../page-renderer.js';
import { describeFormError, formId, formList, formText, ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { insertApiToken, listApiTokensForAdmin, revokeApiToken } from './api-tokens.repo.js';

export const ZApiTokenForm = z.object({
  name: formText({ required: 'Vui lòng đặt tên cho mã truy cập (ví dụ: Hệ thống báo cáo của Sở).', max: 200, tooLong: 'Tên quá dài (tối đa 200 ký tự).' }),
  officialId: formId('Vui lòng chọn cán bộ mà mã truy cập đại diện.'),
  scopes: formList(z.enum(API_SCOPES, { error: 'Quyền không hợp lệ.' })).pipe(z.array(z.enum(API_SCOPES)).min(1, { error: 'Vui lòng chọn ít nhất một quyền.' })),
});

/** Tokens for machine clients: each acts as one official, so it can never reach beyond that official's unit. */
export async function registerApiTokenAdminRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  async function renderTokens(req: FastifyRequest, reply: FastifyReply, state: AdminPageState = {}) {
    const [rows, people] = await Promise.all([
      listApiTokensForAdmin(db),
      db.select({ id: officials.id, fullName: officials.fullName, login: officials.login, active: officials.active }).from(officials),
    ]);
    const names = new Map(people.map((p) => [p.id, `${p.fullName} (${p.login})`]));
    return renderAdminPage(
      req,
      reply,
      'admin/api-tokens.hbs',
      'api-tokens',
      'Mã truy cập API',
      {
        officialOptions: people.filter((p) => p.active).map((p) => ({ value: p.id, label: `${p.fullName} (${p.login})` })),
        scopeOptions: API_SCOPES.map((s) => ({ value: s, label: API_SCOPE_LABELS[s] })),
        tokens: rows.map((t) => ({
          ...t,
          officialName: t.officialId === null ? '—' : (names.get(t.officialId) ?? `#${t.officialId}`),
          scopesLabel: t.scopes.join(', '),
          createdAtLabel: formatVnDateTime(t.createdAt),
          lastUsedLabel: t.lastUsedAt ? formatVnDateTime(t.lastUsedAt) : 'Chưa dùng',
          revoked: t.revokedAt !== null,
        })),
      },
      state,
    );
  }

  scope.get('/api-tokens', async (req, reply) => renderTokens(req, reply));

  scope.post('/api-tokens', async (req, reply) => {
    const form = ZApiTokenForm.safeParse(req.body ?? {});
    if (!form.success) return renderTokens(req, reply, { status: 400, error: describeFormError(form.error) });
    const token = generateApiToken();
    const id = await insertApiToken(db, { name: form.data.name, tokenHash: hashApiToken(token), officialId: form.data.officialId, scopes: form.data.scopes });
    req.log.info({ tokenId: id, officialId: form.data.officialId, scopes: form.data.scopes }, 'admin created api token');
    return renderAdminPage(req, reply, 'admin/secret.hbs', 'api-tokens', 'Đã tạo mã truy cập API', {
      notice: {
        officialName: form.data.name,
        label: 'Mã truy cập (gửi trong tiêu đề Authorization: Bearer …)',
        secret: token,
        hint: 'Mã chỉ hiển thị một lần và hệ thống chỉ lưu bản băm. Hãy lưu vào kho bí mật của hệ thống sử dụng; nếu lộ, thu hồi và tạo mã mới.',
        backUrl: '/console/admin/api-tokens',
      },
    });
  });

  scope.post('/api-tokens/:id/revoke', async (req, reply) => {
    const params = ZRowIdParams.safeParse(req.params);
    if (!params.success || !(await revokeApiToken(db, params.data.id, deps.clock.now()))) {
      return renderTokens(req, reply, { status: 404, error: 'Không tìm thấy mã truy cập đang hoạt động.' });
    }
    req.log.info({ tokenId: params.data.id }, 'admin revoked api token');
    setFlash(req, 'success', 'Đã thu hồi mã truy cập.');
    return reply.redirect('/console/admin/api-tokens', 303);
  });
}
