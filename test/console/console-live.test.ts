import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { LIVE_MESSAGES } from '../../console/live/live.routes.js';
import { officials } from '../../db/schema.js';
import { signalCaseChange } from '../../workflows/cases/case-change-signal.js';
import type { Role } from '../../workflows/cases/actor.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait-for.js';
import { ConsoleClient, readCsrfToken } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type UnitKey, type World } from './console-world.js';
import { openEventStream, type SseStream } from './sse-client.js';

/**
 * GET /console/live over a real socket: a change committed through the workflows reaches, over PostgreSQL
 * LISTEN/NOTIFY (or PGlite's), the streams of the officials who may see the case, and nobody else's.
 */

const HOSTILE = 'Rác tràn ra đường <script>alert(1)</script> và {{7*7}} ở ngõ 5';
const HEARTBEAT_MS = 100;
const STREAMS_PER_SESSION = 2;

describe.each(DRIVERS)('console live updates on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let base: string;
  let closed = false;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database, { live: { heartbeatMs: HEARTBEAT_MS, maxStreamsPerSession: STREAMS_PER_SESSION } });
    base = await world.t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    if (!closed) await world?.close();
    await database?.destroy();
  });

  async function signIn(role: Role, unit: UnitKey): Promise<ConsoleClient> {
    const client = new ConsoleClient(world.t.app);
    const res = await client.login(world.official(role, unit).login, WORLD_PASSWORD);
    expect(res.statusCode).toBe(303);
    return client;
  }

  function cookieOf(client: ConsoleClient): Record<string, string> {
    return { cookie: `${CONSOLE_COOKIE_NAME}=${client.cookie}` };
  }

  /** A stream that is listening: the `ready` event comes after the subscription is in place. */
  async function openLive(client: ConsoleClient): Promise<SseStream> {
    const stream = await openEventStream(`${base}/console/live`, cookieOf(client));
    streams.push(stream);
    expect(stream.status).toBe(200);
    await stream.next('the ready event', (e) => e.event === 'ready');
    return stream;
  }

  async function liveOf(role: Role, unit: UnitKey): Promise<SseStream> {
    return openLive(await signIn(role, unit));
  }

  async function versionOf(caseId: number, client: ConsoleClient) {
    const page = await client.get(`/console/cases/${caseId}`);
    return { csrf: readCsrfToken(page.body), page };
  }

  it('sends a committed change to the officials who may see the case, and nothing to another unit', async () => {
    const handlerA = await liveOf('handler', 'a');
    const handlerB = await liveOf('handler', 'b');
    const dispatcher = await liveOf('dispatcher', 'a');

    const caseA = await world.createCaseFor('a', { description: HOSTILE });
    expect(await handlerA.nextCase(caseA.id, 'created')).toEqual({
      caseId: caseA.id,
      kind: 'created',
      code: caseA.code,
      status: 'assigned',
      statusLabel: 'Đã chuyển xử lý',
      version: 2,
      entered: true,
      mine: false,
    });
    // The dispatcher sees the whole city: for them nothing "enters".
    expect(await dispatcher.nextCase(caseA.id, 'created')).toMatchObject({ code: caseA.code, entered: false });

    const caseB = await world.createCaseFor('b');
    await handlerB.nextCase(caseB.id, 'created');
    await dispatcher.nextCase(caseB.id, 'created');
    // Events reach every stream in commit order: had unit b's handler been sent case A, it would be here first.
    expect(handlerB.caseEvents().map((e) => e.caseId)).toEqual([caseB.id]);

    await world.run(caseA.id, world.official('handler', 'a').actor, { type: 'accept' });
    expect(await handlerA.nextCase(caseA.id, 'changed')).toMatchObject({ status: 'in_progress', statusLabel: 'Đang xử lý', version: 3, mine: true, entered: false });
    expect(handlerA.caseEvents().map((e) => e.caseId)).not.toContain(caseB.id);

    // Codes, statuses, ids: never what the citizen wrote.
    for (const stream of [handlerA, handlerB, dispatcher]) {
      expect(stream.body).not.toContain('<script');
      expect(stream.body).not.toContain('{{7*7}}');
      expect(stream.body).not.toContain('Rác tràn');
    }
  });

  it('tells a unit that a case has left it with nothing but the id, and the new unit that it arrived', async () => {
    const caseA = await world.createCaseFor('a');
    const handlerA = await liveOf('handler', 'a');
    const leaderB = await liveOf('unit_leader', 'b');
    await world.run(caseA.id, world.official('handler', 'a').actor, { type: 'accept' });
    await handlerA.nextCase(caseA.id, 'changed');

    const from = handlerA.mark();
    await world.run(caseA.id, world.official('dispatcher', 'a').actor, { type: 'transfer', unitId: world.units.b, reason: 'Thuộc thẩm quyền Sở Y tế' });
    expect(await handlerA.nextCase(caseA.id, 'changed', from)).toEqual({ caseId: caseA.id, kind: 'changed', left: true });
    expect(await leaderB.nextCase(caseA.id, 'changed')).toMatchObject({ code: caseA.code, status: 'assigned', entered: true });
  });

  it('sends nothing for a change that was rolled back: the notification leaves with the commit', async () => {
    const caseA = await world.createCaseFor('a');
    const dispatcher = await liveOf('dispatcher', 'b');
    const from = dispatcher.mark();

    await expect(
      database.db.transaction(async (tx) => {
        await signalCaseChange(tx, { caseId: caseA.id, kind: 'changed' });
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    await world.run(caseA.id, world.official('dispatcher', 'a').actor, { type: 'add_note', text: 'Đã gọi điện cho người dân' });

    await dispatcher.nextCase(caseA.id, 'changed', from);
    expect(dispatcher.caseEvents(from)).toHaveLength(1);
    expect(dispatcher.caseEvents(from)[0]).toMatchObject({ caseId: caseA.id, version: 3 });
  });

  it("announces a message sent from the case page to the unit's other officials", async () => {
    const caseA = await world.createCaseFor('a');
    const leaderA = await liveOf('unit_leader', 'a');
    const handlerB = await liveOf('handler', 'b');
    const handler = await signIn('handler', 'a');
    const { page, csrf } = await versionOf(caseA.id, handler);
    const replyId = /name="replyId" value="([0-9a-f-]{36})"/.exec(page.body)?.[1];
    const sent = await handler.post(`/console/cases/${caseA.id}/reply`, { _csrf: csrf, replyId, text: `Chào anh ${HOSTILE}` });
    expect(sent.statusCode).toBe(303);

    expect(await leaderA.nextCase(caseA.id, 'message')).toMatchObject({ code: caseA.code, kind: 'message' });
    expect(leaderA.body).not.toContain('<script');
    // Unit b gets its own next change, and nothing of unit a's before it.
    const caseB = await world.createCaseFor('b');
    await handlerB.nextCase(caseB.id, 'created');
    expect(handlerB.caseEvents().map((e) => e.caseId)).toEqual([caseB.id]);
  });

  it('serves a stream proxies pass through at once, with heartbeats and a reconnect delay', async () => {
    const stream = await liveOf('viewer', 'a');
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['cache-control']).toContain('no-transform');
    expect(stream.retry).toBe(5000);
    await waitFor('a heartbeat', () => stream.comments.includes('ping'));
  });

  it('bounds the streams of one session and frees the slot when a stream closes', async () => {
    const client = await signIn('unit_leader', 'a');
    const first = await openLive(client);
    await openLive(client);
    const refused = await openEventStream(`${base}/console/live`, cookieOf(client));
    streams.push(refused);
    expect(refused.status).toBe(429);
    await refused.waitForEnd();
    expect(refused.body).toBe(LIVE_MESSAGES.tooManyStreams);

    // Another session of the same official is not affected.
    await liveOf('unit_leader', 'a');

    first.close();
    const again = await waitFor('a free slot after closing a stream', async () => {
      const attempt = await openEventStream(`${base}/console/live`, cookieOf(client));
      streams.push(attempt);
      if (attempt.status === 200) return attempt;
      await attempt.waitForEnd();
      return false;
    });
    await again.next('the ready event', (e) => e.event === 'ready');
  });

  it('refuses a visitor without a session and ends a stream once its session or official is gone', async () => {
    const anonymous = await openEventStream(`${base}/console/live`);
    streams.push(anonymous);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.location).toBe('/console/login');

    const client = await signIn('handler', 'b');
    const loggedOut = await openLive(client);
    const inbox = await client.get('/console/inbox');
    expect((await client.post('/console/logout', { _csrf: readCsrfToken(inbox.body) })).statusCode).toBe(303);
    await loggedOut.waitForEnd();

    const viewer = world.official('viewer', 'b');
    const deactivated = await liveOf('viewer', 'b');
    await database.db.update(officials).set({ active: false }).where(eq(officials.id, viewer.id));
    await deactivated.waitForEnd();
    await database.db.update(officials).set({ active: true }).where(eq(officials.id, viewer.id));
  });

  it('ends the open streams when the app closes, so shutdown does not wait for browsers', async () => {
    const open = await liveOf('admin', 'a');
    closed = true;
    await world.close();
    await open.waitForEnd();
  });
});
