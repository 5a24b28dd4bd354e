import { eq, sql } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenStore, type TokenStoreOptions } from '../../../bot/zalo/token-store.js';
import { ZaloApiError, ZaloGrantDeadError, ZaloTokenMissingError } from '../../../bot/zalo/zalo-errors.js';
import { zaloTokens } from '../../../db/schema.js';
import { createFakeClock, type FakeClock } from '../../../runtime/clock.js';
import { openDatabase, queryRows, type Database, type Db } from '../../../runtime/db.js';
import { createLogger } from '../../../runtime/logger.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../../helpers/db.js';

const OAUTH = 'https://oauth.zaloapp.com';
const OA_ID = '388613280878808645';
const APP_ID = '360846524940903967';
const APP_SECRET = 'app-secret-for-oauth';
const HOUR = 3_600_000;

/** Everything the store logs, to prove no token ever reaches the logs. */
const logLines: string[] = [];
const logger = createLogger({ level: 'debug', destination: { write: (line: string) => logLines.push(line) } });

function refreshBody(refreshToken: string) {
  return { app_id: APP_ID, grant_type: 'refresh_token', refresh_token: refreshToken };
}

function oauth() {
  return nock(OAUTH, { reqheaders: { secret_key: APP_SECRET, 'content-type': 'application/x-www-form-urlencoded' } });
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

describe.each(DRIVERS)('zalo token store on %s', (driver) => {
  let database: TestDatabase;
  let clock: FakeClock;

  const makeStore = (overrides: Partial<TokenStoreOptions> = {}) =>
    createTokenStore({
      db: database.db,
      oaId: OA_ID,
      appId: APP_ID,
      appSecret: APP_SECRET,
      oauthBaseUrl: OAUTH,
      encryptionKey: 'test-token-encryption-key',
      clock,
      logger,
      ...overrides,
    });

  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());
  beforeEach(async () => {
    clock = createFakeClock('2026-03-02T08:00:00+07:00');
    await database.db.delete(zaloTokens);
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });

  it('seeds once and keeps both tokens encrypted at rest', async () => {
    const store = makeStore();
    await expect(store.seed({ accessToken: 'at-seed-1', refreshToken: 'rt-seed-1', expiresInSec: 90_000 })).resolves.toBe(true);
    await expect(store.seed({ accessToken: 'at-other', refreshToken: 'rt-other', expiresInSec: 90_000 })).resolves.toBe(false);

    const [row] = await queryRows<{ access_token_enc: string; refresh_token_enc: string }>(
      database.db,
      sql`select access_token_enc, refresh_token_enc from zalo_tokens where oa_id = ${OA_ID}`,
    );
    expect(row!.access_token_enc).not.toContain('at-seed-1');
    expect(row!.refresh_token_enc).not.toContain('rt-seed-1');
    expect(row!.access_token_enc).toMatch(/^v1\./);
    expect(Buffer.from(row!.access_token_enc.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('at-seed');

    await expect(store.getAccessToken()).resolves.toBe('at-seed-1');
    await expect(store.getStatus()).resolves.toMatchObject({
      status: 'ok',
      accessExpiresAt: new Date(clock.now().getTime() + 90_000_000),
      refreshIssuedAt: clock.now(),
      lastError: null,
    });
    // Another key cannot read them (a changed TOKEN_ENCRYPTION_KEY is reported, not mis-decrypted).
    await expect(makeStore({ encryptionKey: 'another-key' }).getAccessToken()).rejects.toThrow(/TOKEN_ENCRYPTION_KEY/);
  });

  it('without a row, says the OA is not connected', async () => {
    await expect(makeStore().getAccessToken()).rejects.toBeInstanceOf(ZaloTokenMissingError);
    await expect(makeStore().getStatus()).resolves.toMatchObject({ status: 'missing' });
  });

  it('refreshes ahead of expiry (less than 1 h left) and persists the new pair before returning it', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInSec: 90_000 });
    clock.advance(24 * HOUR + 1);
    expect(await store.getAccessToken()).toBe('at-1'); // exactly 1 h left: not yet
    clock.advance(60_000);
    // `expires_in` is a string on the wire.
    oauth().post('/v4/oa/access_token', refreshBody('rt-1')).reply(200, { access_token: 'at-2', refresh_token: 'rt-2', expires_in: '90000' });
    await expect(store.getAccessToken()).resolves.toBe('at-2');

    // A fresh instance (no memory) reads the rotated pair from the database, with no network.
    const other = makeStore();
    await expect(other.getAccessToken()).resolves.toBe('at-2');
    await expect(other.getStatus()).resolves.toMatchObject({
      status: 'ok',
      accessExpiresAt: new Date(clock.now().getTime() + 90_000_000),
      refreshIssuedAt: clock.now(),
    });
    // …and the next refresh uses the rotated refresh token.
    oauth().post('/v4/oa/access_token', refreshBody('rt-2')).reply(200, { access_token: 'at-3', refresh_token: 'rt-3', expires_in: 90000 });
    await expect(other.refreshAccessToken('at-2')).resolves.toBe('at-3');
  });

  it('a refused token that was already replaced is not refreshed again', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-current', refreshToken: 'rt-1', expiresInSec: 90_000 });
    await expect(store.refreshAccessToken('at-old')).resolves.toBe('at-current');
    // Proactive call with plenty of time left: nothing to do either.
    await expect(store.refreshAccessToken()).resolves.toBe('at-current');
  });

  it('a refused token that is still the stored one is refreshed even far from expiry', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-revoked', refreshToken: 'rt-1', expiresInSec: 90_000 });
    oauth().post('/v4/oa/access_token', refreshBody('rt-1')).reply(200, { access_token: 'at-2', refresh_token: 'rt-2', expires_in: '90000' });
    await expect(store.refreshAccessToken('at-revoked')).resolves.toBe('at-2');
  });

  it('two app instances refreshing the same failed token at once make exactly one OAuth call', async () => {
    // On pg: a second pool on the same database, as a second process would have. PGlite has one
    // connection per database, so both instances share it.
    const second: Database | undefined = driver === 'pg' ? await openDatabase(database.target) : undefined;
    try {
      await makeStore().seed({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInSec: 90_000 });
      let calls = 0;
      const scope = oauth()
        .post('/v4/oa/access_token', refreshBody('rt-1'))
        .once()
        .delay(200)
        .reply(200, () => {
          calls += 1;
          return { access_token: 'at-2', refresh_token: 'rt-2', expires_in: '90000' };
        });
      const a = makeStore();
      const b = makeStore({ db: (second?.db ?? database.db) as Db });
      const results = await Promise.all([a.refreshAccessToken('at-1'), b.refreshAccessToken('at-1')]);
      expect(results).toEqual(['at-2', 'at-2']);
      expect(calls).toBe(1);
      expect(scope.isDone()).toBe(true);
    } finally {
      await second?.close();
    }
  });

  it('concurrent callers in one instance share one refresh', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInSec: 90_000 });
    oauth().post('/v4/oa/access_token', refreshBody('rt-1')).once().delay(100).reply(200, { access_token: 'at-2', refresh_token: 'rt-2', expires_in: '90000' });
    const results = await Promise.all([store.refreshAccessToken('at-1'), store.refreshAccessToken('at-1'), store.refreshAccessToken('at-1')]);
    expect(results).toEqual(['at-2', 'at-2', 'at-2']);
  });

  it('a dead grant (-14014) marks the row dead and throws ZaloGrantDeadError', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-1', refreshToken: 'rt-dead', expiresInSec: 90_000 });
    oauth()
      .post('/v4/oa/access_token', refreshBody('rt-dead'))
      .reply(200, { error: -14014, error_name: 'Invalid refresh token', message: 'Refresh token is invalid' });
    const error = await store.refreshAccessToken('at-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZaloGrantDeadError);
    expect(error).toMatchObject({ kind: 'config' });
    const status = await store.getStatus();
    expect(status.status).toBe('dead');
    expect(status.lastError).toContain('-14014');
    // From now on, no call goes out: every caller is told at once.
    await expect(store.getAccessToken()).rejects.toBeInstanceOf(ZaloGrantDeadError);
    await expect(makeStore().refreshAccessToken('at-1')).rejects.toBeInstanceOf(ZaloGrantDeadError);
  });

  it('-118 and "invalid_grant" wording are dead grants too', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInSec: 90_000 });
    oauth().post('/v4/oa/access_token').reply(200, { error: -118, message: 'invalid_grant' });
    await expect(store.refreshAccessToken('at-1')).rejects.toBeInstanceOf(ZaloGrantDeadError);
  });

  it('a transient refresh failure near expiry keeps using the still-valid token and records the error', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInSec: 90_000 });
    clock.advance(24 * HOUR + 30 * 60_000);
    oauth().post('/v4/oa/access_token', refreshBody('rt-1')).reply(502, 'Bad Gateway');
    await expect(store.getAccessToken()).resolves.toBe('at-1');
    const status = await store.getStatus();
    expect(status).toMatchObject({ status: 'ok' });
    expect(status.lastError).toContain('HTTP 502');
    // Past expiry, the failure is thrown as transient for the job to retry.
    clock.advance(HOUR);
    oauth().post('/v4/oa/access_token', refreshBody('rt-1')).reply(503, '');
    const error = await store.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZaloApiError);
    expect(error).toMatchObject({ kind: 'transient' });
  });

  it('exchangeCode stores a new pair and revives a dead grant', async () => {
    const store = makeStore();
    await store.seed({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInSec: 90_000 });
    await database.db.update(zaloTokens).set({ status: 'dead', lastError: 'error -14014' }).where(eq(zaloTokens.oaId, OA_ID));
    oauth()
      .post('/v4/oa/access_token', { app_id: APP_ID, grant_type: 'authorization_code', code: 'code-123', code_verifier: 'verifier-abc' })
      .reply(200, { access_token: 'at-new', refresh_token: 'rt-new', expires_in: '90000' });
    await expect(store.exchangeCode('code-123', 'verifier-abc')).resolves.toMatchObject({ status: 'ok', lastError: null });
    await expect(store.getAccessToken()).resolves.toBe('at-new');
  });

  it('exchangeCode with a redirect mismatch (-14003) is a config error and stores nothing', async () => {
    const store = makeStore();
    oauth().post('/v4/oa/access_token').reply(200, { error: -14003, error_name: 'Invalid redirect uri' });
    await expect(store.exchangeCode('code-1')).rejects.toMatchObject({ kind: 'config', code: -14003 });
    await expect(store.getStatus()).resolves.toMatchObject({ status: 'missing' });
  });

  it('never logs a token', () => {
    const all = logLines.join('\n');
    expect(all).toContain('zalo access token refreshed');
    for (const secret of ['at-1', 'at-2', 'rt-1', 'rt-2', 'at-new', 'rt-new', 'rt-dead', APP_SECRET, 'code-123']) {
      expect(all).not.toContain(`"${secret}`);
      expect(all).not.toContain(secret + '"');
    }
  });
});

describe('consent url', () => {
  it('builds the OA permission URL', () => {
    const store = createTokenStore({
      db: {} as Db,
      oaId: OA_ID,
      appId: APP_ID,
      appSecret: APP_SECRET,
      oauthBaseUrl: `${OAUTH}/`,
      encryptionKey: 'k',
      clock: createFakeClock('2026-01-01T00:00:00Z'),
      logger,
    });
    const url = new URL(store.buildConsentUrl({ redirectUri: 'https://pakn.hanoi.gov.vn/zalo/oauth/callback', state: 's-1', codeChallenge: 'cc' }));
    expect(`${url.origin}${url.pathname}`).toBe(`${OAUTH}/v4/oa/permission`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      app_id: APP_ID,
      redirect_uri: 'https://pakn.hanoi.gov.vn/zalo/oauth/callback',
      code_challenge: 'cc',
      state: 's-1',
    });
  });
});
