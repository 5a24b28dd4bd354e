import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../runtime/app.js';
import type { TokenStore } from '../zalo/token-store.js';
import { takePendingConsent } from './zalo-consent.js';

const ZCallbackQuery = z.object({ code: z.string().min(1).max(2000), state: z.string().regex(/^[0-9a-f]{32}$/), oa_id: z.string().optional() });

function page(title: string, body: string): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1><p>${escape(body)}</p><p><a href="/console/admin">Về trang quản trị</a></p></main></body></html>`;
}

/** Zalo redirects the OA admin here after consent; the one-time code becomes the stored token pair. */
export async function registerOauthRoutes(app: FastifyInstance, deps: AppDeps, tokens: TokenStore): Promise<void> {
  app.get('/zalo/oauth/callback', async (req, reply) => {
    const query = ZCallbackQuery.safeParse(req.query);
    reply.type('text/html; charset=utf-8');
    if (!query.success) return reply.code(400).send(page('Liên kết Zalo OA không thành công', 'Đường dẫn trả về thiếu mã xác thực hoặc không hợp lệ.'));
    if (query.data.oa_id && query.data.oa_id !== deps.config.zalo.oaId) {
      return reply.code(400).send(page('Liên kết Zalo OA không thành công', 'Tài khoản OA vừa cấp quyền không phải OA được cấu hình (ZALO_OA_ID).'));
    }
    const pending = await takePendingConsent(deps.database.db, query.data.state, deps.clock.now());
    if (!pending) return reply.code(400).send(page('Liên kết Zalo OA không thành công', 'Phiên cấp quyền đã hết hạn hoặc đã được dùng. Vui lòng tạo lại đường dẫn cấp quyền.'));
    try {
      const status = await tokens.exchangeCode(query.data.code, pending.codeVerifier);
      req.log.info({ accessExpiresAt: status.accessExpiresAt }, 'Zalo OA authorised');
      return reply.send(page('Đã liên kết Zalo OA', 'PAKN Desk đã được cấp quyền gửi tin nhắn từ OA. Có thể đóng trang này.'));
    } catch (err) {
      req.log.error({ err }, 'Zalo OAuth code exchange failed');
      return reply.code(502).send(page('Liên kết Zalo OA không thành công', 'Zalo từ chối mã cấp quyền. Vui lòng thử cấp quyền lại.'));
    }
  });
}
