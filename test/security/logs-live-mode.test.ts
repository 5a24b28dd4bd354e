import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsentLink } from '../../bot/oauth/zalo-consent.js';
import { createZaloConnection } from '../../bot/zalo-connection.js';
import { cases, contacts, units } from '../../db/schema.js';
import { systemClock } from '../../runtime/clock.js';
import { loadConfig } from '../../runtime/config.js';
import { queryRows } from '../../runtime/db.js';
import { createLogger } from '../../runtime/logger.js';
import { PRODUCT_PARTS } from '../../runtime/parts.js';
import { startPakn, type RunningPakn } from '../../runtime/start.js';
import { ConsoleClient, DEMO_PASSWORD } from '../console/console-client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { ZaloUser, type SignedEvent } from '../helpers/zalo-user.js';

/**
 * The logs of a whole flow in live Zalo mode, captured at trace level: a citizen files a case giving a phone
 * number in several forms; the product sends its replies through the OA API, refreshing the access token twice
 * on the way (once ahead of expiry, once after Zalo refuses it with -216); an OA admin re-connects the OA
 * through the OAuth callback; an official logs in with a wrong then the right password. No phone number, no
 * access or refresh token, no OAuth code, no password, no secret and no session id may appear anywhere.
 *
 * test/runtime/logs.test.ts covers the same in sandbox mode (where the "tokens" are fixed placeholders and no
 * refresh ever happens); test/bot/zalo/token-store.test.ts ("never logs a token") covers the token store's own
 * lines. This one adds the real token traffic and the OAuth callback, and a failed query whose parameters hold
 * a phone number (the path by which citizens' data reached the logs before runtime/logger.ts stripped it).
 */

const APP_ID = '360846524940903967';
const OA_ID = '388613280878808645';
const USER_ID = '2468458835291977444';
const PHONE = '0912345678';
const SECRETS = {
  appSecret: 'live-logs-app-secret-9f8e7d',
  oaSecretKey: 'live-logs-oa-secret-key-6c5b4a',
  tokenKey: 'live-logs-token-encryption-key-3a2b1c',
  session: 'live-logs-session-secret-0123456789abcdef0123',
  initialAccess: 'AT-initial-from-api-explorer-1111',
  initialRefresh: 'RT-initial-from-api-explorer-2222',
  refreshedAccess: 'AT-after-early-refresh-3333',
  refreshedRefresh: 'RT-after-early-refresh-4444',
  reissuedAccess: 'AT-after-216-refresh-5555',
  reissuedRefresh: 'RT-after-216-refresh-6666',
  oauthCode: 'OAUTH-CODE-one-time-7777',
  exchangedAccess: 'AT-from-consent-8888',
  exchangedRefresh: 'RT-from-consent-9999',
  wrongPassword: 'Sai-Mat-Khau-Bi-Mat-2026!',
};

const lines: string[] = [];
const destination = { write: (line: string) => void lines.push(line) };

/** 9-1-2-3-4-5-6-7-8 in any format: spaces, dots, dashes, 84 or +84 in front. */
const THE_PHONE_ANY_FORMAT = /9\D{0,3}1\D{0,3}2\D{0,3}3\D{0,3}4\D{0,3}5\D{0,3}6\D{0,3}7\D{0,3}8/;

describe('logs in live Zalo mode: intake, token refreshes, OAuth callback, console login', () => {
  let database: TestDatabase;
  let pakn: RunningPakn;
  const dataDir = mkdtempSync(join(tmpdir(), 'pakn-live-logs-'));
  const signatures: string[] = [];
  const oauthCalls: string[] = [];
  let csCalls = 0;

  beforeAll(async () => {
    nock.disableNetConnect();
    // The OA API: the first send with the early-refreshed token is refused (-216), everything else succeeds.
    nock('https://openapi.zalo.me', { reqheaders: { access_token: SECRETS.refreshedAccess } })
      .post('/v3.0/oa/message/cs')
      .once()
      .reply(200, { error: -216, message: 'Access token is invalid' });
    nock('https://openapi.zalo.me')
      .persist()
      .post('/v3.0/oa/message/cs')
      .reply(200, () => ({ error: 0, message: 'Success', data: { message_id: `m-${(csCalls += 1)}` } }));
    const oauth = nock('https://oauth.zaloapp.com', { reqheaders: { secret_key: SECRETS.appSecret } }).persist();
    oauth.post('/v4/oa/access_token', (b: Record<string, string>) => b.refresh_token === SECRETS.initialRefresh).reply(200, () => {
      oauthCalls.push('early refresh');
      return { access_token: SECRETS.refreshedAccess, refresh_token: SECRETS.refreshedRefresh, expires_in: '90000' };
    });
    oauth.post('/v4/oa/access_token', (b: Record<string, string>) => b.refresh_token === SECRETS.refreshedRefresh).reply(200, () => {
      oauthCalls.push('refresh after -216');
      return { access_token: SECRETS.reissuedAccess, refresh_token: SECRETS.reissuedRefresh, expires_in: '90000' };
    });
    oauth.post('/v4/oa/access_token', (b: Record<string, string>) => b.code === SECRETS.oauthCode).reply(200, () => {
      oauthCalls.push('code exchange');
      return { access_token: SECRETS.exchangedAccess, refresh_token: SECRETS.exchangedRefresh, expires_in: '90000' };
    });

    database = await createTestDatabase('pg');
    const config = loadConfig({
      LOG_LEVEL: 'trace',
      APP_MODE: 'demo',
      DATA_DIR: dataDir,
      DATABASE_URL: (database.target as { url: string }).url,
      PUBLIC_BASE_URL: 'https://pakn.example.vn',
      SESSION_SECRET: SECRETS.session,
      ZALO_APP_ID: APP_ID,
      ZALO_APP_SECRET: SECRETS.appSecret,
      ZALO_OA_SECRET_KEY: SECRETS.oaSecretKey,
      ZALO_OA_ID: OA_ID,
      // Seeded with one hour to live: the first send refreshes it ahead of expiry.
      ZALO_ACCESS_TOKEN: SECRETS.initialAccess,
      ZALO_REFRESH_TOKEN: SECRETS.initialRefresh,
      TOKEN_ENCRYPTION_KEY: SECRETS.tokenKey,
    });
    // Without the demo cases (their notifications would only add noise to the token story).
    const parts = PRODUCT_PARTS.map(({ seedDemo: _demo, ...part }) => part);
    pakn = await startPakn({ config, parts, clock: systemClock, logger: createLogger({ level: 'trace', destination }), listen: false });
    await pakn.deps.jobs.drain();
  }, 120_000);

  afterAll(async () => {
    await pakn?.close();
    await database?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    nock.cleanAll();
    nock.enableNetConnect();
  });

  const app = () => pakn.app!;
  const post = async ({ rawBody, signature }: SignedEvent) => {
    signatures.push(signature.replace(/^mac=/, ''));
    const res = await app().inject({ method: 'POST', url: '/zalo/webhook', headers: { 'content-type': 'application/json', 'x-zevent-signature': signature }, payload: rawBody });
    await pakn.deps.jobs.drain();
    return { status: res.statusCode, body: res.body };
  };

  it('runs the whole flow, refreshing the token twice and re-connecting the OA', async () => {
    const citizen = new ZaloUser({ appId: APP_ID, oaId: OA_ID, oaSecretKey: SECRETS.oaSecretKey, userId: USER_ID, clock: systemClock, post });
    const [ward] = await pakn.deps.database.db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
    const inputs = [
      'phản ánh',
      '#loai:nguoi-dan',
      '1',
      `#phuong-xa:${ward!.id}`,
      'Ổ gà lớn trước số 10 phố Hàng Bông, xe máy ngã nhiều lần. Gọi tôi 0912.345.678 khi cần.',
      '#anh:bo-qua',
      `Nguyễn Văn An, ${PHONE}`,
      '#dong-y',
      '#gui-phan-anh',
    ];
    expect((await citizen.follow()).status).toBe(200);
    for (const text of inputs) expect((await citizen.text(text)).status, text).toBe(200);
    expect((await citizen.submitInfo('Nguyễn Văn An', '84912345678')).status).toBe(200);
    expect((await citizen.text('Số khác của tôi: +84 912 345 678')).status).toBe(200);

    const db = pakn.deps.database.db;
    const [contact] = await db.select().from(contacts).where(eq(contacts.zaloUserId, USER_ID));
    expect(contact?.phone).toBe(PHONE);
    expect(await db.select({ code: cases.code }).from(cases).where(eq(cases.contactId, contact!.id))).toHaveLength(1);
    expect(oauthCalls).toEqual(['early refresh', 'refresh after -216']);
    expect(csCalls).toBeGreaterThan(5);

    // The OA admin re-authorises the OA: a consent link, then Zalo's redirect back with a one-time code.
    const { tokens } = createZaloConnection(pakn.deps);
    const consentUrl = new URL(await createConsentLink(db, tokens!, 'https://pakn.example.vn', new Date()));
    const state = consentUrl.searchParams.get('state')!;
    const callback = await app().inject({ method: 'GET', url: `/zalo/oauth/callback?code=${SECRETS.oauthCode}&state=${state}&oa_id=${OA_ID}` });
    expect(callback.statusCode).toBe(200);
    expect(oauthCalls.at(-1)).toBe('code exchange');
    await expect(tokens!.getAccessToken()).resolves.toBe(SECRETS.exchangedAccess);

    // An official: a wrong password, then the right one.
    // Behind the HTTPS proxy of PUBLIC_BASE_URL, as in production (the session cookie is Secure).
    const official = new ConsoleClient(app(), { 'x-forwarded-proto': 'https' });
    expect((await official.login('chuyenvien', SECRETS.wrongPassword)).statusCode).toBe(401);
    expect((await official.login('chuyenvien', DEMO_PASSWORD)).statusCode).toBe(303);
    const inbox = await official.get('/console/inbox');
    expect(inbox.statusCode).toBe(200);

    const log = lines.join('');
    // The capture saw the flow.
    for (const seen of ['zalo access token refreshed', 'zalo refused the access token; refreshing once', 'Zalo OA authorised', 'console login failed', '"msg":"console login"']) {
      expect(log, seen).toContain(seen);
    }
    const offending = (needle: RegExp | string) =>
      lines.filter((line) => (typeof needle === 'string' ? line.includes(needle) : needle.test(line))).map((l) => l.slice(0, 300));
    expect(offending(THE_PHONE_ANY_FORMAT)).toEqual([]);
    for (const [name, secret] of Object.entries(SECRETS)) expect(offending(secret), name).toEqual([]);
    expect(offending(DEMO_PASSWORD)).toEqual([]);
    for (const signature of signatures) expect(offending(signature)).toEqual([]);
    const sid = official.sessionId();
    expect(sid).toBeTruthy();
    expect(offending(sid!)).toEqual([]);
    expect(offending(decodeURIComponent(official.cookie!))).toEqual([]);
    expect(offending(/name="_csrf" value="/)).toEqual([]);
  }, 120_000);

  it('a failed query whose parameters hold a phone number logs the failure, not the number', async () => {
    const db = pakn.deps.database.db;
    const before = lines.length;
    // A real failure of the kind the job runner and the error handlers log with `{ err }`: here a duplicate
    // Zalo user, with the citizen's phone among the statement's parameters.
    const err = await db
      .insert(contacts)
      .values({ zaloUserId: USER_ID, fullName: 'Nguyễn Văn An', phone: PHONE })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toContain(PHONE);
    pakn.deps.logger.error({ err }, 'job failed');
    const [failure] = lines.slice(before);
    expect(failure).toContain('job failed');
    expect(failure).toContain('Failed query: insert into');
    expect(failure).toContain('duplicate key');
    expect(failure).not.toMatch(THE_PHONE_ANY_FORMAT);
    expect(failure).not.toContain('Nguyễn Văn An');
    // The row count proves the statement really failed, nothing was half-written.
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from contacts where zalo_user_id = ${USER_ID}`);
    expect(Number(row?.n)).toBe(1);
  });
});
