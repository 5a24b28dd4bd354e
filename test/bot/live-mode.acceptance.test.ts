import { eq, sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerFakeZaloApi } from '../../bot/sandbox/fake-zalo-api.js';
import { SandboxStore, type SandboxMessage } from '../../bot/sandbox/sandbox-store.js';
import { attachments, cases, categories, consents, contacts, inboundEvents, messages, outbox, units } from '../../db/schema.js';
import { systemClock } from '../../runtime/clock.js';
import { loadConfig } from '../../runtime/config.js';
import { queryRows } from '../../runtime/db.js';
import { tinyPng } from '../helpers/png.js';
import { startTestPakn, type TestPakn } from '../helpers/start-test-pakn.js';
import { waitFor } from '../helpers/wait-for.js';
import { httpPoster, ZaloUser } from '../helpers/zalo-user.js';

/**
 * Acceptance of the live Zalo mode: PAKN configured like a real OA (ZALO_* variables), talking to a
 * stand-in for Zalo's servers on its own port (the sandbox's fake OA/OAuth API, which records every
 * request), and a program playing a citizen in Zalo: it follows the OA, answers each prompt, taps the
 * offered buttons, shares a location, a photo and its contact, and must get a case code.
 */

const APP_ID = '360846524940903967';
const OA_ID = '388613280878808645';
const APP_SECRET = 'acceptance-app-secret';
const OA_SECRET_KEY = 'acceptance-oa-secret-key';
const USER_ID = '2468458835291977001';
const PHOTO = tinyPng({ width: 16, height: 12 });
const MAX_TURNS = 15;

interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

// ───────────── ZALO.md §4 and §6 wire formats, strictly ─────────────

const ZUserId = z.literal(USER_ID);
const ZCsText = z.string().min(1).refine((t) => [...t.normalize('NFC')].length <= 2_000, 'longer than 2,000 characters');
const ZQueryButton = z.strictObject({
  title: z.string().min(1).max(100),
  type: z.enum(['oa.query.show', 'oa.query.hide']),
  payload: z.string().min(1).max(1_000),
});
const ZUrlButton = z.strictObject({ title: z.string().min(1).max(100), type: z.literal('oa.open.url'), payload: z.strictObject({ url: z.url() }) });
const ZPhoneButton = z.strictObject({ title: z.string().min(1).max(100), type: z.literal('oa.open.phone'), payload: z.strictObject({ phone_code: z.string().min(1) }) });
const ZRecipient = z.strictObject({ user_id: ZUserId });

/** §4.2 text, text with buttons (≤ 5), request_user_info (1 element): one strict schema each. */
const ZCsBody = z.union([
  z.strictObject({ recipient: ZRecipient, message: z.strictObject({ text: ZCsText, quote_message_id: z.string().min(1).optional() }) }),
  z.strictObject({
    recipient: ZRecipient,
    message: z.strictObject({
      text: ZCsText,
      attachment: z.strictObject({
        type: z.literal('template'),
        payload: z.strictObject({ buttons: z.array(z.union([ZQueryButton, ZUrlButton, ZPhoneButton])).min(1).max(5) }),
      }),
    }),
  }),
  z.strictObject({
    recipient: ZRecipient,
    message: z.strictObject({
      attachment: z.strictObject({
        type: z.literal('template'),
        payload: z.strictObject({
          template_type: z.literal('request_user_info'),
          elements: z.tuple([z.strictObject({ title: z.string().min(1).max(100), subtitle: z.string().min(1).max(500), image_url: z.url().optional() })]),
        }),
      }),
    }),
  }),
]);

/** §6: refresh with the single-use refresh token, form-encoded, the App Secret in `secret_key`. */
const ZRefreshBody = z.strictObject({ app_id: z.literal(APP_ID), grant_type: z.literal('refresh_token'), refresh_token: z.string().min(1) });

function header(req: RecordedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Every request PAKN made to "Zalo" must be one of the documented calls, exactly as documented. */
function checkWireFormat(req: RecordedRequest): string[] {
  const problems: string[] = [];
  const expectHeader = (name: string, value: RegExp) => {
    if (!value.test(header(req, name) ?? '')) problems.push(`${req.method} ${req.path}: header ${name}=${String(header(req, name))}`);
  };
  if (req.method === 'POST' && req.path === '/sandbox/zalo/v3.0/oa/message/cs') {
    expectHeader('access_token', /^\S{8,}$/);
    expectHeader('content-type', /^application\/json\b/);
    if (req.headers.authorization !== undefined) problems.push('Authorization header sent; Zalo wants access_token');
    const parsed = ZCsBody.safeParse(req.body);
    if (!parsed.success) problems.push(`cs body ${JSON.stringify(req.body)}: ${z.prettifyError(parsed.error)}`);
  } else if (req.method === 'POST' && req.path === '/sandbox/oauth/v4/oa/access_token') {
    expectHeader('secret_key', new RegExp(`^${APP_SECRET}$`));
    expectHeader('content-type', /^application\/x-www-form-urlencoded\b/);
    const parsed = ZRefreshBody.safeParse(req.body);
    if (!parsed.success) problems.push(`oauth body: ${z.prettifyError(parsed.error)}`);
  } else if (!(req.method === 'GET' && req.path.startsWith('/cdn/'))) {
    problems.push(`unexpected call ${req.method} ${req.path}`);
  }
  return problems;
}

// ───────────── the fake Zalo servers ─────────────

async function startFakeZalo(): Promise<{ app: FastifyInstance; url: string; store: SandboxStore; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const store = new SandboxStore(() => Date.now());
  const app = Fastify({ logger: false });
  app.addHook('preHandler', async (req) => {
    requests.push({ method: req.method, path: req.url.split('?')[0]!, headers: { ...req.headers }, body: req.body });
  });
  // The fake API only reads the app and OA ids and a base URL from the config.
  const config = loadConfig({ LOG_LEVEL: 'silent', ZALO_APP_ID: APP_ID, ZALO_OA_ID: OA_ID, PUBLIC_BASE_URL: 'http://127.0.0.1' });
  await registerFakeZaloApi(app, { config, store });
  // Zalo's photo CDN, where a citizen's photo lives until we copy it.
  app.get('/cdn/:name', async (_req, reply) => reply.type('image/png').send(PHOTO));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('fake Zalo has no port');
  return { app, url: `http://127.0.0.1:${address.port}`, store, requests };
}

describe('live Zalo mode against a fake Zalo (acceptance)', () => {
  let fake: Awaited<ReturnType<typeof startFakeZalo>>;
  let pakn: TestPakn;
  let user: ZaloUser;

  beforeAll(async () => {
    fake = await startFakeZalo();
    pakn = await startTestPakn({
      driver: 'pg',
      port: 0,
      clock: systemClock,
      env: {
        APP_MODE: 'demo',
        ZALO_APP_ID: APP_ID,
        ZALO_APP_SECRET: APP_SECRET,
        ZALO_OA_SECRET_KEY: OA_SECRET_KEY,
        ZALO_OA_ID: OA_ID,
        ZALO_ACCESS_TOKEN: 'first-access-token-from-the-api-explorer',
        ZALO_REFRESH_TOKEN: 'first-refresh-token-from-the-api-explorer',
        ZALO_API_BASE_URL: `${fake.url}/sandbox/zalo`,
        ZALO_OAUTH_BASE_URL: `${fake.url}/sandbox/oauth`,
        ZALO_BUSINESS_API_BASE_URL: `${fake.url}/sandbox/business`,
      },
    });
    expect(pakn.running.config.zalo.sandbox).toBe(false);
    user = new ZaloUser({
      appId: APP_ID,
      oaId: OA_ID,
      oaSecretKey: OA_SECRET_KEY,
      userId: USER_ID,
      clock: systemClock,
      post: httpPoster(`${pakn.url}/zalo/webhook`),
    });
    // The first scheduler tick runs at start (demo data, classifier training): let it finish first.
    await settle();
  }, 60_000);

  afterAll(async () => {
    await pakn?.close();
    await fake?.app.close();
  });

  const db = () => pakn.running.deps.database.db;

  /** Until PAKN has handled every event and sent everything it had for the user. */
  async function settle(): Promise<void> {
    await waitFor('PAKN to finish its jobs', async () => {
      await pakn.running.deps.jobs.drain();
      const [row] = await queryRows<{ busy: number }>(
        db(),
        sql`select (select count(*) from ${inboundEvents} where status in ('pending', 'processing'))
              + (select count(*) from ${outbox} where kind = 'zalo' and status in ('pending', 'sending') and available_at <= now()) as busy`,
      );
      return Number(row?.busy) === 0;
    });
  }

  let seen = 0;
  function newOaMessages(): SandboxMessage[] {
    const fresh = fake.store.listMessages(USER_ID, seen);
    seen = fake.store.lastSeq;
    return fresh.filter((m) => m.from === 'oa');
  }

  it('walks a citizen from follow to a case code, then stays idempotent and rejects bad signatures', { timeout: 60_000 }, async () => {
    const offered: Array<{ title: string; payload: string }> = [];
    const transcript: string[] = [];
    const tap = async (title: string) => {
      const button = [...offered].reverse().find((b) => b.title === title);
      if (!button) throw new Error(`no "${title}" button offered:\n${transcript.join('\n')}`);
      transcript.push(`> [tap ${title}]`);
      return user.text(button.payload);
    };
    const say = async (text: string) => {
      transcript.push(`> ${text}`);
      return user.text(text);
    };

    let photoSent = false;
    let code: string | undefined;
    let turns = 1;
    transcript.push('> [follow]');
    expect((await user.follow()).status).toBe(200);
    for (; turns <= MAX_TURNS; turns++) {
      await settle();
      const fresh = newOaMessages();
      for (const m of fresh) {
        if ('text' in m && m.text) transcript.push(`< ${m.text.split('\n')[0]}`);
        if (m.kind === 'buttons') for (const b of m.buttons) if (b.type.startsWith('oa.query.')) offered.push(b);
      }
      const said = fresh.map((m) => ('text' in m && m.text ? m.text : '')).join('\n');
      code = said.match(/Mã phản ánh: (PA-\d{4}-\d{6})/)?.[1];
      if (code) break;

      // The citizen reads the newest prompt and does what it asks.
      const last = fresh.at(-1);
      let answer;
      if (fresh.some((m) => m.kind === 'request_user_info')) {
        transcript.push('> [share Nguyễn Văn An 0912345678]');
        answer = await user.submitInfo('Nguyễn Văn An', '0912345678');
      } else if (said.includes('Sự việc xảy ra ở đâu')) {
        transcript.push('> [location 21.0285 105.8542]');
        answer = await user.location(21.0285, 105.8542);
      } else if (said.includes('thuộc phường/xã nào')) {
        answer = await say('Ngõ 12 Tràng Tiền, phường Hoàn Kiếm');
      } else if (said.includes('mô tả nội dung phản ánh')) {
        answer = await say('Đèn đường ở ngõ 12 Tràng Tiền bị hỏng hai tuần nay, buổi tối rất tối và nguy hiểm.');
      } else if (said.includes('gửi tối đa') && !photoSent) {
        photoSent = true;
        transcript.push('> [image]');
        answer = await user.image(`${fake.url}/cdn/den-duong-ngo-12.png`);
      } else if (said.startsWith('Đã nhận 1/')) {
        answer = await tap('Xong');
      } else if (last?.kind === 'buttons') {
        // A long choice comes as several button messages: pick among all of this turn's buttons.
        const preferred = ['Gửi phản ánh', 'Người dân', 'Chiếu sáng công cộng', 'Đồng ý'];
        const titles = fresh.flatMap((m) => (m.kind === 'buttons' ? m.buttons.map((b) => b.title) : []));
        answer = await tap(preferred.find((p) => titles.includes(p)) ?? titles[0]!);
      } else {
        throw new Error(`the citizen does not know what to answer:\n${transcript.join('\n')}`);
      }
      expect(answer.status).toBe(200);
    }
    expect(code, transcript.join('\n')).toMatch(/^PA-2026-\d{6}$/);
    expect(turns).toBeLessThanOrEqual(MAX_TURNS);
    await settle();

    // ── the case carries everything the citizen gave ──
    const [c] = await db().select().from(cases).where(eq(cases.code, code!));
    const [ward] = await db().select().from(units).where(eq(units.code, '00070'));
    const [lighting] = await db().select().from(categories).where(eq(categories.code, 'chieu-sang'));
    const [contact] = await db().select().from(contacts).where(eq(contacts.zaloUserId, USER_ID));
    expect(c).toMatchObject({
      channel: 'zalo',
      status: 'assigned',
      contactKind: 'citizen',
      contactId: contact!.id,
      categoryId: lighting!.id,
      areaUnitId: ward!.id,
      address: 'Ngõ 12 Tràng Tiền, phường Hoàn Kiếm',
      latitude: 21.0285,
      longitude: 105.8542,
      description: 'Đèn đường ở ngõ 12 Tràng Tiền bị hỏng hai tuần nay, buổi tối rất tối và nguy hiểm.',
      consentVersion: 'pakn-zalo-2026-01',
    });
    expect(c!.answerDueAt).toBeInstanceOf(Date);
    expect(contact).toMatchObject({ fullName: 'Nguyễn Văn An', phone: '0912345678' });
    expect(await db().select().from(consents).where(eq(consents.contactId, contact!.id))).toEqual([
      expect.objectContaining({ purpose: 'pakn_handling', textVersion: 'pakn-zalo-2026-01', channel: 'zalo' }),
    ]);
    const files = await db().select().from(attachments).where(eq(attachments.caseId, c!.id));
    expect(files).toEqual([expect.objectContaining({ kind: 'image', sourceUrl: `${fake.url}/cdn/den-duong-ngo-12.png` })]);
    await waitFor('the photo to be copied from the CDN', async () => {
      const [file] = await db().select().from(attachments).where(eq(attachments.caseId, c!.id));
      return file?.status === 'stored' ? file : undefined;
    });

    // ── every call to "Zalo" was a documented one, in the documented format ──
    const zaloCalls = fake.requests.filter((r) => !r.path.startsWith('/cdn/'));
    expect(zaloCalls.filter((r) => r.path.endsWith('/message/cs')).length).toBeGreaterThanOrEqual(turns);
    expect(fake.requests.flatMap(checkWireFormat)).toEqual([]);
    // Each message PAKN sent is on record with the id Zalo gave it.
    const sentOut = await db().select().from(messages).where(sql`${messages.zaloUserId} = ${USER_ID} and ${messages.direction} = 'out'`);
    expect(sentOut.map((m) => m.zaloMsgId).sort()).toEqual(fake.store.listMessages(USER_ID).filter((m) => m.from === 'oa').map((m) => m.messageId).sort());

    // ── Zalo re-sends the whole conversation: nothing changes ──
    const count = async () => {
      const [row] = await queryRows<Record<string, number>>(
        db(),
        sql`select (select count(*)::int from ${cases}) as cases, (select count(*)::int from ${messages}) as messages,
                   (select count(*)::int from ${outbox}) as outbox, (select count(*)::int from ${inboundEvents}) as events`,
      );
      return row;
    };
    const before = await count();
    const callsBefore = fake.requests.length;
    const answers = await user.redeliverAll();
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(answers.every((a) => (JSON.parse(a.body) as { duplicate?: boolean }).duplicate === true)).toBe(true);
    await settle();
    expect(await count()).toEqual(before);
    expect(fake.requests.length).toBe(callsBefore);

    // ── a forged event is refused ──
    const forged = user.sign(user.textEvent('phản ánh'));
    const refused = await fetch(`${pakn.url}/zalo/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-zevent-signature': `mac=${'0'.repeat(64)}` },
      body: forged.rawBody,
    });
    expect(refused.status).toBe(401);
    expect(await count()).toEqual(before);
  });
});
