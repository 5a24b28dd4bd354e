import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../runtime/app.js';
import { describeRoles } from '../auth/role-labels.js';
import { describeFormError, formCheckbox, formList } from '../admin/admin-forms.js';
import { renderErrorPage, renderPage, requireOfficial, setFlash } from '../page-renderer.js';
import { loadAccount, saveNotificationPreferences } from './account.repo.js';

const CHANNELS = ['zalo', 'email'] as const;
type Channel = (typeof CHANNELS)[number];

export const CHANNEL_LABELS: Record<Channel, string> = { zalo: 'Zalo', email: 'E-mail' };

export const ZPreferencesForm = z.object({
  channels: formList(z.enum(CHANNELS, { error: 'Kênh nhận thông báo không hợp lệ.' })).pipe(
    // Deadlines and new assignments must reach the official somehow: with no channel every reminder would
    // only be flagged in the outbox for someone else to notice.
    z.array(z.enum(CHANNELS)).min(1, { error: 'Vui lòng chọn ít nhất một kênh nhận thông báo (Zalo hoặc e-mail): nhắc hạn và việc được giao cần đến được với anh/chị.' }),
  ),
  digest: formCheckbox,
});

/** Roles whose morning digest has content (daily-digest.ts lists cases of handlers, leaders and dispatchers). */
const DIGEST_ROLES = new Set(['handler', 'unit_leader', 'dispatcher']);

/** Tài khoản của tôi: who the official is in the console, and how they want to be notified. */
export async function registerAccountRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  async function renderAccount(req: FastifyRequest, reply: FastifyReply, state: { status?: number; error?: string; posted?: { channels: string[]; digest: boolean } } = {}) {
    const official = requireOfficial(req);
    const account = await loadAccount(db, official.id);
    if (!account) return renderErrorPage(req, reply, 404, 'Không tìm thấy tài khoản.');
    const channels = new Set<string>(state.posted?.channels ?? account.preferences.channels ?? CHANNELS);
    const digest = state.posted?.digest ?? account.preferences.digest !== false;
    return renderPage(
      req,
      reply,
      'account.hbs',
      {
        formError: state.error ?? null,
        account: { ...account, unitName: official.unitName, rolesLabel: describeRoles(official.roles) },
        channelOptions: CHANNELS.map((c) => ({
          value: c,
          label: CHANNEL_LABELS[c],
          checked: channels.has(c),
          // A channel that cannot reach the official yet: say so next to the box rather than after a missed reminder.
          warning:
            c === 'zalo' && !account.zaloLinked
              ? 'Tài khoản chưa liên kết Zalo: đề nghị quản trị cấp mã liên kết, rồi nhắn mã cho Official Account.'
              : c === 'email' && !account.email
                ? 'Tài khoản chưa có địa chỉ e-mail: đề nghị quản trị bổ sung.'
                : null,
        })),
        digest,
        digestApplies: official.roles.some((r) => DIGEST_ROLES.has(r)),
      },
      { status: state.status ?? 200, nav: 'account', title: 'Tài khoản của tôi' },
    );
  }

  scope.get('/account', async (req, reply) => renderAccount(req, reply));

  scope.post('/account/preferences', async (req, reply) => {
    const official = requireOfficial(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = ZPreferencesForm.safeParse(body);
    if (!form.success) {
      const raw = body.channels;
      const posted = { channels: (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String), digest: body.digest === 'on' };
      return renderAccount(req, reply, { status: 400, error: describeFormError(form.error), posted });
    }
    const preferences = { channels: [...new Set(form.data.channels)], digest: form.data.digest };
    await saveNotificationPreferences(db, official.id, preferences);
    req.log.info({ officialId: official.id, ...preferences }, 'official changed notification preferences');
    setFlash(req, 'success', 'Đã lưu cách nhận thông báo. Thay đổi áp dụng cho các thông báo gửi từ bây giờ.');
    return reply.redirect('/console/account', 303);
  });
}
