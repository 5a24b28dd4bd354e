import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { AppDeps, AppPart } from '../../runtime/app.js';
import { registerOpen311 } from '../open311/open311.routes.js';
import { registerCasesApi } from './cases-api.routes.js';
import { registerIndicatorRoutes } from './indicators.routes.js';
import { registerReportSubmissionRoutes } from './report-submissions.routes.js';

export const API_PREFIX = '/api/v1';
export const API_DOCS_PATH = '/docs';

/**
 * Machine-facing routes documented together: the JSON API under /api/v1 and the Open311 read API. They are
 * registered inside the scope that holds @fastify/swagger, so the OpenAPI document lists them (and not the
 * console's HTML pages); the schemas are the routes' own zod schemas.
 */
export const API_PARTS: AppPart[] = [
  async (scope, deps) =>
    scope.register(
      async (api) => {
        await registerCasesApi(api, deps);
        await registerReportSubmissionRoutes(api, deps);
        await registerIndicatorRoutes(api, deps);
      },
      { prefix: API_PREFIX },
    ),
  registerOpen311,
];

export const registerApi: AppPart = async (app: FastifyInstance, deps: AppDeps) => {
  await app.register(async (docs) => {
    await docs.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'PAKN Desk API',
          description:
            'API của hệ thống tiếp nhận, xử lý phản ánh, kiến nghị. /api/v1 dùng mã truy cập (Bearer) gắn với một cán bộ, phạm vi hồ sơ theo đơn vị của cán bộ đó; /open311/v2 là dữ liệu công khai theo chuẩn Open311 GeoReport v2.',
          version: '1.0.0',
        },
        servers: [{ url: deps.config.publicBaseUrl }],
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      },
      transform: jsonSchemaTransform,
    });
    await docs.register(fastifySwaggerUi, { routePrefix: API_DOCS_PATH, staticCSP: true });
    for (const part of API_PARTS) await part(docs, deps);
  });
};
