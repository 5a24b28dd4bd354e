import { mkdirSync } from 'node:fs';
import { launchChromium } from '../helpers/browser.js';
import { dirname, resolve } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachments, cases, contacts } from '../../db/schema.js';
import { tinyPng } from '../helpers/png.js';
import { startTestPakn, type TestPakn } from '../helpers/start-test-pakn.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `npm start` as a demo user gets it (startPakn with every part, sandbox mode, demo data), driven in a real
 * browser: the sandbox chat page creates a citizen, follows the OA and goes through the whole intake
 * with buttons, a shared location, an uploaded photo and the contact card, until the case code shows.
 */

const SCREENSHOT = resolve('test-artifacts/sandbox-intake.png');
/** The page polls for new messages every second; its clock is driven by the test (see {@link oaBubble}). */
const POLL_EVERY_MS = 1_000;
const STEP_TIMEOUT_MS = 10_000;

describe('sandbox intake in a real browser', () => {
  let pakn: TestPakn;
  let browser: Browser;

  beforeAll(async () => {
    pakn = await startTestPakn({ driver: 'pg' });
    // The first scheduler tick (demo data, classifier training) finishes before the browser starts.
    await pakn.running.deps.jobs.drain();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pakn?.close();
  });

  /**
   * The newest OA bubble containing `text`, once it is on the page. The page's timers run on a clock
   * the test moves: when the product has finished its jobs, one poll period is played so the page
   * fetches the new messages now instead of after its one-second timer; repeated until the bubble shows.
   */
  async function oaBubble(page: Page, text: string | RegExp): Promise<Locator> {
    const bubble = page.getByTestId('bubble-oa').filter({ hasText: text }).last();
    await waitFor(`an OA message "${String(text)}" on the page`, async () => {
      await pakn.running.deps.jobs.drain();
      if (await bubble.isVisible()) return true;
      await page.clock.runFor(POLL_EVERY_MS);
      return bubble.waitFor({ state: 'visible', timeout: 250 }).then(
        () => true,
        () => false,
      );
    }, { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 0 });
    return bubble;
  }

  /** Taps the newest OA button with this title and waits for the answer that must follow. */
  async function tap(page: Page, title: string, then: string | RegExp): Promise<Locator> {
    await page.getByTestId('oa-button').filter({ hasText: new RegExp(`^${title}$`) }).last().click();
    return oaBubble(page, then);
  }

  async function type(page: Page, text: string, then: string | RegExp): Promise<Locator> {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('send-button').click();
    return oaBubble(page, then);
  }

  it('creates a citizen, follows the OA and files a case with location, photo and contact', { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'vi-VN' });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.location().url.includes('favicon')) problems.push(`console: ${msg.text()}`);
    });

    await page.clock.install();
    await page.goto(`${pakn.url}/sandbox`);
    await page.getByTestId('new-user-name').fill('Nguyễn Văn An');
    await page.getByTestId('new-user-create').click();
    await page.getByTestId('chat-user').filter({ hasText: 'Nguyễn Văn An' }).waitFor({ timeout: STEP_TIMEOUT_MS });

    await page.getByTestId('follow-button').click();
    await oaBubble(page, 'Anh/chị muốn làm gì?');
    await tap(page, 'Gửi phản ánh', 'Anh/chị gửi phản ánh với tư cách nào?');
    await tap(page, 'Người dân', 'thuộc lĩnh vực nào');
    await tap(page, 'Chiếu sáng công cộng', 'Sự việc xảy ra ở đâu?');

    // The location fields come filled with central Hà Nội.
    await page.getByTestId('location-button').click();
    await oaBubble(page, 'Đã nhận vị trí (21.02850, 105.85420)');
    await type(page, 'Ngõ 12 Tràng Tiền, phường Hoàn Kiếm', 'Vui lòng mô tả nội dung phản ánh');
    await type(page, 'Đèn đường ở ngõ 12 Tràng Tiền bị hỏng hai tuần nay, buổi tối rất tối và nguy hiểm.', 'gửi tối đa 5 ảnh');

    await page.getByTestId('image-input').setInputFiles({ name: 'den-duong-ngo-12.png', mimeType: 'image/png', buffer: tinyPng({ width: 24, height: 16 }) });
    await oaBubble(page, 'Đã nhận 1/5 ảnh/tệp.');
    await page.getByTestId('bubble-user').locator('img.bubble-image').last().waitFor({ timeout: STEP_TIMEOUT_MS });
    await tap(page, 'Xong', 'chia sẻ họ tên và số điện thoại');

    const card = page.getByTestId('share-info-form').last();
    await card.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await card.getByTestId('share-info-name').inputValue()).toBe('Nguyễn Văn An');
    await card.getByTestId('share-info-phone').fill('0912 345 678');
    await card.getByTestId('share-info-submit').click();
    await oaBubble(page, 'Anh/chị có đồng ý không?');
    await tap(page, 'Đồng ý', 'Vui lòng kiểm tra thông tin phản ánh');
    const summary = await oaBubble(page, 'Vui lòng kiểm tra thông tin phản ánh');
    expect(await summary.innerText()).toContain('Ảnh/tệp: 1');
    const received = await tap(page, 'Gửi phản ánh', /Mã phản ánh: PA-\d{4}-\d{6}/);
    const code = (await received.innerText()).match(/PA-\d{4}-\d{6}/)?.[0];
    await oaBubble(page, `Phản ánh ${code} đã được chuyển đến`);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    // What the browser showed is what the database holds.
    const db = pakn.running.deps.database.db;
    const [c] = await db.select().from(cases).where(eq(cases.code, code!));
    expect(c).toMatchObject({ channel: 'zalo', latitude: 21.0285, longitude: 105.8542, address: 'Ngõ 12 Tràng Tiền, phường Hoàn Kiếm', consentVersion: 'pakn-zalo-2026-01' });
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, c!.contactId!));
    expect(contact).toMatchObject({ fullName: 'Nguyễn Văn An', phone: '0912345678' });
    const photo = await waitFor('the photo to be stored', async () => {
      const [row] = await db.select().from(attachments).where(eq(attachments.caseId, c!.id)).orderBy(asc(attachments.id));
      return row?.status === 'stored' ? row : undefined;
    });
    expect(photo).toMatchObject({ kind: 'image', mime: 'image/png' });
  });
});
