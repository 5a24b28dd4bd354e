import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botPart } from '../../bot/bot.part.js';
import { inboundEvents, messages, outbox } from '../../db/schema.js';
import { queryRows } from '../../runtime/db.js';
import { deliverOutboxJob } from '../../runtime/outbox/outbox.js';
import { APP_ID, OA_ID, OA_SECRET_KEY, OA_SEND_TEXT, OA_SEND_TEXT_BY_STAFF, USER_ID, USER_SEND_TEXT } from '../fixtures/zalo-payloads.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { DRIVERS } from '../helpers/db.js';
import { signZaloEvent, ZaloUser, type SignedEvent } from '../helpers/zalo-user.js';

/**
 * POST /zalo/webhook (ZALO.md §2, §3, §8): verify the signature over the raw bytes, store the event once
 * under its unique key, answer 200 at once, process it in a job. Live-mode secrets, both drivers.
 */

const APP_SECRET = 'app-secret-not-the-oa-secret-key';
const VERIFIER_FILE = 'zalo_verifierAbC123xYz.html';
const VERIFIER_CONTENT = '<!DOCTYPE html><html><head><meta property="zalo-platform-site-verification" content="AbC123xYz" /></head><body></body></html>';
const SECRETS = { appId: APP_ID, oaSecretKey: OA_SECRET_KEY };

describe.each(DRIVERS)('POST /zalo/webhook on %s', (driver) => {
  let t: TestApp;
  let userCount = 0;

  beforeAll(async () => {
    t = await buildTestApp({
      driver,
      parts: [botPart.http!],
      startJobs: true,
      env: {
        ZALO_APP_ID: APP_ID,
        ZALO_APP_SECRET: APP_SECRET,
        ZALO_OA_SECRET_KEY: OA_SECRET_KEY,
        ZALO_OA_ID: OA_ID,
        ZALO_VERIFIER_FILE: VERIFIER_FILE,
        ZALO_VERIFIER_CONTENT: VERIFIER_CONTENT,
      },
    });
    botPart.jobs!(t.deps.jobs, t.deps);
    // Replies stay in the outbox: what matters here is that exactly one was written.
    t.deps.jobs.register(deliverOutboxJob, async () => undefined);
  });
  afterAll(async () => t?.close());

  const post = (rawBody: string | Buffer, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/zalo/webhook', headers: { 'content-type': 'application/json', ...headers }, payload: rawBody });
  const postSigned = ({ rawBody, signature }: SignedEvent) => post(rawBody, { 'x-zevent-signature': signature });

  /** A user of its own per test, so msg ids and rows never collide between tests sharing the database. */
  function newUser(): ZaloUser {
    userCount += 1;
    return new ZaloUser({
      ...SECRETS,
      oaId: OA_ID,
      userId: `24684588352919${String(7000 + userCount)}`,
      clock: t.clock,
      advance: (ms) => t.clock.advance(ms),
      post: (signed) => postSigned(signed).then((r) => ({ status: r.statusCode, body: r.body })),
    });
  }

  async function countEvents(): Promise<number> {
    const [row] = await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from ${inboundEvents}`);
    return Number(row?.n ?? 0);
  }

  async function eventsOf(userId: string) {
    return t.database.db.select().from(inboundEvents).where(eq(inboundEvents.senderId, userId));
  }

  it('stores a correctly signed event once, byte for byte, and answers 200', async () => {
    // The ZALO.md §2.3 sample exactly as it arrives: pretty-printed, so re-serialising would break the hash.
    const signature = signZaloEvent(USER_SEND_TEXT, SECRETS);
    const res = await post(USER_SEND_TEXT, { 'x-zevent-signature': signature });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    const rows = await t.database.db.select().from(inboundEvents).where(eq(inboundEvents.dedupeKey, '96d3cdf3af150460909'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: 'zalo', eventName: 'user_send_text', senderId: USER_ID, raw: USER_SEND_TEXT });
    await t.deps.jobs.drain();
    const [processed] = await t.database.db.select().from(inboundEvents).where(eq(inboundEvents.id, rows[0]!.id));
    expect(processed).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('refuses a tampered body with 401 and stores nothing', async () => {
    const user = newUser();
    const signed = user.sign(user.textEvent('Đèn đường ngõ 12 bị hỏng'));
    const before = await countEvents();
    const res = await post(signed.rawBody.replace('ngõ 12', 'ngõ 13'), { 'x-zevent-signature': signed.signature });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
    expect(await countEvents()).toBe(before);
  });

  it('accepts the signature with or without the mac= prefix, in either case', async () => {
    const user = newUser();
    const hex = (signed: SignedEvent) => signed.signature.replace(/^mac=/, '');
    const withPrefix = user.sign(user.textEvent('một'));
    const bare = user.sign(user.textEvent('hai'));
    const upper = user.sign(user.textEvent('ba'));
    expect(withPrefix.signature).toMatch(/^mac=[0-9a-f]{64}$/);
    expect((await post(withPrefix.rawBody, { 'x-zevent-signature': withPrefix.signature })).statusCode).toBe(200);
    expect((await post(bare.rawBody, { 'x-zevent-signature': hex(bare) })).statusCode).toBe(200);
    expect((await post(upper.rawBody, { 'x-zevent-signature': `MAC=${hex(upper).toUpperCase()}` })).statusCode).toBe(200);
    expect(await eventsOf(user.userId)).toHaveLength(3);
  });

  it('refuses a signature made with another key (including the App Secret) or none', async () => {
    const user = newUser();
    const event = user.textEvent('Xin chào');
    const { rawBody } = user.sign(event);
    const before = await countEvents();
    for (const key of ['wrong-oa-secret-key', APP_SECRET]) {
      const res = await post(rawBody, { 'x-zevent-signature': signZaloEvent(rawBody, { appId: APP_ID, oaSecretKey: key }) });
      expect(res.statusCode).toBe(401);
    }
    // An HMAC with the right key is still the wrong formula (ZALO.md §8.1).
    const hmac = createHash('sha256').update(rawBody).digest('hex');
    expect((await post(rawBody, { 'x-zevent-signature': `mac=${hmac}` })).statusCode).toBe(401);
    expect((await post(rawBody)).statusCode).toBe(401);
    expect((await post(rawBody, { 'x-zevent-signature': 'mac=not-hex' })).statusCode).toBe(401);
    expect(await countEvents()).toBe(before);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const before = await countEvents();
    const broken = '{"app_id":"360846524940903967","event_name":"user_send_text",';
    expect((await post(broken, { 'x-zevent-signature': `mac=${'0'.repeat(64)}` })).statusCode).toBe(400);
    expect((await post(broken)).statusCode).toBe(400);
    expect(await countEvents()).toBe(before);
  });

  it('keeps a signed event it cannot read (answering 200, so Zalo does not retry it for hours) without acting on it', async () => {
    // A user_send_text with no msg_id: authentic, but not a shape the parser knows.
    const rawBody = JSON.stringify({
      app_id: APP_ID,
      sender: { id: USER_ID },
      recipient: { id: OA_ID },
      event_name: 'user_send_text',
      message: { text: 'tin không có msg_id' },
      timestamp: '1757000123000',
    });
    const signed = { rawBody, signature: signZaloEvent(rawBody, SECRETS) };
    const res = await postSigned(signed);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, ignored: 'not understood' });
    const kept = await t.database.db.select().from(inboundEvents).where(eq(inboundEvents.raw, rawBody));
    expect(kept).toEqual([expect.objectContaining({ eventName: 'user_send_text', senderId: null, status: 'ignored' })]);
    expect((await postSigned(signed)).statusCode).toBe(200);
    expect(await t.database.db.select().from(inboundEvents).where(eq(inboundEvents.raw, rawBody))).toHaveLength(1);
  });

  it('answers 413 to a body over 1 MB, signed or not', async () => {
    const user = newUser();
    const big = user.sign(user.textEvent('x'.repeat(1024 * 1024)));
    const before = await countEvents();
    expect((await postSigned(big)).statusCode).toBe(413);
    expect(await countEvents()).toBe(before);
  });

  it('answers 200 to the console test ping and the URL-save ping, storing nothing', async () => {
    const before = await countEvents();
    for (const body of ['{}', `{"app_id":"${APP_ID}"}`, `{"app_id":"${APP_ID}","timestamp":"1757000000000"}`, '']) {
      const res = await post(body);
      expect(res.statusCode, `ping ${JSON.stringify(body)}`).toBe(200);
      expect(res.json()).toMatchObject({ ok: true, ignored: 'ping' });
    }
    // Not always signed like real events: a signature that does not verify must not block it either.
    expect((await post(`{"app_id":"${APP_ID}"}`, { 'x-zevent-signature': `mac=${'a'.repeat(64)}` })).statusCode).toBe(200);
    expect(await countEvents()).toBe(before);
  });

  it('takes 10 concurrent re-deliveries of one event as one: all 200, one row, one reply', async () => {
    const user = newUser();
    const signed = user.sign(user.textEvent('Đèn đường ngõ 12 bị hỏng'));
    const answers = await Promise.all(Array.from({ length: 10 }, () => postSigned(signed)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => (a.json() as { duplicate?: boolean }).duplicate === true)).toHaveLength(9);
    await t.deps.jobs.drain();

    const rows = await eventsOf(user.userId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'done', attempts: 1 });
    const replies = await t.database.db.select().from(outbox).where(sql`${outbox.recipient}->>'userId' = ${user.userId}`);
    expect(replies.map((r) => r.key)).toEqual([`reply:${rows[0]!.id}`]);
    const incoming = await t.database.db.select().from(messages).where(and(eq(messages.zaloUserId, user.userId), eq(messages.direction, 'in')));
    expect(incoming.map((m) => m.text)).toEqual(['Đèn đường ngõ 12 bị hỏng']);

    // Zalo's retry ladder keeps re-sending later: still nothing new.
    expect((await postSigned(signed)).json()).toEqual({ ok: true, duplicate: true });
    await t.deps.jobs.drain();
    expect(await eventsOf(user.userId)).toHaveLength(1);
  });

  it('ignores the echo of our own send but mirrors a reply typed by staff in the OA app', async () => {
    const own = { rawBody: OA_SEND_TEXT, signature: signZaloEvent(OA_SEND_TEXT, SECRETS) };
    const staff = { rawBody: OA_SEND_TEXT_BY_STAFF, signature: signZaloEvent(OA_SEND_TEXT_BY_STAFF, SECRETS) };
    expect((await postSigned(own)).statusCode).toBe(200);
    expect((await postSigned(staff)).statusCode).toBe(200);
    await t.deps.jobs.drain();

    const [ownRow] = await t.database.db.select().from(inboundEvents).where(eq(inboundEvents.dedupeKey, 'c3d4e5f6a7b8c9d0e1f2'));
    const [staffRow] = await t.database.db.select().from(inboundEvents).where(eq(inboundEvents.dedupeKey, 'c3d4e5f6a7b8c9d0e1f3'));
    expect(ownRow).toMatchObject({ eventName: 'oa_send_text', senderId: USER_ID, status: 'ignored' });
    expect(staffRow).toMatchObject({ eventName: 'oa_send_text', senderId: USER_ID, status: 'done' });

    const mirrored = await t.database.db.select().from(messages).where(inArray(messages.zaloMsgId, ['c3d4e5f6a7b8c9d0e1f2', 'c3d4e5f6a7b8c9d0e1f3']));
    // Only the staff reply is on record, as an outgoing message, never as something the citizen said.
    expect(mirrored).toHaveLength(1);
    expect(mirrored[0]).toMatchObject({ zaloUserId: USER_ID, direction: 'out', channel: 'zalo', text: 'Chúng tôi đã chuyển phản ánh', payload: { via: 'oa_app' } });
    // Neither is answered by the bot.
    const answered = await t.database.db.select().from(outbox).where(inArray(outbox.key, [`reply:${ownRow!.id}`, `reply:${staffRow!.id}`]));
    expect(answered).toEqual([]);
  });

  it('serves the domain verification file when ZALO_VERIFIER_FILE and ZALO_VERIFIER_CONTENT are set', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${VERIFIER_FILE}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(VERIFIER_CONTENT);
    expect((await t.app.inject({ method: 'GET', url: '/zalo_verifierOther.html' })).statusCode).toBe(404);
  });
});
