import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { httpError, type AppDeps, type AppPart } from '../runtime/app.js';
import { resolveSessionSecret } from '../runtime/session-secret.js';
import { registerAccountRoutes } from './account/account.routes.js';
import { registerAdminRoutes } from './admin/admin.routes.js';
import { registerApi } from './api/api.part.js';
import { LOGIN_MESSAGES } from './auth/login-lockout.js';
import { registerLoginRoutes } from './auth/login.routes.js';
import { createAuthHook } from './auth/session-auth.js';
import { createCaseServiceDeps } from './case-service-deps.js';
import { registerCasePageRoutes } from './cases/case-page.routes.js';
import { createCsrfGuard } from './csrf.js';
import { registerDashboardRoutes } from './dashboard/dashboard.routes.js';
import { registerInboxExportRoutes } from './inbox/inbox-export.routes.js';
import { registerInboxRoutes } from './inbox/inbox.routes.js';
import { createCaseChangeHub } from './live/case-change-hub.js';
import { registerLiveRoutes } from './live/live.routes.js';
import { renderErrorPage } from './page-renderer.js';
import { registerPublicSite } from './public-site/public-site.routes.js';
import { registerReportRoutes } from './reports/reports.routes.js';
import { DbSessionStore } from './session-store.js';
import { CONSOLE_PARTIALS, CONSOLE_PUBLIC_DIR, CONSOLE_VIEWS_DIR, createConsoleHandlebars } from './view-engine.js';

export const CONSOLE_COOKIE_NAME = 'pakn_console';

export interface ConsoleOptions {
  /** Login attempts per client IP (POST /console/login). Officials of one office often share a NAT address. */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** Session lifetime from login: a working day. */
  sessionTtlMs?: number;
  /** Canned answers (templates/answers by default). */
  answerTemplatesDir?: string;
  /** Live updates (GET /console/live): heartbeat period and how many streams a session and the process may hold. */
  live?: { heartbeatMs?: number; maxStreamsPerSession?: number; maxStreamsPerProcess?: number };
}

export const DEFAULT_LOGIN_RATE_LIMIT = { max: 30, timeWindowMs: 60_000 };
export const DEFAULT_CONSOLE_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

const CSRF_REJECTED = 'Biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã bảo vệ). Vui lòng tải lại trang rồi thử lại.';

/**
 * The officials' console under /console, with its own plugins so nothing leaks into the bot's routes; plus
 * what the console's data feeds to the outside: the public page (/cong-khai), the Open311 read API and the
 * JSON API with its OpenAPI docs (/api/v1, /open311/v2, /docs).
 */
export function createConsolePart(options: ConsoleOptions = {}): AppPart {
  return async (app, deps) => {
    await app.register(async (consoleScope) => registerConsoleScope(consoleScope, deps, options), { prefix: '/console' });
    await registerPublicSite(app, deps);
    await registerApi(app, deps);
  };
}

/** chart.js's browser build, served from node_modules: no CDN, so the CSP stays 'self' and works offline. */
async function readChartBundle(): Promise<Buffer> {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFile(join(dirname(entry), 'chart.umd.js'));
}

export const registerConsole: AppPart = createConsolePart();

async function registerConsoleScope(scope: FastifyInstance, deps: AppDeps, options: ConsoleOptions): Promise<void> {
  const isHttps = deps.config.publicBaseUrl.startsWith('https://');

  // No inline script or style anywhere in the console: the JS and CSS are files under /console/assets/.
  await scope.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'self'"],
        'object-src': ["'none'"],
        // Over plain http (demo on a laptop) an upgrade would send the browser to a port that speaks no TLS.
        'upgrade-insecure-requests': isHttps ? [] : null,
      },
    },
    strictTransportSecurity: isHttps ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });

  // Assets sit outside the session scope: a stylesheet needs no session lookup in the database.
  await scope.register(fastifyStatic, {
    root: CONSOLE_PUBLIC_DIR,
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    maxAge: deps.config.mode === 'production' ? '1h' : 0,
  });

  const chartBundle = await readChartBundle();
  scope.get('/assets/vendor/chart.umd.js', async (_req, reply) =>
    reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', deps.config.mode === 'production' ? 'public, max-age=86400' : 'no-cache')
      .send(chartBundle),
  );

  await scope.register(async (pages) => registerConsolePages(pages, deps, options, isHttps));
}

async function registerConsolePages(plain: FastifyInstance, deps: AppDeps, options: ConsoleOptions, isHttps: boolean): Promise<void> {
  const pages = plain.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const sessionStore = new DbSessionStore(db);

  if (!pages.hasContentTypeParser('application/x-www-form-urlencoded')) await pages.register(fastifyFormbody);
  if (!pages.hasRequestDecorator('cookies')) await pages.register(fastifyCookie);
  await pages.register(fastifySession, {
    secret: resolveSessionSecret(deps.config),
    cookieName: CONSOLE_COOKIE_NAME,
    cookie: {
      path: '/console',
      httpOnly: true,
      sameSite: 'lax',
      secure: isHttps,
      maxAge: options.sessionTtlMs ?? DEFAULT_CONSOLE_SESSION_TTL_MS,
    },
    store: sessionStore,
    // No row for visitors who never get a token or a login; and no database write on every page view.
    saveUninitialized: false,
    rolling: false,
  });
  await pages.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, context) => ({ statusCode: context.statusCode, code: 'too_many_requests', message: LOGIN_MESSAGES.tooManyRequests }),
  });
  await pages.register(fastifyView, {
    engine: { handlebars: createConsoleHandlebars() },
    root: CONSOLE_VIEWS_DIR,
    layout: 'layouts/main.hbs',
    options: { partials: CONSOLE_PARTIALS },
    production: process.env.NODE_ENV !== 'development',
  });

  pages.decorateRequest('consoleOfficial', null);
  pages.addHook('onRequest', createAuthHook({ db, config: deps.config }));
  pages.addHook('preHandler', createCsrfGuard((req, reply) => renderErrorPage(req, reply, 403, CSRF_REJECTED, 'Yêu cầu bị từ chối')));

  pages.setErrorHandler(async (err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'console request failed');
    const message = status === 429 ? LOGIN_MESSAGES.tooManyRequests : httpError(status).message;
    try {
      return await renderErrorPage(req, reply, status, message);
    } catch (renderErr) {
      req.log.error({ err: renderErr }, 'console error page failed to render');
      return reply.code(status).type('text/plain; charset=utf-8').send(message);
    }
  });
  pages.setNotFoundHandler((req, reply) => renderErrorPage(req, reply, 404, httpError(404).message, 'Không tìm thấy trang'));

  const caseDeps = createCaseServiceDeps(deps);
  await registerLoginRoutes(pages, {
    deps,
    sessionStore,
    cookieName: CONSOLE_COOKIE_NAME,
    rateLimit: options.loginRateLimit ?? DEFAULT_LOGIN_RATE_LIMIT,
  });
  await registerInboxRoutes(pages, { deps, caseDeps });
  await registerInboxExportRoutes(pages, { deps, caseDeps });
  await registerCasePageRoutes(pages, { deps, caseDeps, answerTemplatesDir: options.answerTemplatesDir });
  await registerDashboardRoutes(pages, { deps, caseDeps });
  await registerReportRoutes(pages, deps);
  await registerAccountRoutes(pages, deps);
  await registerAdminRoutes(pages, deps);
  await registerLiveRoutes(pages, {
    deps,
    hub: createCaseChangeHub({ database: deps.database, logger: deps.logger }),
    sessionStore,
    ...options.live,
  });
}
