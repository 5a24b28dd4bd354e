import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categories } from '../../db/schema.js';
import { buildWorld, type World } from '../console/console-world.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { publishHostileCase } from './published-world.js';

const SERVICE_FIELDS = ['description', 'group', 'keywords', 'metadata', 'service_code', 'service_name', 'type'];
const REQUEST_FIELDS = [
  'address', 'agency_responsible', 'description', 'expected_datetime', 'lat', 'long', 'requested_datetime', 'service_code',
  'service_name', 'service_notice', 'service_request_id', 'status', 'status_notes', 'updated_datetime',
];

describe.each(DRIVERS)('Open311 GeoReport v2 on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let published: { id: number; code: string };
  let unpublished: { id: number; code: string };
  let categoryCode: string;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    published = await publishHostileCase(world);
    unpublished = await world.createCaseFor('a', { description: 'Chưa công khai' });
    const [row] = await database.db.select({ code: categories.code }).from(categories).where(eq(categories.id, world.categories.a));
    categoryCode = row!.code;
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const get = (url: string) => world.t.app.inject({ method: 'GET', url });

  it('lists categories as services with the GeoReport field names', async () => {
    const res = await get('/open311/v2/services.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const services = res.json() as Array<Record<string, unknown>>;
    expect(services.length).toBe(2);
    for (const s of services) {
      expect(Object.keys(s).sort()).toEqual(SERVICE_FIELDS);
      expect(s).toMatchObject({ metadata: false, type: 'realtime', group: 'Phản ánh, kiến nghị' });
    }
    expect(services.find((s) => s.service_code === categoryCode)).toMatchObject({ service_name: 'Trật tự xây dựng', description: 'Trật tự xây dựng' });
  });

  it('lists published requests only, masked, with the location rounded and no media_url', async () => {
    const res = await get('/open311/v2/requests.json');
    expect(res.statusCode).toBe(200);
    const list = res.json() as Array<Record<string, unknown>>;
    expect(list.map((r) => r.service_request_id)).toEqual([published.code]);
    const r = list[0]!;
    expect(Object.keys(r).sort()).toEqual(REQUEST_FIELDS);
    expect(r).toMatchObject({
      service_request_id: published.code,
      status: 'closed',
      service_code: categoryCode,
      service_name: 'Trật tự xây dựng',
      agency_responsible: 'Sở Xây dựng',
      address: 'Phường Hoàn Kiếm',
      lat: 21.035,
      long: 105.852,
      requested_datetime: '2026-03-02T09:00:00+07:00',
      expected_datetime: '2026-03-16T17:30:00+07:00',
      service_notice: 'Hạn trả lời theo quy định: 16/03/2026',
    });
    expect(r.updated_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+07:00$/);
    // Plain strings: JSON carries the citizen's markup and braces as text, never evaluated.
    expect(r.description).toContain('<script>alert(1)</script>');
    expect(r.description).toContain('{{7*7}}');
    expect(r.description).toContain('[SĐT đã ẩn]');
    expect(r.status_notes).toContain('[SĐT đã ẩn]');
    for (const secret of ['0912', '345 678', 'binh.nguyen', 'Nguyễn Văn Bình', 'Văn Bình']) expect(res.body, secret).not.toContain(secret);
    expect(res.body).not.toContain('media_url');
    expect(res.body).not.toContain(unpublished.code);
  });

  it('filters by service_code, status and dates, and answers errors in the spec shape', async () => {
    const ids = async (query: string) => ((await get(`/open311/v2/requests.json?${query}`)).json() as Array<{ service_request_id: string }>).map((r) => r.service_request_id);
    expect(await ids(`service_code=${categoryCode}`)).toEqual([published.code]);
    expect(await ids('service_code=khong-co')).toEqual([]);
    expect(await ids('status=closed')).toEqual([published.code]);
    expect(await ids('status=open')).toEqual([]);
    expect(await ids('status=open,closed')).toEqual([published.code]);
    expect(await ids(`start_date=${encodeURIComponent('2026-03-02T00:00:00+07:00')}&end_date=${encodeURIComponent('2026-03-02T23:59:59+07:00')}`)).toEqual([published.code]);
    expect(await ids('start_date=2026-03-02T09:00:01Z')).toEqual([]);
    expect(await ids('start_date=2026-03-03')).toEqual([]);
    expect(await ids('end_date=2026-03-01')).toEqual([]);
    expect(await ids(`service_request_id=${published.code},${unpublished.code}&status=open`)).toEqual([published.code]);
    expect(await ids('jurisdiction_id=hanoi.gov.vn')).toEqual([published.code]);

    const bad = await get('/open311/v2/requests.json?start_date=hom-qua&status=pending');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual([{ code: 400, description: 'Tham số không hợp lệ.' }]);
  });

  it('serves one request by its case code, and 404 for unknown or unpublished codes', async () => {
    const one = await get(`/open311/v2/requests/${published.code}.json`);
    expect(one.statusCode).toBe(200);
    const body = one.json() as Array<Record<string, unknown>>;
    expect(body).toHaveLength(1);
    expect(body[0]!.service_request_id).toBe(published.code);
    const lower = await get(`/open311/v2/requests/${published.code.toLowerCase()}.json`);
    expect(lower.statusCode).toBe(200);
    for (const code of [unpublished.code, 'PA-1999-000001']) {
      const res = await get(`/open311/v2/requests/${code}.json`);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject([{ code: 404 }]);
    }
    expect((await get('/open311/v2/services.xml')).statusCode).toBe(404);
  });

  it('documents the Open311 and JSON API routes in the OpenAPI document', async () => {
    const spec = (await get('/docs/json')).json() as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/open311/v2/services.json', '/open311/v2/requests.json', '/open311/v2/requests/{id}.json', '/api/v1/cases', '/api/v1/cases/{id}', '/api/v1/cases/{id}/commands']),
    );
    expect(Object.keys(spec.paths).some((p) => p.startsWith('/console'))).toBe(false);
    const ui = await get('/docs');
    expect([200, 302]).toContain(ui.statusCode);
  });
});
