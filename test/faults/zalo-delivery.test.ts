import { and, eq } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotifySender } from '../../bot/delivery/notify-sender.js';
import { createZaloSender } from '../../bot/delivery/zalo-sender.js';
import { createZaloClient } from '../../bot/zalo/api-client.js';
import { createRateLimiter } from '../../bot/zalo/rate-limiter.js';
import { createTokenStore, type TokenStore } from '../../bot/zalo/token-store.js';
import { contacts, messages, officials, outbox, zaloTokens, zaloUsers } from '../../db/schema.js';
import type { AppDeps } from '../../runtime/app.js';
import { createFakeClock, type FakeClock } from '../../runtime/clock.js';
import { loadConfig } from '../../runtime/config.js';
import { openDatabase, type Database, type Db } from '../../runtime/db.js';
import { createInlineRunner } from '../../runtime/jobs/inline-runner.js';
import type { JobRunner } from '../../runtime/jobs/job.js';
import { createLogger } from '../../runtime/logger.js';
import { mailPart } from '../../runtime/mail/mail.part.js';
import { createMetrics } from '../../runtime/metrics.js';
import {
  DEFAULT_OUTBOX_BACKOFF_MS,
  DEFAULT_OUTBOX_MAX_ATTEMPTS,
  deliverOutboxJob,
  deliverOutboxRow,
  insertOutbox,
  OUTBOX_MAX_BACKOFF_MS,
  relayOutbox,
  type OutboxRow,
  type OutboxSender,
} from '../../runtime/outbox/outbox.js';
import { createTemplateRenderer } from '../../runtime/templates.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { seedUnit } from '../helpers/seed-org.js';

/**
 * Zalo API faults on the real delivery path: an outbox row → relay → `outbox.deliver` job → the sender of
 * its kind (notify router, Zalo sender, mailer) → the Zalo client with its token store and rate limiter →
 * nock standing in for openapi.zalo.me and oauth.zaloapp.com. Time is a fake clock: a retry is "waited
 * for" by moving the clock to the row's available_at, never by sleeping (the only real wait is the
 * client's own 150 ms timeout in the timeout case).
 *
 * Two behaviours were missing and are fixed with these tests: the outbox ignored the wait Zalo asked for
 * (Retry-After, the per-minute quota of -32) and retried after its own one-minute backoff; and a notification
 * refused with -230/-232 (outside the window by Zalo's count, though inside by ours) was only flagged, even when
 * the citizen or official had an e-mail address, which the design says to use outside the window.
 *
 * Already proven elsewhere, not repeated here:
 * - the client's classification of every code, Retry-After parsing, one refresh per refused token:
 *   test/bot/zalo/api-client.test.ts ("zalo api client: errors", classifyZaloError);
 * - the bare outbox backoff formula, the one-hour cap, leases and claim races: test/runtime/outbox.test.ts;
 * - two processes refreshing the same refused token make exactly one OAuth call and keep the grant:
 *   test/bot/zalo/token-store.test.ts ("two app instances refreshing the same failed token…"). The last
 *   test below adds the same race *through two deliveries*, which that test does not cover.
 */

const API = 'https://openapi.zalo.me';
const OAUTH = 'https://oauth.zaloapp.com';
const CS_PATH = '/v3.0/oa/message/cs';
const APP_ID = '360846524940903967';
const OA_ID = '388613280878808645';
const APP_SECRET = 'fault-test-app-secret';
const CLIENT_TIMEOUT_MS = 150;
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const logger = createLogger({ level: 'silent' });
const config = loadConfig({
  LOG_LEVEL: 'silent',
  PUBLIC_BASE_URL: 'https://pakn.test',
  ZALO_APP_ID: APP_ID,
  ZALO_APP_SECRET: APP_SECRET,
  ZALO_OA_SECRET_KEY: 'fault-test-oa-secret-key',
  ZALO_OA_ID: OA_ID,
});

interface CsBody {
  recipient: { user_id: string };
  message: { text?: string };
}
const sentTo = (userId: string, text?: string) => (body: CsBody) => body.recipient.user_id === userId && (text === undefined || body.message.text === text);
const ok = (id: string) => ({ error: 0, message: 'Success', data: { message_id: id } });
const zaloError = (code: number, message: string) => ({ error: code, message });

function cs(token = 'at-1') {
  return nock(API, { reqheaders: { access_token: token } });
}
function oauth() {
  return nock(OAUTH, { reqheaders: { secret_key: APP_SECRET } });
}
const refreshBody = (refreshToken: string) => ({ app_id: APP_ID, grant_type: 'refresh_token', refresh_token: refreshToken });

/** One worker process as start.ts composes it, with the client's timeout shortened and time faked. */
interface Delivery {
  jobs: JobRunner;
  tokens: TokenStore;
  send: OutboxSender;
  /** What the rate limiter was asked to wait, in ms (it waits by moving the fake clock). */
  limiterSleeps: number[];
  /** The scheduler tick's relay, then every job it caused. */
  deliverDue(): Promise<void>;
  close(): Promise<void>;
}

async function startDelivery(db: Db, database: Database, clock: FakeClock): Promise<Delivery> {
  const limiterSleeps: number[] = [];
  const limiter = createRateLimiter({
    perMinute: config.zalo.rateLimitPerMinute,
    clock,
    sleep: async (ms) => {
      limiterSleeps.push(ms);
      clock.advance(ms);
    },
  });
  const tokens = createTokenStore({
    db,
    oaId: OA_ID,
    appId: APP_ID,
    appSecret: APP_SECRET,
    oauthBaseUrl: OAUTH,
    encryptionKey: 'fault-test-token-key',
    clock,
    logger,
  });
  const client = createZaloClient({
    apiBaseUrl: API,
    businessApiBaseUrl: 'https://business.openapi.zalo.me',
    getAccessToken: () => tokens.getAccessToken(),
    refreshAccessToken: (failed) => tokens.refreshAccessToken(failed),
    limiter,
    logger,
    timeoutMs: CLIENT_TIMEOUT_MS,
  });
  const jobs = createInlineRunner({ logger, clock });
  const deps: AppDeps = { config, database, clock, logger, jobs, metrics: createMetrics() };
  const kick = async () => void (await relayOutbox(db, jobs, clock.now()));
  const senders: Record<string, OutboxSender> = {
    zalo: createZaloSender({ db, client, clock }),
    notify: createNotifySender({ db, clock, config, templates: createTemplateRenderer(), kick }),
    ...mailPart.senders!(deps),
  };
  const send: OutboxSender = async (row) => {
    const sender = senders[row.kind];
    return sender ? sender(row) : { ok: false, retry: false, error: `no sender for ${row.kind}` };
  };
  jobs.register(deliverOutboxJob, async ({ outboxId }) => {
    await deliverOutboxRow(db, outboxId, send, clock.now());
  });
  await jobs.start();
  return {
    jobs,
    tokens,
    send,
    limiterSleeps,
    async deliverDue() {
      await relayOutbox(db, jobs, clock.now());
      await jobs.drain();
    },
    close: () => jobs.close(),
  };
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

describe.each(DRIVERS)('Zalo API faults through the delivery path on %s', (driver) => {
  let database: TestDatabase;
  let clock: FakeClock;
  let delivery: Delivery;
  let userSeq = 0;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());

  beforeEach(async () => {
    clock = createFakeClock('2026-03-02T09:00:00+07:00');
    // Each test starts with an empty outbox: a row another test left waiting must not fall due here.
    for (const table of [zaloTokens, outbox, messages]) await database.db.delete(table);
    delivery = await startDelivery(database.db, database, clock);
    await delivery.tokens.seed({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInSec: 90_000 });
  });
  afterEach(async () => {
    await delivery?.close();
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending, 'every Zalo answer the test scripted was asked for').toEqual([]);
  });

  const db = () => database.db;
  const newUser = () => `24684588352919${String(7100 + driver.length * 100 + (userSeq += 1))}`;

  async function queueText(userId: string, texts: string[]): Promise<OutboxRow> {
    const key = `fault:${userId}:${texts.length}`;
    await insertOutbox(db(), [{ key, kind: 'zalo', recipient: { userId }, data: { messages: texts.map((text) => ({ type: 'text', text })) } }], clock.now());
    const [row] = await db().select().from(outbox).where(eq(outbox.key, key));
    return row!;
  }

  async function readRow(id: number): Promise<OutboxRow> {
    const [row] = await db().select().from(outbox).where(eq(outbox.id, id));
    return row!;
  }

  async function outgoingOf(userId: string) {
    return db().select({ text: messages.text, zaloMsgId: messages.zaloMsgId }).from(messages).where(and(eq(messages.zaloUserId, userId), eq(messages.direction, 'out')));
  }

  /**
   * Runs the row's retries the way the scheduler would: each time, a tick one millisecond before the row is
   * due hands nothing over, the tick at available_at delivers it. Returns the waits the outbox chose.
   */
  async function retryUntilSettled(id: number, maxTicks = 20): Promise<number[]> {
    const waits: number[] = [];
    for (let tick = 0; tick < maxTicks; tick++) {
      const row = await readRow(id);
      if (row.status !== 'pending') return waits;
      const wait = row.availableAt.getTime() - clock.now().getTime();
      if (row.attempts > 0) {
        waits.push(row.availableAt.getTime() - row.claimedAt!.getTime());
        clock.advance(wait - 1);
        expect(await relayOutbox(db(), delivery.jobs, clock.now()), 'not handed over before it is due').toBe(0);
        clock.advance(1);
      }
      await delivery.deliverDue();
    }
    throw new Error(`row ${id} still pending after ${maxTicks} ticks`);
  }

  it('5xx, a timeout and -32 are retried on a growing schedule that honours Retry-After, then delivered exactly once', async () => {
    const user = newUser();
    const text = 'Phản ánh PA-2026-000101 đã được chuyển Sở Xây dựng xử lý.';
    const body = sentTo(user, text);
    cs().post(CS_PATH, body).reply(503, 'Service Unavailable', { 'Retry-After': '90' });
    cs().post(CS_PATH, body).reply(502, { error: -1, message: 'Bad gateway' });
    cs().post(CS_PATH, body).delay(CLIENT_TIMEOUT_MS * 5).reply(200, ok('too-late'));
    cs().post(CS_PATH, body).reply(200, zaloError(-32, 'Your application/OA reached limit call api'));
    cs().post(CS_PATH, body).reply(500, '');
    const delivered = cs().post(CS_PATH, body).once().reply(200, ok('m-delivered'));

    const row = await queueText(user, [text]);
    const waits = await retryUntilSettled(row.id);

    // Exponential backoff from one minute (1, 2, 4, 8, 16 min), but never sooner than Zalo asked: the
    // 503's "Retry-After: 90" stretches the first wait from 60 s to 90 s.
    const backoff = (attempt: number) => DEFAULT_OUTBOX_BACKOFF_MS * 2 ** (attempt - 1);
    expect(waits).toEqual([90 * SECOND, backoff(2), backoff(3), backoff(4), backoff(5)]);
    for (let i = 1; i < waits.length; i++) expect(waits[i]!).toBeGreaterThan(waits[i - 1]!);
    for (const w of waits) expect(w).toBeLessThanOrEqual(OUTBOX_MAX_BACKOFF_MS);

    expect(delivered.isDone()).toBe(true);
    expect(await readRow(row.id)).toMatchObject({ status: 'sent', attempts: 6, channel: 'zalo', result: { sent: 1 }, lastError: null });
    // One message on record, with the id of the one send that succeeded (the late answer to the timed-out
    // request never counts).
    expect(await outgoingOf(user)).toEqual([{ text, zaloMsgId: 'm-delivered' }]);
    // Nothing is left to send: a later tick finds nothing.
    clock.advance(2 * HOUR);
    expect(await relayOutbox(db(), delivery.jobs, clock.now())).toBe(0);
  });

  it('after -32 the whole process holds back its next Zalo call for the quota pause (fake clock, no real wait)', async () => {
    const first = newUser();
    const second = newUser();
    cs().post(CS_PATH, sentTo(first)).reply(200, zaloError(-32, 'Your application/OA reached limit call api'));
    cs().post(CS_PATH, sentTo(second)).reply(200, ok('m-second'));
    const limited = await queueText(first, ['một']);
    await delivery.deliverDue();
    // -32 is a per-minute quota: the row waits at least the minute the client asks for.
    const row = await readRow(limited.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.availableAt.getTime() - row.claimedAt!.getTime()).toBeGreaterThanOrEqual(MINUTE);

    // Another person's message right after is held by the local limiter instead of adding to the overload.
    await queueText(second, ['hai']);
    await delivery.deliverDue();
    expect(delivery.limiterSleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(14 * SECOND);
    expect(await outgoingOf(second)).toEqual([{ text: 'hai', zaloMsgId: 'm-second' }]);
  });

  it('a Retry-After beyond the cap waits one hour at most, and a Zalo that never recovers fails the row after the configured attempts', async () => {
    const user = newUser();
    cs().post(CS_PATH, sentTo(user)).reply(503, '', { 'Retry-After': String(2 * 24 * 3600) });
    cs().post(CS_PATH, sentTo(user)).times(DEFAULT_OUTBOX_MAX_ATTEMPTS - 1).reply(504, 'Gateway Timeout');
    const row = await queueText(user, ['không bao giờ tới']);
    const waits = await retryUntilSettled(row.id);
    // A two-day Retry-After is capped at the outbox's hour; then 2, 4, … minutes, capped at an hour again.
    expect(waits).toEqual([HOUR, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 16 * MINUTE, 32 * MINUTE, HOUR]);
    const failed = await readRow(row.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: DEFAULT_OUTBOX_MAX_ATTEMPTS, sentAt: null });
    expect(failed.lastError).toContain('zalo transient');
    expect(await outgoingOf(user)).toEqual([]);
    clock.advance(24 * HOUR);
    expect(await relayOutbox(db(), delivery.jobs, clock.now())).toBe(0);
  });

  it('a failure in the middle of a row re-sends only the messages that did not go out', async () => {
    const user = newUser();
    const texts = ['Tin thứ nhất', 'Tin thứ hai'];
    cs().post(CS_PATH, sentTo(user, texts[0])).once().reply(200, ok('m-1'));
    cs().post(CS_PATH, sentTo(user, texts[1])).reply(503, '');
    cs().post(CS_PATH, sentTo(user, texts[1])).once().reply(200, ok('m-2'));
    const row = await queueText(user, texts);
    const waits = await retryUntilSettled(row.id);
    // 503 without Retry-After: the client hints 30 s, the outbox's first backoff (1 min) is longer and wins.
    expect(waits).toEqual([MINUTE]);
    expect(await readRow(row.id)).toMatchObject({ status: 'sent', attempts: 2, result: { sent: 2 } });
    expect((await outgoingOf(user)).sort((a, b) => a.text!.localeCompare(b.text!))).toEqual([
      { text: 'Tin thứ hai', zaloMsgId: 'm-2' },
      { text: 'Tin thứ nhất', zaloMsgId: 'm-1' },
    ]);
  });

  describe('-230, outside the 7-day window by Zalo’s own count', () => {
    async function citizen(options: { email: string | null }): Promise<{ userId: string; contactId: number }> {
      const userId = newUser();
      // Our record says the citizen wrote yesterday (inside the window), so the router picks Zalo; Zalo disagrees.
      await db().insert(zaloUsers).values({ zaloUserId: userId, lastInteractionAt: new Date(clock.now().getTime() - 24 * HOUR) });
      const [contact] = await db()
        .insert(contacts)
        .values({ zaloUserId: userId, fullName: 'Nguyễn Văn An', email: options.email })
        .returning({ id: contacts.id });
      return { userId, contactId: contact!.id };
    }

    async function notify(key: string, recipient: Record<string, unknown>, template: string, data: Record<string, unknown>) {
      await insertOutbox(db(), [{ key, kind: 'notify', recipient, template, data }], clock.now());
      await delivery.deliverDue();
      // The fallback e-mail (if any) is relayed by the next tick.
      await delivery.deliverDue();
      return db().select().from(outbox).where(eq(outbox.key, key));
    }

    async function rowsUnder(key: string) {
      const all = await db().select().from(outbox);
      return all.filter((r) => r.key.startsWith(`${key}:`)).sort((a, b) => a.key.localeCompare(b.key));
    }

    it('goes out by e-mail when the citizen gave an address, with one Zalo call and no retry', async () => {
      const { userId, contactId } = await citizen({ email: 'an.nguyen@example.vn' });
      const refused = cs().post(CS_PATH, sentTo(userId)).once().reply(200, zaloError(-230, 'User has not interacted with the OA in the last 7 days'));
      const key = `case:230:received:${userId}`;
      const [notifyRow] = await notify(key, { type: 'contact', contactId }, 'case-received', { caseCode: 'PA-2026-000230', answerDueDate: '16/03/2026' });
      expect(notifyRow).toMatchObject({ status: 'sent', channel: 'zalo' });
      expect(refused.isDone()).toBe(true);

      const [zaloRow, emailRow] = await rowsUnder(key);
      expect(zaloRow).toMatchObject({ key: `${key}:zalo`, kind: 'zalo', status: 'sent', channel: 'email', attempts: 1 });
      expect(zaloRow!.result).toMatchObject({ fallback: 'email' });
      expect(String(zaloRow!.result?.zaloError)).toContain('-230');
      expect(emailRow).toMatchObject({ key: `${key}:zalo:email`, kind: 'email', status: 'sent', channel: 'mailbox', template: 'citizen-notification' });
      expect(emailRow!.recipient).toEqual({ email: 'an.nguyen@example.vn', name: 'Nguyễn Văn An' });
      expect(emailRow!.data).toMatchObject({ subject: 'Phản ánh PA-2026-000230' });
      expect(String(emailRow!.data.body)).toContain('Mã phản ánh: PA-2026-000230');
      // Nothing on record as sent over Zalo, and never retried there (nock would see a second call).
      expect(await outgoingOf(userId)).toEqual([]);
      clock.advance(2 * HOUR);
      await delivery.deliverDue();
    });

    it('is flagged for staff when no e-mail is known', async () => {
      const { userId, contactId } = await citizen({ email: null });
      cs().post(CS_PATH, sentTo(userId)).once().reply(200, zaloError(-230, 'User has not interacted with the OA in the last 7 days'));
      const key = `case:230:flag:${userId}`;
      await notify(key, { type: 'contact', contactId }, 'case-received', { caseCode: 'PA-2026-000231', answerDueDate: '16/03/2026' });
      const rows = await rowsUnder(key);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ kind: 'zalo', status: 'flagged', attempts: 1 });
      expect(rows[0]!.lastError).toContain('zalo unreachable -230');
      clock.advance(2 * HOUR);
      await delivery.deliverDue();
    });

    it('an official outside the window gets the e-mail version of the notification', async () => {
      const unitId = await seedUnit(db(), { name: 'Sở Xây dựng' });
      const userId = newUser();
      await db().insert(zaloUsers).values({ zaloUserId: userId, lastInteractionAt: new Date(clock.now().getTime() - HOUR) });
      const [official] = await db()
        .insert(officials)
        .values({ unitId, login: `cb-${userId}`, fullName: 'Trần Văn Chuyên', roles: ['handler'], email: 'chuyen@hanoi.gov.vn', zaloUserId: userId })
        .returning({ id: officials.id });
      cs().post(CS_PATH, sentTo(userId)).once().reply(200, zaloError(-232, 'Interaction expired'));
      const key = `case:232:assigned:${userId}`;
      await notify(key, { type: 'official', officialId: official!.id }, 'official-case-assigned', { caseCode: 'PA-2026-000232' });
      const [zaloRow, emailRow] = await rowsUnder(key);
      expect(zaloRow).toMatchObject({ kind: 'zalo', status: 'sent', channel: 'email' });
      expect(emailRow).toMatchObject({ kind: 'email', status: 'sent', template: 'official-case-assigned' });
      expect(emailRow!.recipient).toEqual({ email: 'chuyen@hanoi.gov.vn', name: 'Trần Văn Chuyên' });
    });
  });

  describe('refused access token', () => {
    it.each([
      [-216, 'Access token is invalid'],
      [-220, 'Access token has expired or been removed'],
      [-124, 'Access token invalid'],
    ])('%i: one refresh, then the same attempt succeeds with the new token', async (code, message) => {
      const user = newUser();
      cs('at-1').post(CS_PATH, sentTo(user)).once().reply(200, zaloError(code, message));
      const refresh = oauth().post('/v4/oa/access_token', refreshBody('rt-1')).once().reply(200, { access_token: 'at-2', refresh_token: 'rt-2', expires_in: '90000' });
      cs('at-2').post(CS_PATH, sentTo(user)).once().reply(200, ok('m-after-refresh'));
      const row = await queueText(user, ['Cảm ơn anh/chị']);
      await delivery.deliverDue();
      expect(refresh.isDone()).toBe(true);
      expect(await readRow(row.id)).toMatchObject({ status: 'sent', attempts: 1 });
      expect(await outgoingOf(user)).toEqual([{ text: 'Cảm ơn anh/chị', zaloMsgId: 'm-after-refresh' }]);
      // The rotated pair was stored: the next refresh spends rt-2, not the dead rt-1.
      oauth().post('/v4/oa/access_token', refreshBody('rt-2')).once().reply(200, { access_token: 'at-3', refresh_token: 'rt-3', expires_in: '90000' });
      await expect(delivery.tokens.refreshAccessToken('at-2')).resolves.toBe('at-3');
    });

    it('a new token that is refused too: one refresh only, and the row is retried later instead of looping', async () => {
      const user = newUser();
      cs('at-1').post(CS_PATH, sentTo(user)).once().reply(200, zaloError(-216, 'Access token is invalid'));
      oauth().post('/v4/oa/access_token', refreshBody('rt-1')).once().reply(200, { access_token: 'at-2', refresh_token: 'rt-2', expires_in: '90000' });
      cs('at-2').post(CS_PATH, sentTo(user)).once().reply(200, zaloError(-216, 'Access token is invalid'));
      const row = await queueText(user, ['xin chào']);
      await delivery.deliverDue();
      const after = await readRow(row.id);
      expect(after).toMatchObject({ status: 'pending', attempts: 1 });
      expect(after.lastError).toContain('zalo auth -216');
      expect(after.availableAt.getTime() - after.claimedAt!.getTime()).toBe(DEFAULT_OUTBOX_BACKOFF_MS);
      // The retry: the stored at-2 is refused again → one more refresh with rt-2 → delivered.
      cs('at-2').post(CS_PATH, sentTo(user)).once().reply(200, zaloError(-216, 'Access token is invalid'));
      oauth().post('/v4/oa/access_token', refreshBody('rt-2')).once().reply(200, { access_token: 'at-3', refresh_token: 'rt-3', expires_in: '90000' });
      cs('at-3').post(CS_PATH, sentTo(user)).once().reply(200, ok('m-3'));
      await retryUntilSettled(row.id);
      expect(await readRow(row.id)).toMatchObject({ status: 'sent', attempts: 2 });
    });

    it('two processes delivering at once with the same refused token: one OAuth call, both messages sent once', async () => {
      // On pg a second pool, as a second worker process has; PGlite has one connection, shared.
      const secondDb: Database | undefined = driver === 'pg' ? await openDatabase(database.target) : undefined;
      const other = await startDelivery((secondDb?.db ?? database.db) as Db, secondDb ?? database, clock);
      try {
        const [u1, u2] = [newUser(), newUser()];
        cs('at-1').post(CS_PATH, sentTo(u1)).once().reply(200, zaloError(-216, 'Access token is invalid'));
        cs('at-1').post(CS_PATH, sentTo(u2)).once().reply(200, zaloError(-216, 'Access token is invalid'));
        let oauthCalls = 0;
        oauth()
          .post('/v4/oa/access_token', refreshBody('rt-1'))
          .once()
          .delay(200)
          .reply(200, () => {
            oauthCalls += 1;
            return { access_token: 'at-2', refresh_token: 'rt-2', expires_in: '90000' };
          });
        cs('at-2').post(CS_PATH, sentTo(u1)).once().reply(200, ok('m-u1'));
        cs('at-2').post(CS_PATH, sentTo(u2)).once().reply(200, ok('m-u2'));
        const [r1, r2] = [await queueText(u1, ['một']), await queueText(u2, ['hai'])];
        const outcomes = await Promise.all([
          deliverOutboxRow(database.db, r1.id, delivery.send, clock.now()),
          deliverOutboxRow((secondDb?.db ?? database.db) as Db, r2.id, other.send, clock.now()),
        ]);
        expect(outcomes).toEqual(['sent', 'sent']);
        expect(oauthCalls).toBe(1);
        expect(await outgoingOf(u1)).toEqual([{ text: 'một', zaloMsgId: 'm-u1' }]);
        expect(await outgoingOf(u2)).toEqual([{ text: 'hai', zaloMsgId: 'm-u2' }]);
        // The grant survived: both processes now read at-2, and the next refresh uses rt-2.
        await expect(other.tokens.getAccessToken()).resolves.toBe('at-2');
        oauth().post('/v4/oa/access_token', refreshBody('rt-2')).once().reply(200, { access_token: 'at-3', refresh_token: 'rt-3', expires_in: '90000' });
        await expect(delivery.tokens.refreshAccessToken('at-2')).resolves.toBe('at-3');
      } finally {
        await other.close();
        await secondDb?.close();
      }
    });
  });
});
