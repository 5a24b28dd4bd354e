import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';

export const DEMO_PASSWORD = 'demo1234';

/** The hidden `_csrf` value of the first form on a page. */
export function readCsrfToken(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no _csrf field on the page');
  return match[1];
}

/** The hidden `version` value of the forms on a case page. */
export function readVersion(html: string): number {
  const match = /name="version" value="(\d+)"/.exec(html);
  if (!match?.[1]) throw new Error('no version field on the page');
  return Number(match[1]);
}

/**
 * A tiny browser for app.inject: keeps the console's session cookie between requests, so tests read like
 * an official clicking through the console.
 */
export class ConsoleClient {
  cookie: string | null = null;

  constructor(
    private readonly app: FastifyInstance,
    private readonly extraHeaders: Record<string, string> = {},
    /** The peer address of the connection (default 127.0.0.1, i.e. through a proxy on the same host). */
    private readonly remoteAddress?: string,
  ) {}

  private headers(): Record<string, string> {
    return { ...this.extraHeaders, ...(this.cookie ? { cookie: `${CONSOLE_COOKIE_NAME}=${this.cookie}` } : {}) };
  }

  private absorb(res: LightMyRequestResponse): void {
    const cookies = res.cookies as Array<{ name: string; value: string; expires?: Date; maxAge?: number }>;
    for (const c of cookies) {
      if (c.name !== CONSOLE_COOKIE_NAME) continue;
      const cleared = c.value === '' || (c.expires !== undefined && c.expires.getTime() <= Date.now()) || c.maxAge === 0;
      this.cookie = cleared ? null : c.value;
    }
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: this.headers(), ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {}) });
    this.absorb(res);
    return res;
  }

  async post(url: string, form: Record<string, string | number | undefined>): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) if (value !== undefined) body.set(key, String(value));
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: body.toString(),
      ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {}),
    });
    this.absorb(res);
    return res;
  }

  /** GETs a page and posts a form with that page's CSRF token, like a browser submitting it. */
  async submit(pageUrl: string, actionUrl: string, form: Record<string, string | number | undefined>): Promise<LightMyRequestResponse> {
    const page = await this.get(pageUrl);
    return this.post(actionUrl, { _csrf: readCsrfToken(page.body), ...form });
  }

  async login(login: string, password = DEMO_PASSWORD): Promise<LightMyRequestResponse> {
    return this.submit('/console/login', '/console/login', { login, password });
  }

  /** The session id inside the signed cookie (`<sid>.<signature>`). */
  sessionId(): string | null {
    if (!this.cookie) return null;
    const raw = decodeURIComponent(this.cookie);
    return raw.slice(0, raw.lastIndexOf('.'));
  }
}
