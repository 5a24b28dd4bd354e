import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { queryRows } from '../../runtime/db.js';
import { PRODUCT_PARTS } from '../../runtime/parts.js';
import { ConsoleClient, readCsrfToken } from '../console/console-client.js';
import { buildWorld, SESSION_SECRET, WORLD_PASSWORD, type World } from '../console/console-world.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * CSRF on every state-changing route of the product, found from the routes Fastify actually registered (an
 * onRoute hook installed before the product's parts), so a route added later is covered without anyone
 * remembering to list it here:
 * - every POST/PUT/PATCH/DELETE under /console refuses a missing, wrong, foreign-session, query-string or
 *   header-only-wrong token with the 403 CSRF page, and the database does not change; the same request with the
 *   session's own token gets past the guard (so the 403 was the token's doing, not a bad URL or a role check);
 * - a state-changing route outside /console must be in ALLOWED_WITHOUT_CSRF with the reason it needs no token;
 * - console GET routes change nothing in the database (a GET that writes would be a CSRF hole of its own).
 *
 * Already proven in test/console/console-access.test.ts ("answers 403 with a Vietnamese page when the CSRF token
 * is missing or wrong"): the login form, logout and one case command, and the cookie's SameSite=Lax/HttpOnly.
 */

const CSRF_PAGE = 'Biểu mẫu đã hết hạn hoặc không hợp lệ';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** State-changing routes outside the console's cookie session, and why no CSRF token is needed there. */
const ALLOWED_WITHOUT_CSRF: Array<{ pattern: RegExp; reason: string }> = [
  { pattern: /^\/zalo\/webhook$/, reason: 'Zalo → server, authenticated by X-ZEvent-Signature over the body; no cookie involved' },
  {
    pattern: /^\/api\/v1\//,
    reason: 'bearer API tokens only; the console cookie is scoped to Path=/console and is not accepted here (checked below)',
  },
  {
    pattern: /^\/sandbox\//,
    reason: 'the local fake Zalo, registered only when ZALO_APP_ID is unset (demo); no session, nothing to ride on',
  },
];

/** A value for each path parameter, so a request reaches the guard (and, with a token, the handler). */
const PARAM_SAMPLES: Record<string, string> = {
  id: '999999',
  type: 'add_note',
  attachmentId: '999999',
  day: '2026-03-10',
};

/** GET routes that do not answer a plain request (a stream that stays open) or are files, skipped by the GET check. */
const GET_CHECK_SKIPPED = [/^\/console\/live$/, /^\/console\/assets\//];

interface Route {
  method: string;
  url: string;
}

function fillParams(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => {
    const sample = PARAM_SAMPLES[name];
    if (sample === undefined) throw new Error(`no sample value for :${name} in ${url}: add one to PARAM_SAMPLES`);
    return sample;
  });
}

describe('CSRF protection of every state-changing route', () => {
  let database: TestDatabase;
  let world: World;
  let t: TestApp;
  const routes: Route[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    world = await buildWorld(database);
    const collect = async (app: FastifyInstance) => {
      app.addHook('onRoute', (route: RouteOptions) => {
        for (const method of [route.method].flat()) routes.push({ method, url: route.url });
      });
    };
    // The whole product's HTTP side, as npm start registers it.
    t = await buildTestApp({ parts: [collect, ...PRODUCT_PARTS.flatMap((p) => (p.http ? [p.http] : []))], database, env: { SESSION_SECRET } });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await world?.close();
    await database?.destroy();
  });

  const stateChanging = () => routes.filter((r) => STATE_CHANGING.has(r.method));
  const consoleRoutes = () => stateChanging().filter((r) => r.url.startsWith('/console/'));

  /** A fingerprint of every table but the session store (visitors get sessions; that is not a change of state). */
  async function snapshot(): Promise<Record<string, string>> {
    const tables = await queryRows<{ name: string }>(
      database.db,
      sql`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not in ('sessions') order by 1`,
    );
    const out: Record<string, string> = {};
    for (const { name } of tables) {
      const [row] = await queryRows<{ h: string | null; n: number }>(
        database.db,
        sql.raw(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h, count(*)::int as n from "${name}" t`),
      );
      out[name] = `${row?.n}:${row?.h}`;
    }
    return out;
  }

  async function signedIn(login: string): Promise<{ client: ConsoleClient; token: string }> {
    const client = new ConsoleClient(t.app);
    const res = await client.login(login, WORLD_PASSWORD);
    expect(res.statusCode, `login ${login}`).toBe(303);
    return { client, token: readCsrfToken((await client.get('/console/inbox')).body) };
  }

  function send(client: ConsoleClient, route: Route, url: string, options: { form?: Record<string, string>; headers?: Record<string, string>; json?: unknown }) {
    const headers: Record<string, string> = { cookie: `${CONSOLE_COOKIE_NAME}=${client.cookie ?? ''}`, ...options.headers };
    if (options.json !== undefined) {
      return t.app.inject({ method: route.method as 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(options.json) });
    }
    return t.app.inject({
      method: route.method as 'POST',
      url,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(options.form ?? {}).toString(),
    });
  }

  const isCsrfRefusal = (res: LightMyRequestResponse) => res.statusCode === 403 && res.body.includes(CSRF_PAGE);

  it('finds the product’s routes, and every state-changing one outside /console is allowed for a stated reason', () => {
    expect(consoleRoutes().length).toBeGreaterThan(20);
    expect(consoleRoutes().map((r) => r.url)).toEqual(expect.arrayContaining(['/console/login', '/console/logout', '/console/cases/:id/commands/:type']));
    const outside = stateChanging().filter((r) => !r.url.startsWith('/console/'));
    const unexplained = outside.filter((r) => !ALLOWED_WITHOUT_CSRF.some((a) => a.pattern.test(r.url)));
    expect(unexplained, 'a state-changing route outside /console needs CSRF protection or a reason in ALLOWED_WITHOUT_CSRF').toEqual([]);
  });

  it('refuses every console POST/PUT/PATCH/DELETE without the session’s token, changing nothing', async () => {
    const admin = await signedIn('admin-a');
    const other = await signedIn('handler-a');
    expect(other.token).not.toBe(admin.token);
    // The login form is posted before login: an anonymous session with its own token.
    const visitor = new ConsoleClient(t.app);
    const visitorToken = readCsrfToken((await visitor.get('/console/login')).body);

    const before = await snapshot();
    const leaks: string[] = [];
    for (const route of consoleRoutes()) {
      const url = fillParams(route.url);
      const client = route.url === '/console/login' ? visitor : admin.client;
      const ownToken = route.url === '/console/login' ? visitorToken : admin.token;
      const form = { text: 'ghi chú', version: '1', name: 'zalo/case-received', body: 'x', login: 'admin-a', password: WORLD_PASSWORD };
      const attempts: Array<[string, Promise<LightMyRequestResponse>]> = [
        ['no token', send(client, route, url, { form })],
        ['empty token', send(client, route, url, { form: { ...form, _csrf: '' } })],
        ['wrong token of the right length', send(client, route, url, { form: { ...form, _csrf: randomBytes(32).toString('base64url') } })],
        ['another official’s token', send(client, route, url, { form: { ...form, _csrf: other.token } })],
        ['the right token in the query string only', send(client, route, `${url}?_csrf=${encodeURIComponent(ownToken)}`, { form })],
        ['a wrong token in the header', send(client, route, url, { form, headers: { 'x-csrf-token': 'x'.repeat(43) } })],
        ['a JSON body without a token', send(client, route, url, { json: form })],
        ['a JSON body with a wrong token', send(client, route, url, { json: { ...form, _csrf: other.token } })],
      ];
      for (const [what, pending] of attempts) {
        const res = await pending;
        if (!isCsrfRefusal(res)) leaks.push(`${route.method} ${route.url} with ${what}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // Still signed in: a refused form does not end the session.
    expect((await admin.client.get('/console/inbox')).statusCode).toBe(200);
  }, 120_000);

  it('lets the same requests past the guard with the session’s own token (the 403 above was the token’s doing)', async () => {
    const admin = await signedIn('admin-a');
    const visitor = new ConsoleClient(t.app);
    const visitorToken = readCsrfToken((await visitor.get('/console/login')).body);
    const blocked: string[] = [];
    // Logout last: it ends the session the others use.
    const ordered = [...consoleRoutes()].sort((a, b) => Number(a.url === '/console/logout') - Number(b.url === '/console/logout'));
    for (const route of ordered) {
      const login = route.url === '/console/login';
      // Nothing that exists (id 999999) and, for the login, no credentials: the handler refuses or finds nothing.
      const res = await send(login ? visitor : admin.client, route, fillParams(route.url), { form: { _csrf: login ? visitorToken : admin.token } });
      if (isCsrfRefusal(res) || res.statusCode >= 500) blocked.push(`${route.method} ${route.url}: ${res.statusCode}`);
    }
    expect(blocked).toEqual([]);
    // The header form of the token works too (small scripts without a form body), for its own session only.
    const fresh = await signedIn('admin-a');
    const stranger = await signedIn('handler-a');
    const headerOf = (token: string) => ({ cookie: `${CONSOLE_COOKIE_NAME}=${fresh.client.cookie}`, 'x-csrf-token': token });
    expect(isCsrfRefusal(await t.app.inject({ method: 'POST', url: '/console/logout', headers: headerOf(stranger.token) }))).toBe(true);
    const own = await t.app.inject({ method: 'POST', url: '/console/logout', headers: headerOf(fresh.token) });
    expect(own.statusCode).toBe(303);
  }, 120_000);

  it('does not let the console cookie act on the bearer-token API', async () => {
    const admin = await signedIn('dispatcher-a');
    const c = await world.createCaseFor('a');
    const versionOf = async () => Number((await queryRows<{ version: number }>(database.db, sql`select version from cases where id = ${c.id}`))[0]?.version);
    const version = await versionOf();
    for (const route of stateChanging().filter((r) => r.url.startsWith('/api/v1/'))) {
      const url = route.url.replace(':id', String(c.id));
      const res = await t.app.inject({
        method: route.method as 'POST',
        url,
        headers: { cookie: `${CONSOLE_COOKIE_NAME}=${admin.client.cookie}`, 'content-type': 'application/json' },
        // A body the route would accept from a token holder, so only the missing token can refuse it.
        payload: JSON.stringify({ command: { type: 'add_note', text: 'qua cookie' }, expectedVersion: version }),
      });
      expect(res.statusCode, `${route.method} ${url}: ${res.body.slice(0, 200)}`).toBe(401);
    }
    expect(await versionOf()).toBe(version);
  });

  it('changes nothing on any console GET', async () => {
    const admin = await signedIn('admin-a');
    const c = await world.createCaseFor('a', { description: 'Kiểm tra GET' });
    const before = await snapshot();
    const gets = routes.filter((r) => r.method === 'GET' && r.url.startsWith('/console/') && !GET_CHECK_SKIPPED.some((p) => p.test(r.url)));
    expect(gets.length).toBeGreaterThan(10);
    for (const route of gets) {
      const url = fillParams(route.url).replace('/cases/999999', `/cases/${c.id}`);
      const res = await admin.client.get(url);
      expect(res.statusCode, `GET ${url}`).toBeLessThan(500);
    }
    expect(await snapshot()).toEqual(before);
  }, 120_000);
});
