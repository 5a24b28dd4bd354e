import { mkdirSync } from 'node:fs';
import { launchChromium } from '../helpers/browser.js';
import { dirname, resolve } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { publishHostileCase } from '../open311/published-world.js';
import { buildWorld, WORLD_PASSWORD, type World } from './console-world.js';

const SCREENSHOT = resolve('test-artifacts/console-dashboard.png');

/** The dashboard's charts and the template preview in Chromium, under the console's real CSP. */
describe('dashboard and admin in a real browser', () => {
  let database: TestDatabase;
  let world: World;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    world = await buildWorld(database);
    await publishHostileCase(world);
    await world.createCaseFor('b');
    await world.t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = world.t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('server has no port');
    baseUrl = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
    await database?.destroy();
  });

  async function openAs(login: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.location().url.includes('favicon')) problems.push(`console: ${msg.text()}`);
    });
    await page.goto(`${baseUrl}/console/login`);
    await page.fill('#login', login);
    await page.fill('#password', WORLD_PASSWORD);
    await Promise.all([page.waitForURL(/\/console\/inbox/), page.press('#password', 'Enter')]);
    return { page, problems };
  }

  it('draws every chart with the locally served chart.js and no CSP violation', { timeout: 60_000 }, async () => {
    const { page, problems } = await openAs(world.official('dispatcher', 'a').login);
    await page.goto(`${baseUrl}/console/dashboard`);
    // Expressions as strings: they run in the page, and this project's TypeScript has no DOM types. Waits go
    // through locators: a string predicate for waitForFunction is eval'd, which the console's CSP forbids.
    await expect.poll(() => page.locator('.chart canvas').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const charts = (await page.evaluate(`({
      holders: document.querySelectorAll('[data-chart]').length,
      canvases: Array.from(document.querySelectorAll('.chart canvas')).map((c) => c.getAttribute('aria-label')),
      chartJs: typeof window.Chart,
    })`)) as { holders: number; canvases: string[]; chartJs: string };
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(charts.chartJs).toBe('function');
    expect(charts.canvases.length).toBe(charts.holders);
    expect(charts.canvases).toContain('Biểu đồ hồ sơ theo trạng thái');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('updates the template preview as the admin types, showing markup as text', { timeout: 60_000 }, async () => {
    const { page, problems } = await openAs(world.official('admin', 'a').login);
    await page.goto(`${baseUrl}/console/admin/templates/edit?name=zalo/case-received`);
    await page.fill('#t-sample', JSON.stringify({ description: '<img src=x onerror=alert(1)>', caseCode: 'PA-2026-000777' }));
    await page.fill('#t-body', 'Mã {{caseCode}} — {{{description}}}');
    await expect.poll(() => page.locator('#template-preview').textContent(), { timeout: 10_000 }).toContain('PA-2026-000777');
    const preview = (await page.evaluate(`({
      text: document.getElementById('template-preview').textContent,
      images: document.getElementById('template-preview').querySelectorAll('img').length,
    })`)) as { text: string; images: number };
    expect(preview.text).toBe('Mã PA-2026-000777 — <img src=x onerror=alert(1)>');
    expect(preview.images).toBe(0);
    await page.fill('#t-body', '{{#if caseCode}}');
    await expect.poll(() => page.locator('#template-preview-error').textContent(), { timeout: 10_000 }).toContain('lỗi cú pháp');
    expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
    await page.close();
  });

  it('shows the public page without any script and with masked data', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ locale: 'vi-VN' });
    const dialogs: string[] = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await page.goto(`${baseUrl}/cong-khai`);
    const text = await page.textContent('main');
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain('{{7*7}}');
    expect(text).not.toContain('0912');
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
