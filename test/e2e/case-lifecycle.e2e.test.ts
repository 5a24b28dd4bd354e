import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../runtime/clock.js';
import { startTestPakn, type TestPakn } from '../helpers/start-test-pakn.js';
import { loginToConsole, reloadUntil, SandboxChat, screenshot, submitCommand, watchProblems } from './lifecycle-pages.js';

/**
 * Issue 5 item 8: one case from the citizen's first message to "Hoàn thành", through the real product
 * (startPakn with every part, embedded PGlite in a temporary DATA_DIR, a clock advancing at real speed,
 * the sandbox's fake Zalo over HTTP) in a real browser, one browser context per person.
 */

/**
 * A working Tuesday, 01:00 in Hà Nội, moving at real speed: the dates on the pages are fixed, and the
 * nightly classifier retrain (due from 02:00 local, once a day) stays out of the scheduler's first tick,
 * where it would hold the single-process server for seconds while the citizen starts chatting.
 */
const CLOCK_START = '2026-03-10T01:00:00+07:00';

const CITIZEN = { name: 'Nguyễn Văn An', phone: '0912345678' };
const PLACE = 'Số 5 Hàng Bông, phường Hoàn Kiếm';
const DESCRIPTION = 'Biển quảng cáo trước số 5 Hàng Bông bị gió làm nghiêng, có nguy cơ rơi xuống người đi bộ.';
const HANDLER_QUESTION = 'Chào anh, biển quảng cáo nghiêng về phía vỉa hè hay lòng đường ạ?';
const CITIZEN_ANSWER = 'Biển nghiêng về phía vỉa hè, ngay trên lối đi của người đi bộ.';

describe('case lifecycle in a real browser: citizen on Zalo, dispatcher, unit leader, handler', () => {
  let pakn: TestPakn;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const screenshots: string[] = [];
  /** Filled by the lifecycle test; the keyboard pass opens the same case. */
  let caseCode = '';

  async function newPerson(who: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    const page = await context.newPage();
    watchProblems(page, who, problems);
    return page;
  }

  beforeAll(async () => {
    // Fresh embedded PGlite under a temporary DATA_DIR, demo mode, a free port known before the start so
    // PUBLIC_BASE_URL (where the Zalo client calls the sandbox's fake API) is the real listening URL.
    [pakn, browser] = await Promise.all([
      startTestPakn({ driver: 'pglite', clock: advancingClock(CLOCK_START) }),
      launchChromium(),
    ]);
  }, 90_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await pakn?.close();
  });

  it('goes from the citizen\'s Zalo message to a closed case rated "Hài lòng"', { timeout: 90_000 }, async () => {
    const base = pakn.url;

    // ── Citizen: a new sandbox user follows the OA and sends a case of "Lĩnh vực khác" ──
    const chat = new SandboxChat(await newPerson('citizen'));
    await chat.open(base);
    await chat.createUser(CITIZEN.name);
    await chat.expectReply(() => chat.follow(), 'Anh/chị muốn làm gì?');
    await chat.expectReply(() => chat.send('phản ánh'), 'với tư cách nào');
    await chat.expectReply(() => chat.tap('Người dân'), 'thuộc lĩnh vực nào');
    await chat.expectReply(() => chat.tap('Lĩnh vực khác'), 'Sự việc xảy ra ở đâu?');
    await chat.expectReply(() => chat.send(PLACE), 'Phường Hoàn Kiếm');
    await chat.expectReply(() => chat.send(DESCRIPTION), 'Bỏ qua');
    await chat.expectReply(() => chat.tap('Bỏ qua'), 'họ tên và số điện thoại');
    await chat.expectReply(() => chat.send(`${CITIZEN.name}, ${CITIZEN.phone}`), 'Anh/chị có đồng ý không?');
    const summary = await chat.expectReply(() => chat.tap('Đồng ý'), 'kiểm tra thông tin phản ánh');
    expect(summary).toContain('Lĩnh vực: Lĩnh vực khác');

    // ── Dispatcher: the triage inbox is open, listening for changes, while the citizen sends ──
    const dispatcher = await newPerson('dieuphoi');
    await loginToConsole(dispatcher, base, 'dieuphoi');
    expect(await dispatcher.locator('h1').innerText()).toContain('Chờ phân loại');
    await waitUntilLive(dispatcher);
    // Survives only if the list is refreshed in place, not by loading the page again.
    await dispatcher.evaluate('window.__sameDocument = true');

    const received = await chat.expectReply(() => chat.tap('Gửi phản ánh'), /Mã phản ánh: PA-\d{4}-\d{6}/);
    caseCode = /PA-\d{4}-\d{6}/.exec(received)?.[0] ?? '';
    expect(caseCode).not.toBe('');
    await screenshot(chat.page, '01-citizen-code', screenshots);

    // The case has no routing rule, so it waits in "Chờ phân loại": the inbox says so without a reload.
    const banner = dispatcher.locator('[data-live-banner]');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.innerText()).toMatch(/Có \d+ hồ sơ vừa cập nhật\./);
    const row = dispatcher.locator('.case-table tbody tr').filter({ has: dispatcher.getByRole('link', { name: caseCode, exact: true }) });
    expect(await row.count()).toBe(0);
    await screenshot(dispatcher, '02-dispatcher-live-banner', screenshots);
    await banner.getByRole('button', { name: 'Tải lại danh sách' }).click();
    await row.waitFor({ state: 'visible' });
    await banner.waitFor({ state: 'hidden' });
    expect(await dispatcher.evaluate('window.__sameDocument === true')).toBe(true);
    expect(await row.getAttribute('class')).toContain('case-row--updated');
    expect(await row.locator('.status').innerText()).toBe('Đã tiếp nhận (chờ phân loại)');
    await screenshot(dispatcher, '02-dispatcher-triage', screenshots);
    await Promise.all([dispatcher.waitForURL(/\/console\/cases\/\d+$/), row.getByRole('link', { name: caseCode, exact: true }).click()]);
    const caseUrl = dispatcher.url();
    // At triage the page suggests categories from the text, each with its confidence and a one-click apply.
    const triage = dispatcher.locator('#goi-y-phan-loai');
    expect(await triage.getByRole('heading', { name: 'Gợi ý khi phân loại' }).isVisible()).toBe(true);
    expect(await triage.locator('.suggestion').first().innerText()).toMatch(/độ tin cậy (cao|trung bình|thấp) \(\d+%\)/);
    expect(await triage.getByRole('button', { name: /^Áp dụng lĩnh vực / }).count()).toBeGreaterThan(0);
    await screenshot(dispatcher, '02b-dispatcher-triage-suggestions', screenshots);
    await dispatcher.locator('#form-assign-unit').selectOption({ label: 'Phường Hoàn Kiếm' });
    await submitCommand(dispatcher, 'form-assign', 'Chuyển xử lý', 'Đã chuyển hồ sơ cho đơn vị xử lý.');
    expect(await dispatcher.locator('.case-meta .status').innerText()).toBe('Đã chuyển xử lý');
    await screenshot(dispatcher, '03-dispatcher-assigned', screenshots);

    // ── Unit leader accepts; the unit's rule picks the handler ──
    const leader = await newPerson('lanhdao');
    await loginToConsole(leader, base, 'lanhdao');
    await leader.goto(caseUrl);
    expect(await leader.locator('#form-accept-handler').inputValue()).toBe('');
    await submitCommand(leader, 'form-accept', 'Tiếp nhận', 'Đơn vị đã tiếp nhận hồ sơ và giao cán bộ xử lý.');
    expect(await leader.locator('.case-meta .status').innerText()).toBe('Đang xử lý');
    expect(await factOf(leader, 'Cán bộ xử lý')).toBe('Trần Văn Chuyên');
    await screenshot(leader, '04-leader-accepted', screenshots);
    // The leader keeps the case open: what the handler does next reaches this page by itself.
    await waitUntilLive(leader);

    // ── Handler asks the citizen a question from the reply box ──
    const handler = await newPerson('chuyenvien');
    await loginToConsole(handler, base, 'chuyenvien');
    await Promise.all([handler.waitForURL(caseUrl), handler.getByRole('link', { name: caseCode, exact: true }).click()]);
    await handler.getByLabel(/Nội dung tin nhắn/).fill(HANDLER_QUESTION);
    await Promise.all([handler.waitForURL(`${caseUrl}#dong-thoi-gian`), handler.getByRole('button', { name: 'Gửi tin nhắn' }).click()]);
    expect(await handler.locator('main .alert').first().innerText()).toContain('Đã đưa tin nhắn vào hàng đợi gửi qua Zalo');
    await leader.locator('.timeline-item--new').filter({ hasText: HANDLER_QUESTION }).waitFor({ state: 'visible' });
    expect(await leader.locator('[data-live-banner]').isHidden()).toBe(true);

    // ── Citizen sees it in Zalo and answers; the answer lands in the case timeline ──
    await chat.waitForOaText(HANDLER_QUESTION);
    await chat.send(CITIZEN_ANSWER);
    await screenshot(chat.page, '05-citizen-chat', screenshots);
    const timeline = handler.locator('.timeline-list');
    await reloadUntil(handler, 'the citizen\'s answer in the timeline', async () => (await timeline.innerText()).includes(CITIZEN_ANSWER));
    const questionItem = handler.locator('.timeline-item').filter({ hasText: HANDLER_QUESTION });
    await reloadUntil(handler, 'the question delivered', async () => /Trạng thái gửi: (Đã gửi|Đã đến|Người nhận đã xem)/.test(await questionItem.first().innerText()));
    // Once in the timeline, by its author: the delivery updates the message the console recorded.
    expect(await questionItem.count()).toBe(1);
    expect(await questionItem.locator('.timeline-head strong').innerText()).toBe('Trần Văn Chuyên');
    await screenshot(handler, '06-handler-timeline', screenshots);

    // ── Handler drafts the answer from a template ──
    const templates = handler.locator('#form-draft-answer-template');
    const templateValues = await templates.locator('option').evaluateAll((options) => options.map((o) => o.getAttribute('value')));
    expect(templateValues).toContain('da-khac-phuc');
    await templates.selectOption('da-khac-phuc');
    await Promise.all([
      handler.waitForURL((u) => u.searchParams.get('template') === 'da-khac-phuc'),
      handler.locator('#form-draft-answer').getByRole('button', { name: 'Dùng mẫu này' }).click(),
    ]);
    const draft = await handler.locator('#form-draft-answer-text').inputValue();
    expect(draft).toContain(caseCode);
    expect(draft.length).toBeGreaterThan(50);
    await screenshot(handler, '07-handler-template', screenshots);
    await submitCommand(handler, 'form-draft-answer', 'Gửi dự thảo', 'Đã lưu dự thảo trả lời.');
    expect(await handler.locator('.case-meta .status').innerText()).toBe('Chờ duyệt');
    // The leader's open page says the case changed (its forms are now stale) and shows the new step.
    const leaderBanner = leader.locator('[data-live-banner]');
    await leaderBanner.waitFor({ state: 'visible' });
    expect(await leaderBanner.innerText()).toContain('Hồ sơ vừa được cập nhật (trạng thái: Chờ duyệt)');
    await leader.locator('.timeline-item--new').filter({ hasText: 'Dự thảo trả lời' }).waitFor({ state: 'visible' });
    await screenshot(leader, '07b-leader-live-update', screenshots);

    // ── Leader approves: the answer goes to the citizen ──
    await leader.goto(caseUrl);
    expect(await leader.locator('#form-approve-text').inputValue()).toBe(draft);
    await submitCommand(leader, 'form-approve', 'Duyệt và gửi', 'Đã duyệt và gửi trả lời cho người gửi.');
    expect(await leader.locator('.case-meta .status').innerText()).toBe('Đã trả lời');
    await screenshot(leader, '08-leader-approved', screenshots);

    // ── Citizen reads the official answer, rates it "Hài lòng" ──
    await chat.waitForOaText(`Kết quả xử lý phản ánh ${caseCode}`);
    await chat.waitForOaText('Anh/chị đánh giá thế nào về kết quả xử lý?');
    const ratingBubble = chat.oaBubbles.filter({ hasText: 'Anh/chị đánh giá thế nào về kết quả xử lý?' }).last();
    expect(await ratingBubble.getByTestId('oa-button').allInnerTexts()).toEqual(['Hài lòng', 'Chấp nhận', 'Chưa hài lòng']);
    const answerBubble = chat.oaBubbles.filter({ hasText: `Kết quả xử lý phản ánh ${caseCode}` }).last();
    // Verbatim: the draft quotes the description ("…"), which must not reach Zalo as &quot;.
    expect(await answerBubble.innerText()).toContain(firstLine(draft));
    await screenshot(chat.page, '09-citizen-answer', screenshots);
    await chat.expectReply(() => chat.tap('Hài lòng'), `Cảm ơn anh/chị đã đánh giá kết quả xử lý phản ánh ${caseCode}`);
    await screenshot(chat.page, '10-citizen-rated', screenshots);

    // ── The case is closed, with the rating on its page ──
    await reloadUntil(leader, 'the case closed', async () => (await leader.locator('.case-meta .status').innerText()) === 'Hoàn thành');
    expect(await factOf(leader, 'Đánh giá của người gửi')).toBe('Hài lòng');
    await screenshot(leader, '11-case-closed', screenshots);

    expect(problems).toEqual([]);
  });

  it('works with the keyboard alone: skip link, login form, inbox, case page', { timeout: 30_000 }, async () => {
    // The lifecycle's case when that test got far enough; any case of the list otherwise.
    const isTarget = (text: string) => (caseCode ? text === caseCode : /^PA-\d{4}-\d{6}$/.test(text));
    const base = pakn.url;
    const page = await newPerson('keyboard');
    const active = () => page.evaluate<Focused>(DESCRIBE_FOCUS);
    const expectVisibleFocus = async () => {
      const focused = await active();
      if (focused.inDatePicker) return focused;
      expect(focused.outline, `focus ring on <${focused.tag} id="${focused.id}">${focused.text.slice(0, 40)}`).not.toBe('none');
      expect(parseFloat(focused.outlineWidth)).toBeGreaterThan(0);
      return focused;
    };
    const skipToContent = async () => {
      await page.keyboard.press('Tab');
      const skip = await expectVisibleFocus();
      expect(skip.href).toBe('#noi-dung');
      expect(await page.locator('.skip-link').boundingBox().then((box) => (box ? box.y >= 0 : false))).toBe(true);
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await active()).id).toBe('noi-dung');
    };
    /** Tabs forward until `matches` (bounded), checking the focus ring at every stop. */
    const tabTo = async (what: string, matches: (f: Focused) => boolean, max = 40) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const focused = await expectVisibleFocus();
        if (matches(focused)) return focused;
      }
      throw new Error(`${what} not reached in ${max} Tab presses`);
    };

    // Login form: the skip link jumps over the header, Tab reaches the fields, Enter submits.
    await page.goto(`${base}/console/login`);
    await skipToContent();
    await tabTo('the login field', (f) => f.id === 'login', 5);
    await page.keyboard.type('lanhdao');
    await page.keyboard.press('Tab');
    expect((await expectVisibleFocus()).id).toBe('password');
    await page.keyboard.press('Shift+Tab');
    expect((await expectVisibleFocus()).id).toBe('login');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo1234');
    await Promise.all([page.waitForURL(`${base}/console/inbox`), page.keyboard.press('Enter')]);
    await screenshot(page, '12-keyboard-inbox', screenshots);

    // Inbox: skip the navigation, go to the "Tất cả" tab, then to the case and open it.
    await skipToContent();
    await tabTo('the "Tất cả" tab', (f) => f.tag === 'a' && f.text === 'Tất cả', 10);
    await Promise.all([page.waitForURL(/view=all/), page.keyboard.press('Enter')]);
    await skipToContent();
    const link = await tabTo(`the link of ${caseCode || 'a case'}`, (f) => f.tag === 'a' && isTarget(f.text), 60);
    // One step back and forth with Shift+Tab lands on the same link again.
    await page.keyboard.press('Shift+Tab');
    expect((await active()).text).not.toBe(link.text);
    await page.keyboard.press('Tab');
    expect((await expectVisibleFocus()).text).toBe(link.text);
    await Promise.all([page.waitForURL(`${base}${link.href}`), page.keyboard.press('Enter')]);
    expect(await page.locator('h1').innerText()).toBe(`Hồ sơ ${link.text}`);
    await skipToContent();
    await tabTo('the "back to inbox" link', (f) => f.text === '← Về hộp thư', 3);
    await screenshot(page, '13-keyboard-case', screenshots);

    expect(problems).toEqual([]);
  });
});

interface Focused {
  tag: string;
  id: string;
  text: string;
  href: string;
  outline: string;
  outlineWidth: string;
  /** The date field's calendar button lives in Chromium's own shadow tree, which draws its ring itself. */
  inDatePicker: boolean;
}

/** Page-side expression describing document.activeElement (the project type-checks without the DOM library). */
const DESCRIBE_FOCUS = `(() => {
  const el = document.activeElement;
  if (!el) return { tag: '', id: '', text: '', href: '', outline: 'none', outlineWidth: '0px', inDatePicker: false };
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.textContent || '').trim(),
    href: el.getAttribute('href') || '',
    outline: style.outlineStyle,
    outlineWidth: style.outlineWidth,
    inDatePicker: el.matches('input[type="date"]:focus-within:not(:focus)'),
  };
})()`;

/** Waits until the page's live-update stream is connected (console.js marks it on the `ready` event). */
async function waitUntilLive(page: Page): Promise<void> {
  await page.locator('[data-live-state="connected"]').waitFor({ state: 'attached' });
}

/** A clock that starts at `start` and then follows the system clock. */
function advancingClock(start: string): Clock {
  const offset = new Date(start).getTime() - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}

/** The value of a `<dt>label</dt><dd>value</dd>` pair on the case page. */
async function factOf(page: Page, label: string): Promise<string> {
  return (await page.locator('dl.facts dt', { hasText: label }).first().locator('xpath=following-sibling::dd[1]').innerText()).trim();
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim().length > 20)?.trim() ?? text.trim();
}
