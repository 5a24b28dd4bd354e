import { eq } from 'drizzle-orm';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ECHO_CLOCK_SKEW_MS, fingerprintOf, intentFor } from '../../../bot/delivery/delivery-intent.js';
import { createZaloSender } from '../../../bot/delivery/zalo-sender.js';
import { storeInboundEvent } from '../../../bot/inbound/inbound-events.js';
import { registerFakeZaloApi } from '../../../bot/sandbox/fake-zalo-api.js';
import { SandboxStore } from '../../../bot/sandbox/sandbox-store.js';
import type { OutgoingMessage } from '../../../bot/conversation/outgoing.js';
import type { TZaloConversationMessage, ZaloClient } from '../../../bot/zalo/api-client.js';
import { createZaloClient } from '../../../bot/zalo/api-client.js';
import { parseZaloEvent } from '../../../bot/zalo/webhook.schema.js';
import { verifyZaloSignature } from '../../../bot/zalo/signature.js';
import { ZaloApiError } from '../../../bot/zalo/zalo-errors.js';
import { messages, outbox } from '../../../db/schema.js';
import { createFakeClock, type FakeClock } from '../../../runtime/clock.js';
import { loadConfig } from '../../../runtime/config.js';
import { createLogger } from '../../../runtime/logger.js';
import { isTransientDbError, retryTransientDbWrite } from '../../../runtime/outbox/db-retry.js';
import { DEFAULT_OUTBOX_LEASE_MS, deliverOutboxRow, insertOutbox, type OutboxRow } from '../../../runtime/outbox/outbox.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

/**
 * Exactly-once Zalo sends (issue #7): the intent recorded before each send, and the reconciliation of a row
 * resumed with an intent but no result (bot/delivery/delivery-intent.ts). A killed worker is stood in for by the
 * row state it leaves behind ('sending', an old claim, `result.intent`); Zalo by a client double that counts
 * sends and answers the conversation API; echoes by inbound_events rows as the webhook stores them.
 */

const USER = '2468458835291000301';
const OA = '388613280878808645';
const MINUTE = 60_000;

interface FakeClient {
  client: ZaloClient;
  sent: string[];
  conversationCalls: number;
  conversation: TZaloConversationMessage[] | Error;
  /** Called before a send answers: to look at the row mid-send, or to fail it. */
  onSend?: (text: string) => Promise<void>;
}

function fakeClient(): FakeClient {
  const fake: FakeClient = { client: undefined as unknown as ZaloClient, sent: [], conversationCalls: 0, conversation: [] };
  const send = async (_userId: string, text: string) => {
    await fake.onSend?.(text);
    fake.sent.push(text);
    return [`sent-${fake.sent.length}`];
  };
  fake.client = {
    sendText: send,
    sendButtons: send,
    getRecentMessages: async () => {
      fake.conversationCalls++;
      if (fake.conversation instanceof Error) throw fake.conversation;
      return fake.conversation;
    },
  } as unknown as ZaloClient;
  return fake;
}

describe('exactly-once Zalo delivery: intent and reconciliation', () => {
  let database: TestDatabase;
  let clock: FakeClock;
  let zalo: FakeClient;
  const db = () => database.db;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
  });
  afterAll(async () => database?.destroy());
  beforeEach(async () => {
    clock = createFakeClock('2026-03-02T09:00:00+07:00');
    zalo = fakeClient();
    await db().delete(outbox);
    await db().delete(messages);
  });

  const sender = () => createZaloSender({ db: db(), client: zalo.client, clock, echoSettleMs: 0 });
  const text = (t: string): OutgoingMessage => ({ type: 'text', text: t });

  async function queue(list: OutgoingMessage[], userId = USER): Promise<OutboxRow> {
    const key = `k-${Math.random().toString(36).slice(2)}`;
    await insertOutbox(db(), [{ key, kind: 'zalo', recipient: { userId, contactId: null }, data: { messages: list } }], clock.now());
    const [row] = await db().select().from(outbox).where(eq(outbox.key, key));
    return row!;
  }
  const read = async (id: number) => (await db().select().from(outbox).where(eq(outbox.id, id)))[0]!;
  const outgoing = async () =>
    (await db().select({ text: messages.text, zaloMsgId: messages.zaloMsgId, payload: messages.payload }).from(messages).orderBy(messages.id)).map((m) => ({
      text: m.text,
      zaloMsgId: m.zaloMsgId,
      reconciled: (m.payload as { reconciled?: string }).reconciled,
    }));

  /** What a worker killed mid-send leaves: claimed, an intent for message `index`, no result for it. */
  async function abandonMidSend(row: OutboxRow, index: number, sentBefore = index): Promise<Date> {
    const list = (row.data as { messages: OutgoingMessage[] }).messages;
    const at = clock.now();
    await db()
      .update(outbox)
      .set({ status: 'sending', attempts: 1, claimedAt: at, result: { sent: sentBefore, intent: intentFor(index, list[index]!, USER, at) } })
      .where(eq(outbox.id, row.id));
    // The lease runs out.
    clock.advance(DEFAULT_OUTBOX_LEASE_MS + MINUTE);
    return at;
  }

  /** An `oa_send_*` echo as our webhook stores it. */
  async function storeEcho(msgId: string, echoText: string, at: Date, options: { staff?: boolean; eventName?: string; userId?: string } = {}) {
    const raw = JSON.stringify({
      app_id: '360846524940903967',
      event_name: options.eventName ?? 'oa_send_text',
      sender: { id: OA, ...(options.staff ? { admin_id: 'admin-1' } : {}) },
      recipient: { id: options.userId ?? USER },
      message: { msg_id: msgId, text: echoText },
      timestamp: String(at.getTime()),
    });
    await storeInboundEvent(db(), { dedupeKey: msgId, eventName: options.eventName ?? 'oa_send_text', senderId: options.userId ?? USER, raw, receivedAt: at });
  }

  const deliver = (row: OutboxRow) => deliverOutboxRow(db(), row.id, sender(), clock.now());

  it('records the intent before each send: its own write for the first message, on the progress write for the next', async () => {
    const row = await queue([text('Một'), text('Hai')]);
    const seen: unknown[] = [];
    zalo.onSend = async () => void seen.push((await read(row.id)).result);
    expect(await deliver(row)).toBe('sent');
    const list = (row.data as { messages: OutgoingMessage[] }).messages;
    expect(seen).toEqual([
      { sent: 0, intent: { index: 0, fp: fingerprintOf(list[0]!), userId: USER, at: clock.now().toISOString() } },
      { sent: 1, intent: { index: 1, fp: fingerprintOf(list[1]!), userId: USER, at: clock.now().toISOString() } },
    ]);
    // Done: no intent left, the plain progress as before.
    expect(await read(row.id)).toMatchObject({ status: 'sent', result: { sent: 2 } });
    expect(zalo.conversationCalls).toBe(0);
  });

  it('the worker died after Zalo accepted the message: the echo shows it, it is recorded with the echo’s msg_id and not sent again', async () => {
    const row = await queue([text('Chào anh/chị'), text('Menu')]);
    const at = await abandonMidSend(row, 0);
    await storeEcho('echo-1', 'Chào anh/chị', new Date(at.getTime() + 400));
    expect(await deliver(row)).toBe('sent');
    expect(zalo.sent).toEqual(['Menu']);
    expect(zalo.conversationCalls).toBe(0);
    expect(await read(row.id)).toMatchObject({ status: 'sent', attempts: 2, result: { sent: 2, reconciled: [{ index: 0, via: 'echo', msgId: 'echo-1' }] } });
    expect(await outgoing()).toEqual([
      { text: 'Chào anh/chị', zaloMsgId: 'echo-1', reconciled: 'echo' },
      { text: 'Menu', zaloMsgId: 'sent-1', reconciled: undefined },
    ]);
  });

  it('no echo (not subscribed): Zalo’s conversation API shows the message, so it is not sent again', async () => {
    const row = await queue([text('Đã tiếp nhận')]);
    const at = await abandonMidSend(row, 0);
    zalo.conversation = [
      { messageId: 'user-msg', fromId: USER, toId: OA, time: at.getTime() + 2_000, text: 'Đã tiếp nhận' },
      { messageId: 'conv-1', fromId: OA, toId: USER, time: at.getTime() + 500, text: 'Đã tiếp nhận' },
    ];
    expect(await deliver(row)).toBe('sent');
    expect(zalo.sent).toEqual([]);
    expect(await read(row.id)).toMatchObject({ result: { sent: 1, reconciled: [{ index: 0, via: 'conversation', msgId: 'conv-1' }] } });
    expect(await outgoing()).toEqual([{ text: 'Đã tiếp nhận', zaloMsgId: 'conv-1', reconciled: 'conversation' }]);
  });

  it('Zalo never got the request: neither echo nor conversation shows it, so it is sent, once', async () => {
    const row = await queue([text('Một'), text('Hai')]);
    await abandonMidSend(row, 1, 1);
    expect(await deliver(row)).toBe('sent');
    expect(zalo.sent).toEqual(['Hai']);
    expect(zalo.conversationCalls).toBe(1);
    expect(await read(row.id)).toMatchObject({ result: { sent: 2, reconciled: [{ index: 1, via: 'resent' }] } });
  });

  it('does not take an echo that is not this message’s: another text, staff typing, another user, older than the intent, or one already recorded', async () => {
    const row = await queue([text('Menu')]);
    const at = await abandonMidSend(row, 0);
    // The same text sent earlier by another row, recorded with its id: that echo belongs to it.
    await db().insert(messages).values({ zaloUserId: USER, direction: 'out', channel: 'zalo', text: 'Menu', zaloMsgId: 'echo-earlier', deliveryStatus: 'sent', at });
    await storeEcho('echo-earlier', 'Menu', new Date(at.getTime() + 100));
    await storeEcho('echo-other-text', 'Khác', new Date(at.getTime() + 200));
    await storeEcho('echo-staff', 'Menu', new Date(at.getTime() + 300), { staff: true });
    await storeEcho('echo-other-user', 'Menu', new Date(at.getTime() + 300), { userId: '999' });
    await storeEcho('echo-old', 'Menu', new Date(at.getTime() - ECHO_CLOCK_SKEW_MS - MINUTE));
    expect(await deliver(row)).toBe('sent');
    expect(zalo.sent).toEqual(['Menu']);
    expect(await read(row.id)).toMatchObject({ result: { sent: 1, reconciled: [{ index: 0, via: 'resent' }] } });
  });

  it('no echo and the conversation API failing: sent again, marked unverified (the documented residual risk)', async () => {
    const row = await queue([text('Một')]);
    await abandonMidSend(row, 0);
    zalo.conversation = new ZaloApiError('GET /v2.0/oa/conversation: no answer', { kind: 'transient' });
    expect(await deliver(row)).toBe('sent');
    expect(zalo.sent).toEqual(['Một']);
    expect(await read(row.id)).toMatchObject({ result: { sent: 1, reconciled: [{ index: 0, via: 'resent_unverified' }] } });
  });

  it('a send Zalo refused leaves nothing in doubt; one that got no answer is reconciled on the next attempt', async () => {
    const refused = await queue([text('Một')], '2468458835291000302');
    zalo.onSend = async () => {
      throw new ZaloApiError('POST /v3.0/oa/message/cs: error -32', { code: -32, httpStatus: 200, kind: 'transient' });
    };
    expect(await deliver(refused)).toBe('retry');
    expect((await read(refused.id)).result).toEqual({ sent: 0 });

    const timedOut = await queue([text('Hai')]);
    zalo.onSend = async () => {
      throw new ZaloApiError('POST /v3.0/oa/message/cs: no answer within 10000 ms', { kind: 'transient' });
    };
    expect(await deliver(timedOut)).toBe('retry');
    expect((await read(timedOut.id)).result).toMatchObject({ sent: 0, intent: { index: 0 } });
    // Zalo had acted on it after all: its echo arrived before the retry.
    zalo.onSend = undefined;
    await storeEcho('echo-late', 'Hai', new Date(clock.now().getTime() + 1_000));
    clock.advance(10 * MINUTE);
    expect(await deliver(timedOut)).toBe('sent');
    expect(zalo.sent).toEqual([]);
    expect(await read(timedOut.id)).toMatchObject({ result: { sent: 1, reconciled: [{ index: 0, via: 'echo', msgId: 'echo-late' }] } });
  });

  it('a row re-claimed by another worker meanwhile is not sent by the one that lost its claim', async () => {
    const row = await queue([text('Một')]);
    await db().update(outbox).set({ status: 'sending', claimedAt: clock.now(), attempts: 1 }).where(eq(outbox.id, row.id));
    const stale = await read(row.id);
    await db().update(outbox).set({ claimedAt: new Date(clock.now().getTime() + 1) }).where(eq(outbox.id, row.id));
    expect(await sender()(stale)).toMatchObject({ ok: false, retry: true, error: expect.stringContaining('claim lost') });
    expect(zalo.sent).toEqual([]);
  });
});

describe('bounded retry of delivery bookkeeping while PostgreSQL is briefly unavailable', () => {
  const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

  it('retries connection-level failures (also wrapped as drizzle does) and succeeds when the server is back', async () => {
    let calls = 0;
    const result = await retryTransientDbWrite(
      async () => {
        calls++;
        if (calls === 1) throw new Error('Failed query', { cause: pgError('57P01') });
        if (calls === 2) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        return 'written';
      },
      { delaysMs: [1, 1, 1] },
    );
    expect([result, calls]).toEqual(['written', 3]);
  });

  it('does not retry a statement error, and gives up after the bounded delays', async () => {
    let calls = 0;
    await expect(retryTransientDbWrite(async () => (calls++, Promise.reject(pgError('23505'))), { delaysMs: [1, 1] })).rejects.toThrow('pg 23505');
    expect(calls).toBe(1);
    calls = 0;
    await expect(retryTransientDbWrite(async () => (calls++, Promise.reject(new Error('Connection terminated unexpectedly'))), { delaysMs: [1, 1] })).rejects.toThrow();
    expect(calls).toBe(3);
    expect(isTransientDbError(pgError('08006'))).toBe(true);
    expect(isTransientDbError(pgError('42P01'))).toBe(false);
  });
});

describe('sandbox: oa_send_* echoes and the conversation API, like real Zalo', () => {
  it('echoes each OA send to the webhook, signed, and lists the conversation newest first', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', ZALO_APP_ID: 'app-1', ZALO_OA_ID: OA, ZALO_OA_SECRET_KEY: 'oa-secret', PUBLIC_BASE_URL: 'http://127.0.0.1' });
    const posted: Array<{ rawBody: string; signature: string }> = [];
    const app = Fastify({ logger: false });
    await registerFakeZaloApi(app, { config, store: new SandboxStore(() => Date.now()), postWebhook: async (rawBody, signature) => void posted.push({ rawBody, signature }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = app.server.address() as { port: number };
      const client = createZaloClient({
        apiBaseUrl: `http://127.0.0.1:${address.port}/sandbox/zalo`,
        businessApiBaseUrl: `http://127.0.0.1:${address.port}/sandbox/business`,
        getAccessToken: async () => 'token',
        refreshAccessToken: async () => 'token',
        logger: createLogger({ level: 'silent' }),
      });
      const [first] = await client.sendText(USER, 'Xin chào');
      await client.sendButtons(USER, 'Chọn', [{ title: 'Tra cứu', type: 'oa.query.hide', payload: 'tra cứu' }]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(posted).toHaveLength(2);
      const echo = parseZaloEvent(posted[0]!.rawBody);
      expect(echo).toMatchObject({ ok: true, event: { type: 'oa_echo', userId: USER, msgId: first, text: 'Xin chào', byStaff: false } });
      const envelope = JSON.parse(posted[0]!.rawBody) as { timestamp: string };
      expect(verifyZaloSignature({ appId: 'app-1', rawBody: posted[0]!.rawBody, timestamp: envelope.timestamp, oaSecretKey: 'oa-secret', header: posted[0]!.signature })).toBe(true);

      const recent = await client.getRecentMessages!(USER);
      expect(recent.map((m) => [m.text, m.fromId, m.toId])).toEqual([
        ['Chọn', OA, USER],
        ['Xin chào', OA, USER],
      ]);
      expect(recent[1]!.messageId).toBe(first);
    } finally {
      await app.close();
    }
  });
});
