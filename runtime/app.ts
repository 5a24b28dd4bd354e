import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db.js';
import { registerHealthRoutes } from './http/health.routes.js';
import type { JobRunner } from './jobs/job.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface AppDeps {
  config: Config;
  database: Database;
  clock: Clock;
  logger: Logger;
  jobs: JobRunner;
  metrics: Metrics;
}

/** Registers a product part (bot, console, sandbox) on the app with the shared dependencies. */
export type AppPart = (app: FastifyInstance, deps: AppDeps) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
}

/** Machine-readable error codes with the Vietnamese text shown to people. */
const HTTP_ERROR_MESSAGES: Record<number, { code: string; message: string }> = {
  400: { code: 'bad_request', message: 'Yêu cầu không hợp lệ.' },
  401: { code: 'unauthorized', message: 'Chưa đăng nhập hoặc chữ ký không hợp lệ.' },
  403: { code: 'forbidden', message: 'Bạn không có quyền thực hiện thao tác này.' },
  404: { code: 'not_found', message: 'Không tìm thấy trang hoặc dữ liệu yêu cầu.' },
  409: { code: 'conflict', message: 'Dữ liệu đã thay đổi, vui lòng tải lại.' },
  413: { code: 'payload_too_large', message: 'Dữ liệu gửi lên quá lớn.' },
  415: { code: 'unsupported_media_type', message: 'Định dạng dữ liệu không được hỗ trợ.' },
  429: { code: 'too_many_requests', message: 'Quá nhiều yêu cầu, vui lòng thử lại sau.' },
  500: { code: 'internal_error', message: 'Hệ thống gặp lỗi, vui lòng thử lại sau.' },
};

export function httpError(status: number, details?: unknown) {
  const known = HTTP_ERROR_MESSAGES[status] ?? HTTP_ERROR_MESSAGES[500]!;
  return { error: known.code, message: known.message, ...(details === undefined ? {} : { details }) };
}

/** A hop count means "the nearest n proxies", which Fastify takes as a function of the hop. */
function trustProxyOption(setting: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

export async function buildApp(deps: AppDeps, parts: AppPart[] = [], serverOptions: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: 1024 * 1024,
    trustProxy: trustProxyOption(deps.config.trustProxy),
    ...serverOptions,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('deps', deps);

  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpDuration
      .labels(req.method, req.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: err.code, status }, 'request rejected');
    const details = err.validation ? err.validation : status < 500 ? { reason: err.message } : undefined;
    return reply.code(status).send(httpError(status, details));
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(httpError(404)));

  await registerHealthRoutes(app, {
    checks: [
      { name: 'database', check: () => deps.database.ping() },
      ...(deps.jobs.engine === 'bullmq' ? [{ name: 'redis', check: () => deps.jobs.ping() }] : []),
    ],
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  for (const part of parts) await part(app, deps);
  return app;
}
