import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../runtime/config.js';
import type { Db } from '../../runtime/db.js';
import { findConsoleOfficial, type ConsoleOfficial } from './official-auth.repo.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A console route anyone may open (the login form); every other console route needs a signed-in official. */
    consolePublic?: boolean;
    /**
     * A route an official whose password was issued by an admin may use before choosing their own: the account
     * page with the change form, the change itself and the logout. Every other page sends them there.
     */
    beforePasswordChange?: boolean;
  }
}

export const LOGIN_PATH = '/console/login';
export const INBOX_PATH = '/console/inbox';
/** Tài khoản của tôi, where the password is changed. */
export const ACCOUNT_PATH = '/console/account';

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
 * account, or a session from before the last password change, loses access at once, not when the session
 * expires. A visitor without a valid session is sent to the login page with a plain 302, and the page they
 * wanted is kept in the session for after the login. An official who still has the password an admin issued
 * is sent to the change form from every page but the few that lead there (API tokens are not concerned: the
 * API authenticates without this hook).
 */
export function createAuthHook(deps: { db: Db; config: Pick<Config, 'mode'> }) {
  return async function requireOfficialSession(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    req.consoleOfficial = null;
    const routeConfig = req.routeOptions.config;
    if (routeConfig?.consolePublic) return;

    const officialId = req.session?.officialId;
    if (typeof officialId === 'number') {
      const official = await findConsoleOfficial(deps.db, officialId);
      if (official && mayUseConsole(official, deps.config) && req.session.passwordStamp === official.passwordStamp) {
        req.consoleOfficial = official;
        if (official.passwordChangeRequired && !routeConfig?.beforePasswordChange) return reply.redirect(ACCOUNT_PATH, 303);
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
