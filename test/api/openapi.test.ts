import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DOCS_PATH, registerApi } from '../../console/api/api.part.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

interface OpenApiOperation {
  tags?: string[];
  security?: unknown[];
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> };
  responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }>;
}

/** The machine-facing routes are documented at /docs with their input and output schemas. */
describe('OpenAPI document of the JSON API', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, OpenApiOperation>>;

  beforeAll(async () => {
    t = await buildTestApp({ parts: [registerApi] });
    const res = await t.app.inject({ method: 'GET', url: `${API_DOCS_PATH}/json` });
    expect(res.statusCode).toBe(200);
    paths = (res.json() as { paths: typeof paths }).paths;
  });
  afterAll(async () => t?.close());

  it('lists the report submission route with its body, answers and bearer security', () => {
    const post = paths['/api/v1/report-submissions']?.post;
    expect(post).toBeDefined();
    expect(post!.tags).toEqual(['Báo cáo định kỳ']);
    expect(post!.security).toEqual([{ bearerAuth: [] }]);
    const body = post!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(body.properties ?? {})).toEqual(['regimeCode', 'unitCode', 'periodKey', 'status', 'submittedAt', 'externalRef']);
    expect(body.required).toEqual(expect.arrayContaining(['regimeCode', 'unitCode', 'periodKey', 'status', 'submittedAt', 'externalRef']));
    expect(Object.keys(post!.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409']));
    const ok = post!.responses['200']!.content!['application/json']!.schema;
    expect(Object.keys(ok.properties ?? {})).toEqual(['ok', 'submission']);
  });

  it('lists the indicators route with its query parameters and answer', () => {
    const get = paths['/api/v1/indicators']?.get;
    expect(get).toBeDefined();
    expect(get!.tags).toEqual(['Chỉ tiêu thống kê']);
    expect(get!.security).toEqual([{ bearerAuth: [] }]);
    expect(get!.parameters?.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['from', 'to', 'unitCode', 'categoryCode', 'groupBy']);
    const ok = get!.responses['200']!.content!['application/json']!.schema;
    expect(Object.keys(ok.properties ?? {})).toEqual(['from', 'to', 'groupBy', 'filters', 'generatedAt', 'totals', 'groups']);
  });

  it('keeps the cases API and Open311 in the same document', () => {
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/api/v1/cases', '/api/v1/cases/{id}', '/api/v1/cases/{id}/commands', '/open311/v2/services.json']));
  });
});
