import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerFakeZaloApi } from '../../../bot/sandbox/fake-zalo-api.js';
import { SandboxStore, type SandboxMessage } from '../../../bot/sandbox/sandbox-store.js';
import { loadConfig } from '../../../runtime/config.js';

/**
 * Zalo's servers for the fault tests: the sandbox's fake OA/OAuth API (the same wire formats the product's
 * real client speaks) on a port of its own, in the test process, so it outlives any product process the
 * test kills. Every message it accepted is in `store`: that is what the citizen sees, the count the tests
 * assert on. A send can be held open to put a delivery "in flight" at a moment the test chooses.
 */

export const FAKE_ZALO = {
  appId: '360846524940903967',
  oaId: '388613280878808645',
  appSecret: 'faults-app-secret',
  oaSecretKey: 'faults-oa-secret-key',
} as const;

const CS_PATH = '/sandbox/zalo/v3.0/oa/message/cs';

/**
 * How a held send ends when the caller's connection dies:
 * - 'lose-request': Zalo never acted on it (the message is not delivered);
 * - 'lose-answer': Zalo delivered the message, only its answer was lost with the caller.
 */
export type HoldMode = 'lose-request' | 'lose-answer';

export interface HeldSend {
  /** Resolves with the request body once the send has reached the fake Zalo and is being held. */
  arrived: Promise<unknown>;
  /** Resolves once the caller's connection closed (the process holding it died). */
  callerGone: Promise<void>;
}

interface HoldRule {
  userId: string;
  /** Hold the n-th send (1-based) to this user counted from when the rule was set. */
  nth: number;
  seen: number;
  mode: HoldMode;
  arrived: (body: unknown) => void;
  callerGone: () => void;
}

export interface FakeZalo {
  app: FastifyInstance;
  /** Base URL; the product's ZALO_*_BASE_URL variables point under it (see {@link fakeZaloEnv}). */
  url: string;
  store: SandboxStore;
  /** Every CS send that reached the fake, in arrival order (held ones included). */
  sends: Array<{ userId: string; body: unknown }>;
  /** Holds the `nth` CS send to `userId` open until the caller's connection closes. */
  holdSend(userId: string, nth: number, mode: HoldMode): HeldSend;
  /**
   * Posts the `oa_send_*` echo of every message the OA sends to this webhook URL, signed, as real Zalo does when
   * the app subscribes to those events; undefined (the default) posts none.
   */
  setWebhookUrl(url: string | undefined): void;
  /** Echoes posted so far (accepted by the webhook or not). */
  echoes: Array<{ userId: string; msgId: string; status: number | 'error' }>;
  /** Messages the OA delivered to a user, in order. */
  delivered(userId: string): SandboxMessage[];
  close(): Promise<void>;
}

/** The environment that points a PAKN process at this fake Zalo, as a real OA configuration would. */
export function fakeZaloEnv(fake: { url: string }): Record<string, string> {
  return {
    ZALO_APP_ID: FAKE_ZALO.appId,
    ZALO_APP_SECRET: FAKE_ZALO.appSecret,
    ZALO_OA_SECRET_KEY: FAKE_ZALO.oaSecretKey,
    ZALO_OA_ID: FAKE_ZALO.oaId,
    ZALO_ACCESS_TOKEN: 'faults-first-access-token',
    ZALO_REFRESH_TOKEN: 'faults-first-refresh-token',
    ZALO_API_BASE_URL: `${fake.url}/sandbox/zalo`,
    ZALO_OAUTH_BASE_URL: `${fake.url}/sandbox/oauth`,
    ZALO_BUSINESS_API_BASE_URL: `${fake.url}/sandbox/business`,
  };
}

/** Resolves when the client side of this request's connection is gone. */
function connectionClosed(raw: IncomingMessage): Promise<void> {
  const socket = raw.socket;
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function recipientOf(body: unknown): string | undefined {
  const recipient = (body as { recipient?: { user_id?: unknown } } | null)?.recipient;
  return typeof recipient?.user_id === 'string' ? recipient.user_id : undefined;
}

export async function startFakeZalo(): Promise<FakeZalo> {
  const store = new SandboxStore(() => Date.now());
  const sends: FakeZalo['sends'] = [];
  const rules: HoldRule[] = [];
  /** Requests whose answer is held back after the handler ran ('lose-answer'). */
  const answerHeld = new WeakMap<IncomingMessage, HoldRule>();

  const app = Fastify({ logger: false });

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' || req.url.split('?')[0] !== CS_PATH) return;
    const userId = recipientOf(req.body);
    if (userId === undefined) return;
    sends.push({ userId, body: req.body });
    const rule = rules.find((r) => r.userId === userId && r.seen < r.nth);
    if (!rule) return;
    rule.seen += 1;
    if (rule.seen !== rule.nth) return;
    rules.splice(rules.indexOf(rule), 1);
    if (rule.mode === 'lose-answer') {
      answerHeld.set(req.raw, rule);
      return;
    }
    // 'lose-request': park it before the handler, so the message never reaches the user.
    rule.arrived(req.body);
    await connectionClosed(req.raw);
    rule.callerGone();
    reply.hijack();
    reply.raw.destroy();
    return reply;
  });

  // 'lose-answer': the handler has delivered the message; only the answer waits, and dies with its caller.
  app.addHook('onSend', async (req, _reply, payload) => {
    const rule = answerHeld.get(req.raw);
    if (!rule) return payload;
    answerHeld.delete(req.raw);
    rule.arrived(req.body);
    await connectionClosed(req.raw);
    rule.callerGone();
    return payload;
  });

  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ZALO_APP_ID: FAKE_ZALO.appId,
    ZALO_OA_ID: FAKE_ZALO.oaId,
    ZALO_OA_SECRET_KEY: FAKE_ZALO.oaSecretKey,
    PUBLIC_BASE_URL: 'http://127.0.0.1',
  });
  let webhookUrl: string | undefined;
  const echoes: FakeZalo['echoes'] = [];
  const postWebhook = async (rawBody: string, signature: string) => {
    if (!webhookUrl) return;
    const event = JSON.parse(rawBody) as { recipient: { id: string }; message: { msg_id: string } };
    const entry: FakeZalo['echoes'][number] = { userId: event.recipient.id, msgId: event.message.msg_id, status: 'error' };
    echoes.push(entry);
    const response = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-zevent-signature': signature }, body: rawBody });
    entry.status = response.status;
  };
  await registerFakeZaloApi(app, { config, store, postWebhook });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('fake Zalo has no port');

  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    store,
    sends,
    holdSend(userId, nth, mode) {
      let arrived!: (body: unknown) => void;
      let callerGone!: () => void;
      const held: HeldSend = {
        arrived: new Promise((resolve) => (arrived = resolve)),
        callerGone: new Promise((resolve) => (callerGone = resolve)),
      };
      rules.push({ userId, nth, seen: 0, mode, arrived, callerGone });
      return held;
    },
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    echoes,
    delivered: (userId) => store.listMessages(userId).filter((m) => m.from === 'oa'),
    close: async () => {
      // Held requests end with their sockets.
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
