import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, contacts, conversations, units } from '../../db/schema.js';
import { DEMO_PASSWORD } from '../../db/seeds/seed-demo.js';
import { buildWebhookEvent, signWebhookEvent, type SandboxUserAction } from '../../bot/sandbox/webhook-event.js';
import { loadConfig, SANDBOX_ZALO } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { PRODUCT_PARTS } from '../../runtime/parts.js';
import { startPakn, type RunningPakn } from '../../runtime/start.js';
import { ConsoleClient } from '../console/console-client.js';
import { createEmptyPgDatabase, freePort, type EmptyPgDatabase } from './support/processes.js';

/**
 * Everything the product logs during a whole sandbox conversation (a citizen files a case and gives the
 * phone number 0912345678 in several ways) and console logins, captured at the most verbose level,
 * must be free of that phone number in any format, of tokens, secrets and passwords.
 */

const PHONE = '0912345678';
const CITIZEN = `logs-citizen-${randomBytes(4).toString('hex')}`;
const SESSION_SECRET = `session-secret-${randomBytes(24).toString('hex')}`;
const WRONG_PASSWORD = 'Sai-Mat-Khau-Tuyet-Mat-2026!';
const SANDBOX_ACCESS_TOKEN = 'sandbox-access-token';

const lines: string[] = [];
/** pino writes each log line as one string: kept in memory for the assertions. */
const destination = { write: (line: string) => void lines.push(line) };

let database: EmptyPgDatabase;
let pakn: RunningPakn;
const dataDir = mkdtempSync(join(tmpdir(), 'pakn-logs-'));
const signatures: string[] = [];
let msgSeq = 0;

beforeAll(async () => {
  database = await createEmptyPgDatabase();
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    SESSION_SECRET,
    LOG_LEVEL: 'trace',
  });
  pakn = await startPakn({ config, parts: PRODUCT_PARTS, logger: createLogger({ level: 'trace', destination }) });
  // The scheduler's first tick (outbox relay of the demo cases, housekeeping) runs at start: let it finish.
  await drained(90_000);
}, 150_000);

afterAll(async () => {
  await pakn?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Posts one signed event like Zalo does, then lets every job it causes (replies included) finish. */
async function send(action: SandboxUserAction): Promise<void> {
  msgSeq += 1;
  const event = buildWebhookEvent(action, {
    appId: SANDBOX_ZALO.appId,
    oaId: SANDBOX_ZALO.oaId,
    userId: CITIZEN,
    userIdByApp: '5551234567890123456',
    timestamp: String(Date.now()),
    msgId: `logs-msg-${msgSeq}-${randomBytes(6).toString('hex')}`,
  });
  const { rawBody, signature } = signWebhookEvent(event, SANDBOX_ZALO);
  signatures.push(signature.replace(/^mac=/, ''));
  const res = await fetch(`${pakn.url}/zalo/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-zevent-signature': signature },
    body: rawBody,
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status).toBe(200);
  await drained(30_000);
}

/** Waits, bounded, until no job is running or due (the webhook's event job, the replies, any tick). */
async function drained(timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      pakn.deps.jobs.drain(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`jobs did not drain within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function dialogStep(): Promise<string | null> {
  const [row] = await pakn.deps.database.db.select({ step: conversations.step }).from(conversations).where(eq(conversations.zaloUserId, CITIZEN));
  return row?.step ?? null;
}

async function sandboxMessages(): Promise<Array<{ from: string; text?: string }>> {
  const res = await fetch(`${pakn.url}/sandbox/api/messages?userId=${encodeURIComponent(CITIZEN)}`);
  if (res.status === 404) return [];
  return ((await res.json()) as { messages: Array<{ from: string; text?: string }> }).messages;
}

/** Every digit sequence 9-1-2-3-4-5-6-7-8, whatever separates the digits (spaces, dots, dashes, quotes…). */
const THE_PHONE_ANY_FORMAT = /9\D{0,3}1\D{0,3}2\D{0,3}3\D{0,3}4\D{0,3}5\D{0,3}6\D{0,3}7\D{0,3}8/;
/** Any Vietnamese mobile number, local or international, with or without separators. */
const ANY_VN_MOBILE = /(?<![\d.])(?:\+?84|0)[\s.-]?[35789](?:[\s.-]?\d){8}(?!\d)/;

describe('logs through a whole sandbox flow and console logins', () => {
  it('hold no phone number, token, secret or password', async () => {
    await send({ kind: 'follow' });
    await send({ kind: 'text', text: 'phản ánh' });
    expect(await dialogStep()).toBe('kind');
    await send({ kind: 'text', text: '#loai:nguoi-dan' });
    await send({ kind: 'text', text: '1' });
    expect(await dialogStep()).toBe('place');
    const [ward] = await pakn.deps.database.db.select({ id: units.id }).from(units).where(eq(units.code, '00070'));
    await send({ kind: 'text', text: `#phuong-xa:${ward!.id}` });
    expect(await dialogStep()).toBe('description');
    await send({ kind: 'text', text: 'Cống thoát nước trước nhà số 10 phố Hàng Bông bị tắc, nước tràn lên vỉa hè. Gọi tôi: 0912 345 678.' });
    await send({ kind: 'text', text: '#anh:bo-qua' });
    expect(await dialogStep()).toBe('contact');
    await send({ kind: 'text', text: `Nguyễn Văn An, sđt ${PHONE}` });
    expect(await dialogStep()).toBe('consent');
    await send({ kind: 'text', text: '#dong-y' });
    expect(await dialogStep()).toBe('confirm');
    await send({ kind: 'text', text: '#gui-phan-anh' });
    expect(await dialogStep()).toBeNull();
    // Shared through Zalo's contact card too, in the international format, and typed with dots.
    await send({ kind: 'submit_info', name: 'Nguyễn Văn An', phone: '84912345678' });
    await send({ kind: 'text', text: 'Số của tôi là +84 912.345.678 nhé' });

    // The flow really ran: the case exists with the phone on the contact, and the citizen got the answers.
    const db = pakn.deps.database.db;
    const [contact] = await db.select({ id: contacts.id, phone: contacts.phone }).from(contacts).where(eq(contacts.zaloUserId, CITIZEN));
    expect(contact?.phone).toBe(PHONE);
    const [filed] = await db.select({ code: cases.code }).from(cases).where(and(eq(cases.contactId, contact!.id)));
    expect(filed?.code).toBeTruthy();
    const fromOa = (await sandboxMessages()).filter((m) => m.from === 'oa');
    expect(fromOa.length).toBeGreaterThanOrEqual(8);
    expect(fromOa.some((m) => m.text?.includes(filed!.code))).toBe(true);

    // A forged event is refused (and logged as such).
    const forged = await fetch(`${pakn.url}/zalo/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-zevent-signature': `mac=${'0'.repeat(64)}` },
      body: JSON.stringify({ app_id: SANDBOX_ZALO.appId, event_name: 'user_send_text', sender: { id: CITIZEN }, message: { msg_id: 'x', text: PHONE }, timestamp: '1' }),
    });
    expect(forged.status).toBe(401);

    // Console: a wrong password, then the right one.
    const officialBrowser = new ConsoleClient(pakn.app!);
    expect((await officialBrowser.login('chuyenvien', WRONG_PASSWORD)).statusCode).toBe(401);
    expect((await officialBrowser.login('chuyenvien', DEMO_PASSWORD)).statusCode).toBe(303);
    const sessionCookie = officialBrowser.cookie;
    expect(sessionCookie).toBeTruthy();
    const inbox = await officialBrowser.get('/console/inbox');
    expect(inbox.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(inbox.body)?.[1];

    const log = lines.join('');
    // The capture works: requests, the webhook and the logins are in it.
    expect(lines.length).toBeGreaterThan(30);
    expect(log).toContain('/zalo/webhook');
    expect(log).toContain('console login failed');
    expect(log).toContain('"msg":"console login"');

    const offending = (pattern: RegExp | string) =>
      lines.filter((line) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line))).map((l) => l.slice(0, 400));
    expect(offending(THE_PHONE_ANY_FORMAT)).toEqual([]);
    expect(offending(ANY_VN_MOBILE)).toEqual([]);
    expect(offending(WRONG_PASSWORD)).toEqual([]);
    expect(offending(DEMO_PASSWORD)).toEqual([]);
    expect(offending(SESSION_SECRET)).toEqual([]);
    expect(offending(SANDBOX_ZALO.oaSecretKey)).toEqual([]);
    expect(offending(SANDBOX_ACCESS_TOKEN)).toEqual([]);
    for (const signature of signatures) expect(offending(signature)).toEqual([]);
    const sessionId = officialBrowser.sessionId();
    expect(offending(decodeURIComponent(sessionCookie!))).toEqual([]);
    if (sessionId) expect(offending(sessionId)).toEqual([]);
    if (csrf) expect(offending(csrf)).toEqual([]);
  }, 240_000);
});
