import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../runtime/config.js';
import type { Db } from '../../runtime/db.js';
import { findConsoleOfficial, type ConsoleOfficial } from './official-auth.repo.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A console route anyone may open (the login form); every other console route needs a signed-in official. */
    consolePublic?: boolean;
  }
}

export const LOGIN_PATH = '/console/login';
export const INBOX_PATH = '/console/inbox';

/** Whether this official may use the console at all under this configuration. */
export function mayUseConsole(official: Pick<ConsoleOfficial, 'active' | 'isDemo'>, config: Pick<Config, 'mode'>): boolean {
  return official.active && !(config.mode === 'production' && official.isDemo);
}

/** Only console paths, never another origin ("//evil.example") or a scheme. */
export function readReturnTo(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (!/^\/console(?:[/?#]|$)/.test(value) || value.startsWith(LOGIN_PATH)) return null;
  return value;
}

/**
 * onRequest hook of the console pages: loads the official of the session on every request, so a deactivated
 * account loses access at once, not when its session expires. A visitor without a valid session is sent to
 * the login page with a plain 302, and the page they wanted is kept in the session for after the login.
 */
export function createAuthHook(deps: { db: Db; config: Pick<Config, 'mode'> }) {
  return async function requireOfficialSession(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    req.consoleOfficial = null;
    if (req.routeOptions.config?.consolePublic) return;

    const officialId = req.session?.officialId;
    if (typeof officialId === 'number') {
      const official = await findConsoleOfficial(deps.db, officialId);
      if (official && mayUseConsole(official, deps.config)) {
        req.consoleOfficial = official;
        return;
      }
      await req.session.destroy();
    }
    if (req.method === 'GET' && req.session) {
      const wanted = readReturnTo(req.url);
      if (wanted && wanted !== '/console' && wanted !== '/console/' && wanted !== INBOX_PATH) req.session.returnTo = wanted;
    }
    return reply.redirect(LOGIN_PATH, 302);
  };
}
