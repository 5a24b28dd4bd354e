import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_PAGE_SIZE } from '../../console/public-site/public-site.routes.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { publishFillerCases, publishHostileCase } from '../open311/published-world.js';
import { buildWorld, type World } from './console-world.js';

describe.each(DRIVERS)('public page /cong-khai on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let published: { id: number; code: string };
  let unpublished: { id: number; code: string };

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    published = await publishHostileCase(world);
    unpublished = await world.createCaseFor('a', { description: 'Chưa công khai' });
    await world.answerCase(unpublished.id, 'a');
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const get = (url: string) => world.t.app.inject({ method: 'GET', url });

  it('shows published cases to anyone, in Vietnamese, with personal data masked', async () => {
    const res = await get('/cong-khai');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(res.body).toContain('<html lang="vi">');
    expect(res.body).toContain('Kết quả giải quyết phản ánh, kiến nghị');
    expect(res.body).toContain(published.code);
    expect(res.body).not.toContain(unpublished.code);
    expect(res.body).toContain('Trật tự xây dựng');
    expect(res.body).toContain('Phường Hoàn Kiếm');
    expect(res.body).toContain('Sở Xây dựng');
    expect(res.body).toContain('[SĐT đã ẩn]');
    expect(res.body).toContain('[email đã ẩn]');
    for (const secret of ['0912', '345 678', 'binh.nguyen', 'example.com', 'Nguyễn Văn Bình', 'Văn Bình']) expect(res.body, secret).not.toContain(secret);
  });

  it('prints a citizen’s markup and template syntax as text', async () => {
    const res = await get('/cong-khai');
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).toContain('{{7*7}}');
    expect(res.body).not.toMatch(/xây trái phép 49/);
    expect(res.body).toContain('Công trình xây trái phép ở &lt;Hàng Bạc&gt;');
  });

  it('filters by category and ward and pages through the list', async () => {
    await publishFillerCases(world, PUBLIC_PAGE_SIZE + 1);
    const byCategory = await get(`/cong-khai?categoryId=${world.categories.a}`);
    expect(byCategory.body).toContain('Có 1 phản ánh đã công khai');
    expect(byCategory.body).toContain(published.code);
    const byWard = await get(`/cong-khai?areaUnitId=${world.units.otherWard}`);
    expect(byWard.body).toContain(`Có ${PUBLIC_PAGE_SIZE + 1} phản ánh đã công khai, trang 1/2`);
    expect(byWard.body).not.toContain(published.code);
    expect(byWard.body).toContain(`href="/cong-khai?areaUnitId=${world.units.otherWard}&amp;page=2" rel="next"`);
    const page2 = await get(`/cong-khai?areaUnitId=${world.units.otherWard}&page=2`);
    expect(page2.body).toContain('trang 2/2');
    expect(page2.body.match(/<article class="public-case"/g)).toHaveLength(1);
    const nonsense = await get('/cong-khai?categoryId=abc&page=-4');
    expect(nonsense.statusCode).toBe(200);
    expect(nonsense.body).toContain(`Có ${PUBLIC_PAGE_SIZE + 2} phản ánh đã công khai`);
  });
});
