import { mkdirSync } from 'node:fs';
import { launchChromium } from '../helpers/browser.js';
import { dirname, resolve } from 'node:path';
import { eq } from 'drizzle-orm';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaseServiceDeps } from '../../console/case-service-deps.js';
import { registerConsole } from '../../console/console.routes.js';
import { categories, units } from '../../db/schema.js';
import { seedAll } from '../../runtime/seed.js';
import { createCase } from '../../workflows/cases/case-service.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const SCREENSHOT = resolve('test-artifacts/console-inbox.png');

describe('console in a real browser', () => {
  let database: TestDatabase;
  let t: TestApp;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedAll(database.db, { demo: true });
    t = await buildTestApp({ parts: [registerConsole], database, env: { SESSION_SECRET: 'e2e-session-secret-0123456789abcdef0123' } });

    // A few cases, so the screenshot shows a working inbox rather than an empty one.
    const caseDeps = createCaseServiceDeps(t.deps);
    const [other] = await database.db.select({ id: categories.id }).from(categories).where(eq(categories.code, 'khac'));
    const [ward] = await database.db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
    for (const description of [
      'Đề nghị lắp thêm đèn chiếu sáng ở ngõ 12 phố Hàng Bạc, buổi tối rất tối và nguy hiểm.',
      'Vỉa hè trước số 35 đường Láng bị lún, người đi bộ phải đi xuống lòng đường.',
      'Cửa hàng ăn uống lấn chiếm vỉa hè <b>cả ngày</b>, đề nghị phường kiểm tra.',
    ]) {
      await createCase(caseDeps, { channel: 'zalo', contact: null, contactKind: 'citizen', categoryId: other?.id ?? null, areaUnitId: ward?.id ?? null, description });
    }

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('server has no port');
    baseUrl = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await database?.destroy();
  });

  it('logs in with the keyboard only and lands on the inbox', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // Chromium asks for /favicon.ico on its own; the console has none, and that 404 is not a defect.
      if (msg.type() === 'error' && !msg.location().url.includes('favicon')) problems.push(`console: ${msg.text()}`);
    });

    await page.goto(`${baseUrl}/console`);
    expect(page.url()).toBe(`${baseUrl}/console/login`);

    const focusedId = () => page.evaluate('document.activeElement ? document.activeElement.id || document.activeElement.className : ""');
    // The first Tab stop is the skip link, as on every console page.
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('skip-link');
    for (let i = 0; i < 10 && (await focusedId()) !== 'login'; i++) await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('login');
    await page.keyboard.type('dieuphoi');
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('password');
    await page.keyboard.type('demo1234');
    await Promise.all([page.waitForURL(`${baseUrl}/console/inbox`), page.keyboard.press('Enter')]);

    expect(await page.locator('h1').innerText()).toContain('Hộp thư');
    expect(await page.locator('.who-name').innerText()).toBe('Nguyễn Thị Điều Phối');
    expect(await page.locator('.case-table tbody tr').count()).toBe(3);
    expect(await page.locator('.case-table').innerText()).toContain('<b>cả ngày</b>');

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
