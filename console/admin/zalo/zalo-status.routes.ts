import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../../runtime/app.js';
import { formatVnDateTime } from '../../../workflows/calendar/working-calendar.js';
import { renderAdminPage } from '../admin-page.js';
import { findLastWebhookAt, findZaloTokenStatus } from './zalo-status.repo.js';

/** Zalo refresh tokens live 90 days from issue (the bot's token store counts the same); then the OA must be authorised again. */
export const REFRESH_TOKEN_LIFETIME_DAYS = 90;
/** Warn this many days before the refresh token runs out. */
const REFRESH_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export const ZALO_OAUTH_CALLBACK_PATH = '/zalo/oauth/callback';

/** The OA consent page (OAuth v4); PKCE is optional for OA apps, so a plain link works for re-consent. */
export function buildConsentUrl(config: AppDeps['config']): string {
  const url = new URL(`${config.zalo.oauthBaseUrl.replace(/\/+$/, '')}/v4/oa/permission`);
  url.searchParams.set('app_id', config.zalo.appId);
  url.searchParams.set('redirect_uri', `${config.publicBaseUrl.replace(/\/+$/, '')}${ZALO_OAUTH_CALLBACK_PATH}`);
  return url.toString();
}

export async function registerZaloStatusAdminRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  scope.get('/zalo', async (req, reply) => {
    const { config } = deps;
    const now = deps.clock.now();
    const [token, lastWebhookAt] = await Promise.all([findZaloTokenStatus(db, config.zalo.oaId), findLastWebhookAt(db)]);
    const refreshExpiresAt = token ? new Date(token.refreshIssuedAt.getTime() + REFRESH_TOKEN_LIFETIME_DAYS * DAY_MS) : null;
    const refreshDaysLeft = refreshExpiresAt ? Math.floor((refreshExpiresAt.getTime() - now.getTime()) / DAY_MS) : null;
    const dead = token?.status === 'dead' || (refreshDaysLeft !== null && refreshDaysLeft < 0);
    return renderAdminPage(req, reply, 'admin/zalo.hbs', 'zalo', 'Kết nối Zalo', {
      sandbox: config.zalo.sandbox,
      oaId: config.zalo.oaId,
      token: token
        ? {
            statusLabel: dead ? 'Mất kết nối — cần cấp quyền lại' : 'Đang hoạt động',
            accessExpiresAt: formatVnDateTime(token.accessExpiresAt),
            accessExpired: token.accessExpiresAt.getTime() <= now.getTime(),
            refreshIssuedAt: formatVnDateTime(token.refreshIssuedAt),
            refreshExpiresAt: refreshExpiresAt ? formatVnDateTime(refreshExpiresAt) : '',
            refreshSoon: !dead && refreshDaysLeft !== null && refreshDaysLeft <= REFRESH_WARNING_DAYS,
            refreshDaysLeft,
            lastError: token.lastError,
            updatedAt: formatVnDateTime(token.updatedAt),
          }
        : null,
      dead,
      lastWebhookAt: lastWebhookAt ? formatVnDateTime(lastWebhookAt) : null,
      consentUrl: config.zalo.sandbox ? null : buildConsentUrl(config),
      webhookUrl: `${config.publicBaseUrl.replace(/\/+$/, '')}/zalo/webhook`,
      callbackUrl: `${config.publicBaseUrl.replace(/\/+$/, '')}${ZALO_OAUTH_CALLBACK_PATH}`,
    });
  });
}
