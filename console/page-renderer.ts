import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OfficialActor } from '../workflows/cases/actor.js';
import type { ConsoleOfficial } from './auth/official-auth.repo.js';
import { describeRoles } from './auth/role-labels.js';
import { ensureCsrfToken } from './csrf.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in official, set by the console's auth hook; null on public console pages. */
    consoleOfficial: ConsoleOfficial | null;
  }
}

export type NavKey = 'inbox' | 'dashboard' | 'reports' | 'account' | 'admin' | 'none';

/** The actor the workflows check permissions against: the console never decides them itself. */
export function toActor(official: ConsoleOfficial): OfficialActor {
  return { type: 'official', officialId: official.id, unitId: official.unitId, roles: official.roles };
}

export function requireOfficial(req: FastifyRequest): ConsoleOfficial {
  if (!req.consoleOfficial) throw new Error('route registered without the console auth hook');
  return req.consoleOfficial;
}

/**
 * The header console.js sends when it fetches a page in the background to refresh part of it (live updates):
 * such a fetch must not consume the flash that the page the official is navigating to is about to show.
 */
export const LIVE_REFRESH_HEADER = 'x-pakn-live-refresh';

/** Reads and clears the one-shot message of post/redirect/get. */
function takeFlash(req: FastifyRequest) {
  if (req.headers[LIVE_REFRESH_HEADER] === '1') return null;
  const flash = req.session?.flash;
  if (flash && req.session) req.session.flash = undefined;
  return flash ?? null;
}

export function setFlash(req: FastifyRequest, kind: 'success' | 'error', text: string): void {
  if (req.session) req.session.flash = { kind, text };
}

function buildLayoutContext(req: FastifyRequest, nav: NavKey) {
  const official = req.consoleOfficial;
  return {
    csrfToken: req.session ? ensureCsrfToken(req) : '',
    flash: takeFlash(req),
    official: official
      ? {
          fullName: official.fullName,
          unitName: official.unitName,
          rolesLabel: describeRoles(official.roles),
        }
      : null,
    // Until an admin-issued password is replaced every other page leads back to the change form: no links to them.
    nav: official && !official.passwordChangeRequired
      ? [
          { url: '/console/inbox', label: 'Hộp thư', current: nav === 'inbox' },
          { url: '/console/dashboard', label: 'Bảng điều khiển', current: nav === 'dashboard' },
          { url: '/console/reports', label: 'Báo cáo', current: nav === 'reports' },
          ...(official.roles.includes('admin') ? [{ url: '/console/admin', label: 'Quản trị', current: nav === 'admin' }] : []),
          { url: '/console/account', label: 'Tài khoản của tôi', current: nav === 'account' },
        ]
      : [],
  };
}

export interface RenderOptions {
  status?: number;
  nav?: NavKey;
  /** The <title>, before " — PAKN Desk". */
  title: string;
}

/** Renders a view inside the layout with the header, navigation, flash and CSRF token every page needs. */
export async function renderPage(
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: Record<string, unknown>,
  options: RenderOptions,
): Promise<FastifyReply> {
  const html = await reply.viewAsync(view, { ...buildLayoutContext(req, options.nav ?? 'none'), ...data, pageTitle: options.title });
  return reply
    .code(options.status ?? 200)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

/** A page that only says what went wrong, in Vietnamese, with a way back. */
export function renderErrorPage(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  title = 'Không thực hiện được yêu cầu',
): Promise<FastifyReply> {
  return renderPage(req, reply, 'error.hbs', { status, heading: title, message }, { status, title });
}
