import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Page helpers for the case-lifecycle browser test: the sandbox chat as a citizen sees it and the
 * officials' console. Every wait is on a condition (a bubble, a URL, a text), bounded by a timeout.
 */


/** How long the OA may take to answer: webhook → in-process job → outbox → fake Zalo API → 1 s page poll. */
const OA_REPLY_TIMEOUT_MS = 15_000;

const ARTIFACTS = resolve('test-artifacts');

/** `test-artifacts/lifecycle-<name>.png`; returns the path so the test can list what it saved. */
export async function screenshot(page: Page, name: string, saved: string[]): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = resolve(ARTIFACTS, `lifecycle-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  saved.push(path);
}

/** Collects page errors and console errors, so the test can assert a page ran cleanly. */
export function watchProblems(page: Page, who: string, problems: string[]): void {
  page.on('pageerror', (err) => problems.push(`${who} pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium asks for /favicon.ico on its own; the console has none, and that 404 is not a defect.
    if (msg.type() === 'error' && !msg.location().url.includes('favicon')) problems.push(`${who} console: ${msg.text()}`);
  });
}

/** The citizen's phone: the sandbox chat page with one sandbox user selected. */
export class SandboxChat {
  constructor(readonly page: Page) {}

  get oaBubbles(): Locator {
    return this.page.getByTestId('bubble-oa');
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/sandbox`);
  }

  async createUser(displayName: string): Promise<void> {
    await this.page.getByTestId('new-user-name').fill(displayName);
    await this.page.getByTestId('new-user-create').click();
    await expect.poll(() => this.page.getByTestId('chat-user').textContent(), { timeout: 5_000 }).toBe(`Bạn: ${displayName}`);
    await expect.poll(() => this.page.getByTestId('follow-button').isEnabled(), { timeout: 5_000 }).toBe(true);
  }

  /** Runs `act`, then waits until an OA bubble that arrived after it contains `expected`; returns that bubble's text. */
  async expectReply(act: () => Promise<void>, expected: string | RegExp, timeout = OA_REPLY_TIMEOUT_MS): Promise<string> {
    const before = await this.oaBubbles.count();
    await act();
    const pattern = typeof expected === 'string' ? { source: expected, flags: '', literal: true } : { source: expected.source, flags: expected.flags, literal: false };
    // A page-side expression (this project type-checks without the DOM library): the text of the first OA
    // bubble after the `before` ones that matches, or false to keep waiting.
    const handle = await this.page.waitForFunction(
      `(() => {
        const p = ${JSON.stringify(pattern)};
        const re = p.literal ? null : new RegExp(p.source, p.flags);
        const bubbles = Array.from(document.querySelectorAll('[data-testid="bubble-oa"]')).slice(${before});
        const hit = bubbles.find((b) => (re ? re.test(b.textContent || '') : (b.textContent || '').includes(p.source)));
        return hit ? hit.textContent || '' : false;
      })()`,
      undefined,
      { timeout, polling: 100 },
    );
    return (await handle.jsonValue()) as string;
  }

  /** Waits for an OA message that the citizen did not ask for (an official's reply, the answer). */
  async waitForOaText(expected: string, timeout = OA_REPLY_TIMEOUT_MS): Promise<void> {
    await this.oaBubbles.filter({ hasText: expected }).last().waitFor({ state: 'visible', timeout });
  }

  async send(text: string): Promise<void> {
    await this.page.getByTestId('message-input').fill(text);
    await this.page.getByTestId('send-button').click();
    await expect.poll(() => this.page.getByTestId('message-input').inputValue(), { timeout: 5_000 }).toBe('');
  }

  /** Taps the newest OA button with exactly this title (older menus keep their buttons in the log). */
  async tap(title: string): Promise<void> {
    const button = this.page.getByTestId('oa-button').filter({ hasText: new RegExp(`^${escapeRegExp(title)}$`) }).last();
    await button.click();
  }

  async follow(): Promise<void> {
    await this.page.getByTestId('follow-button').click();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Logs an official in through the login form (the CSRF token comes with the page). */
export async function loginToConsole(page: Page, baseUrl: string, login: string, password = 'demo1234'): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.getByLabel('Tên đăng nhập').fill(login);
  await page.getByLabel('Mật khẩu').fill(password);
  await Promise.all([page.waitForURL(`${baseUrl}/console/inbox**`), page.getByRole('button', { name: 'Đăng nhập' }).click()]);
}

/** Submits a command form of the case page and waits for the redirect's success message. */
export async function submitCommand(page: Page, formId: string, button: string, done: string): Promise<void> {
  const form = page.locator(`#${formId}`);
  await Promise.all([page.waitForURL(/\/console\/cases\/\d+$/), form.getByRole('button', { name: button }).click()]);
  expect((await page.locator('main .alert').first().innerText()).trim()).toBe(done);
}

/** Reloads the case page until `check` holds: what the citizen does reaches the page on its next load. */
export async function reloadUntil(page: Page, what: string, check: () => Promise<boolean>, timeoutMs = OA_REPLY_TIMEOUT_MS): Promise<void> {
  let first = true;
  await waitFor(
    what,
    async () => {
      if (!first) await page.reload({ waitUntil: 'domcontentloaded' });
      first = false;
      return check();
    },
    { timeoutMs, intervalMs: 200 },
  );
}
