import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerOauthRoutes } from '../../../bot/oauth/oauth.routes.js';
import { createConsentLink } from '../../../bot/oauth/zalo-consent.js';
import { createZaloConnection } from '../../../bot/zalo-connection.js';
import type { TokenStore } from '../../../bot/zalo/token-store.js';
import { buildTestApp, TEST_PUBLIC_BASE_URL, type TestApp } from '../../helpers/build-test-app.js';

const OAUTH = 'https://oauth.zalo.test';
const LIVE_ENV = {
  ZALO_APP_ID: '360846524940903967',
  ZALO_APP_SECRET: 'app-secret',
  ZALO_OA_SECRET_KEY: 'oa-secret',
  ZALO_OA_ID: '388613280878808645',
  ZALO_OAUTH_BASE_URL: OAUTH,
  ZALO_API_BASE_URL: 'https://openapi.zalo.test',
  TOKEN_ENCRYPTION_KEY: 'test-key-for-tokens',
};

describe('Zalo OA authorisation callback', () => {
  let t: TestApp;
  let tokens: TokenStore;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    let store: TokenStore | undefined;
    t = await buildTestApp({
      env: { LOG_LEVEL: 'silent', PUBLIC_BASE_URL: TEST_PUBLIC_BASE_URL, ...LIVE_ENV },
      parts: [
        async (app, deps) => {
          store = createZaloConnection(deps).tokens;
          await registerOauthRoutes(app, deps, store!);
        },
      ],
    });
    tokens = store!;
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    await t?.close();
  });

  it('builds a consent link with state and PKCE, and trades the returned code for a stored pair once', async () => {
    const link = new URL(await createConsentLink(t.database.db, tokens, TEST_PUBLIC_BASE_URL, t.clock.now()));
    expect(link.origin + link.pathname).toBe(`${OAUTH}/v4/oa/permission`);
    expect(link.searchParams.get('redirect_uri')).toBe(`${TEST_PUBLIC_BASE_URL}/zalo/oauth/callback`);
    const state = link.searchParams.get('state')!;

    const exchange = nock(OAUTH, { reqheaders: { secret_key: 'app-secret' } })
      .post('/v4/oa/access_token', (body: Record<string, string>) => body.grant_type === 'authorization_code' && body.code === 'one-time-code' && typeof body.code_verifier === 'string')
      .reply(200, { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: '90000' });

    const ok = await t.app.inject({ method: 'GET', url: `/zalo/oauth/callback?code=one-time-code&state=${state}&oa_id=${LIVE_ENV.ZALO_OA_ID}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('Đã liên kết Zalo OA');
    expect(exchange.isDone()).toBe(true);
    expect((await tokens.getStatus()).status).toBe('ok');
    expect(await tokens.getAccessToken()).toBe('new-access');

    const replay = await t.app.inject({ method: 'GET', url: `/zalo/oauth/callback?code=one-time-code&state=${state}` });
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('hết hạn hoặc đã được dùng');
  });

  it('refuses a callback without a known state or for another OA', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: `/zalo/oauth/callback?code=x&state=${'a'.repeat(32)}` });
    expect(unknown.statusCode).toBe(400);
    const link = new URL(await createConsentLink(t.database.db, tokens, TEST_PUBLIC_BASE_URL, t.clock.now()));
    const otherOa = await t.app.inject({ method: 'GET', url: `/zalo/oauth/callback?code=x&state=${link.searchParams.get('state')}&oa_id=999` });
    expect(otherOa.statusCode).toBe(400);
    const malformed = await t.app.inject({ method: 'GET', url: '/zalo/oauth/callback' });
    expect(malformed.statusCode).toBe(400);
  });
});
