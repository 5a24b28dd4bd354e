import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEMO_LOGINS, DEMO_PASSWORD } from '../../db/seeds/seed-demo.js';
import type { AppDeps } from '../../runtime/app.js';
import { hashPassword, isTemporaryPasswordHash, passwordStamp, verifyPassword } from '../../runtime/password.js';
import { ensureCsrfToken } from '../csrf.js';
import { renderPage } from '../page-renderer.js';
import type { DbSessionStore } from '../session-store.js';
import { isLockedOut, LOGIN_MESSAGES, minutesLeft } from './login-lockout.js';
import { claimLoginAttempt, findConsoleOfficial, findCredentialsByLogin, recordSuccessfulLogin } from './official-auth.repo.js';
import { ACCOUNT_PATH, INBOX_PATH, LOGIN_PATH, mayUseConsole, readReturnTo } from './session-auth.js';

export const ZLoginForm = z.object({
  login: z.string().trim().toLowerCase().min(1).max(100),
  password: z.string().min(1).max(1000),
});
export type TLoginForm = z.infer<typeof ZLoginForm>;

export interface LoginRouteOptions {
  deps: AppDeps;
  sessionStore: DbSessionStore;
  cookieName: string;
  /** Per client IP, on POST /console/login only. */
  rateLimit: { max: number; timeWindowMs: number };
}

/**
 * A fixed hash to verify against when the login does not exist, so "no such login" takes as long as "wrong
 * password" and response times do not reveal which logins exist.
 */
let decoyHash: Promise<string> | undefined;
const getDecoyHash = () => (decoyHash ??= hashPassword('pakn-desk-decoy-password'));

export async function registerLoginRoutes(scope: FastifyInstance, options: LoginRouteOptions): Promise<void> {
  const { deps, sessionStore } = options;
  const db = deps.database.db;

  const renderLogin = (req: FastifyRequest, reply: FastifyReply, status: number, error: string | null, login = '') =>
    renderPage(
      req,
      reply,
      'login.hbs',
      {
        error,
        login,
        demoLogins: deps.config.mode === 'demo' ? DEMO_LOGINS.map((d) => ({ login: d.login, label: d.label })) : null,
        demoPassword: DEMO_PASSWORD,
      },
      { status, title: 'Đăng nhập' },
    );

  scope.get('/login', { config: { consolePublic: true } }, async (req, reply) => {
    const officialId = req.session.officialId;
    if (typeof officialId === 'number') {
      const official = await findConsoleOfficial(db, officialId);
      if (official && mayUseConsole(official, deps.config) && req.session.passwordStamp === official.passwordStamp) return reply.redirect(INBOX_PATH, 302);
    }
    return renderLogin(req, reply, 200, null);
  });

  scope.post(
    '/login',
    {
      config: {
        consolePublic: true,
        rateLimit: { max: options.rateLimit.max, timeWindow: options.rateLimit.timeWindowMs },
      },
    },
    async (req, reply) => {
      const form = ZLoginForm.safeParse(req.body);
      if (!form.success) return renderLogin(req, reply, 400, LOGIN_MESSAGES.invalidForm);
      const { login, password } = form.data;
      const now = deps.clock.now();

      const credentials = await findCredentialsByLogin(db, login);
      if (!credentials) {
        await verifyPassword(password, await getDecoyHash());
        return renderLogin(req, reply, 401, LOGIN_MESSAGES.wrongCredentials, login);
      }
      // Checked before the password: a locked account must not serve as an oracle for guesses.
      if (credentials.lockedUntil && isLockedOut(credentials.lockedUntil, now)) {
        return renderLogin(req, reply, 423, LOGIN_MESSAGES.locked(minutesLeft(credentials.lockedUntil, now)), login);
      }
      // Counted before the (slow) password check, so guesses sent at once cannot all be checked before the
      // lock lands: the attempt that reaches the threshold locks the account, later ones are refused unchecked.
      const attempt = await claimLoginAttempt(db, credentials.id, now);
      if (!attempt.allowed) {
        if (attempt.lockedUntil && isLockedOut(attempt.lockedUntil, now)) {
          return renderLogin(req, reply, 423, LOGIN_MESSAGES.locked(minutesLeft(attempt.lockedUntil, now)), login);
        }
        return renderLogin(req, reply, 401, LOGIN_MESSAGES.wrongCredentials, login);
      }
      if (!(await verifyPassword(password, credentials.passwordHash))) {
        const { lockedUntil } = attempt;
        req.log.info({ officialId: credentials.id, locked: isLockedOut(lockedUntil, now) }, 'console login failed');
        if (lockedUntil && isLockedOut(lockedUntil, now)) {
          return renderLogin(req, reply, 423, LOGIN_MESSAGES.locked(minutesLeft(lockedUntil, now)), login);
        }
        return renderLogin(req, reply, 401, LOGIN_MESSAGES.wrongCredentials, login);
      }
      // Account state is only revealed to someone who knows the password.
      if (!credentials.active) return renderLogin(req, reply, 403, LOGIN_MESSAGES.inactive, login);
      if (deps.config.mode === 'production' && credentials.isDemo) return renderLogin(req, reply, 403, LOGIN_MESSAGES.demoRefused, login);

      const returnTo = readReturnTo(req.session.returnTo);
      await recordSuccessfulLogin(db, credentials.id);
      // A new session id at the privilege change: an id planted before login (fixation) is worth nothing after.
      await req.session.regenerate();
      req.session.officialId = credentials.id;
      req.session.passwordStamp = passwordStamp(credentials.passwordHash);
      ensureCsrfToken(req);
      const mustChangePassword = isTemporaryPasswordHash(credentials.passwordHash);
      req.log.info({ officialId: credentials.id, mustChangePassword }, 'console login');
      await sessionStore.deleteExpired();
      if (mustChangePassword) {
        // The page they wanted waits until the password an admin handed over has been replaced.
        if (returnTo) req.session.returnTo = returnTo;
        return reply.redirect(ACCOUNT_PATH, 303);
      }
      return reply.redirect(returnTo ?? INBOX_PATH, 303);
    },
  );

  scope.post('/logout', { config: { beforePasswordChange: true } }, async (req, reply) => {
    await req.session.destroy();
    reply.clearCookie(options.cookieName, { path: '/console' });
    return reply.redirect(LOGIN_PATH, 303);
  });
}
