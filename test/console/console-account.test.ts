import { eq, like } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifySender } from '../../bot/delivery/notify-sender.js';
import { CONSOLE_COOKIE_NAME } from '../../console/console.routes.js';
import { officials, outbox, zaloUsers } from '../../db/schema.js';
import { createTemplateRenderer } from '../../runtime/templates.js';
import { sweepDigests } from '../../workflows/nudges/daily-digest.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient, readCsrfToken } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World, type WorldOfficial } from './console-world.js';

/**
 * Tài khoản của tôi: the notification preferences an official sets in the console are the ones delivery
 * honours. Unit A's leader has Zalo (talked to the OA recently) and e-mail; a case of unit A is due for
 * acceptance on Tuesday 03/03/2026, so the leader's morning digest has something to say every day.
 */

const at = (local: string): Date => new Date(`${local}:00+07:00`);
const PAGE = '/console/account';

async function postPairs(world: World, client: ConsoleClient, url: string, pairs: Array<[string, string]>): Promise<LightMyRequestResponse> {
  const page = await client.get(PAGE);
  const body = new URLSearchParams([['_csrf', readCsrfToken(page.body)], ...pairs]);
  return world.t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: `${CONSOLE_COOKIE_NAME}=${client.cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
}

describe.each(DRIVERS)('my account on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let leader: WorldOfficial;
  let client: ConsoleClient;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    leader = world.official('unit_leader', 'a');
    await database.db.update(officials).set({ email: 'lanhdao@sxd.test', zaloUserId: 'zalo-lanhdao-a', title: 'Phó Giám đốc' }).where(eq(officials.id, leader.id));
    await database.db.insert(zaloUsers).values({ zaloUserId: 'zalo-lanhdao-a', displayName: 'Lãnh đạo A', isFollower: true, lastInteractionAt: at('2026-03-02T08:00') });
    await world.createCaseFor('a');
    client = new ConsoleClient(world.t.app);
    await client.login(leader.login, WORLD_PASSWORD);
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const preferencesOf = async (officialId: number) => (await database.db.select({ p: officials.preferences }).from(officials).where(eq(officials.id, officialId)))[0]?.p;

  /** Today's digest of the leader, routed by the notify sender as the outbox job would: which channel it took. */
  async function digestChannel(day: string): Promise<string | null> {
    world.t.clock.set(at(`${day}T07:30`));
    await sweepDigests({ db: database.db }, world.t.clock.now());
    const [row] = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.key, `digest:${leader.id}:${day}`));
    if (!row) return null;
    const send = createNotifySender({ db: database.db, clock: world.t.clock, config: world.t.deps.config, templates: createTemplateRenderer(), kick: async () => undefined });
    const result = await send(row);
    expect(result.ok).toBe(true);
    const forwarded = await database.db
      .select({ kind: outbox.kind })
      .from(outbox)
      .where(like(outbox.key, `digest:${leader.id}:${day}:%`));
    expect(forwarded).toHaveLength(1);
    return forwarded[0]!.kind;
  }

  it('shows who I am and how I am notified, defaults included', async () => {
    const page = await client.get(PAGE);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('aria-current="page">Tài khoản của tôi</a>');
    expect(page.body).toContain('<dd>Phó Giám đốc</dd>');
    expect(page.body).toContain('<dd>lanhdao@sxd.test</dd>');
    expect(page.body).toContain('<dd>Đã liên kết</dd>');
    expect(page.body).toContain('<input type="checkbox" name="channels" value="zalo" checked> Zalo');
    expect(page.body).toContain('<input type="checkbox" name="channels" value="email" checked> E-mail');
    expect(page.body).toContain('<input type="checkbox" name="digest" checked>');

    // An official the notifications cannot reach yet is told so beside each channel.
    const handler = new ConsoleClient(world.t.app);
    await handler.login(world.official('handler', 'b').login, WORLD_PASSWORD);
    const theirs = await handler.get(PAGE);
    expect(theirs.body).toContain('Tài khoản chưa liên kết Zalo');
    expect(theirs.body).toContain('Tài khoản chưa có địa chỉ e-mail');
  });

  it('a preference change changes delivery: Zalo, then e-mail only, then no digest at all', async () => {
    expect(await digestChannel('2026-03-03')).toBe('zalo');

    const emailOnly = await postPairs(world, client, `${PAGE}/preferences`, [
      ['channels', 'email'],
      ['digest', 'on'],
    ]);
    expect(emailOnly.statusCode).toBe(303);
    expect(emailOnly.headers.location).toBe(PAGE);
    expect(await preferencesOf(leader.id)).toEqual({ channels: ['email'], digest: true });
    const page = await client.get(PAGE);
    expect(page.body).toContain('Đã lưu cách nhận thông báo.');
    expect(page.body).toContain('<input type="checkbox" name="channels" value="zalo"> Zalo');
    // Still inside the Zalo window, but the official chose e-mail.
    expect(await digestChannel('2026-03-04')).toBe('email');

    const noDigest = await postPairs(world, client, `${PAGE}/preferences`, [
      ['channels', 'zalo'],
      ['channels', 'email'],
    ]);
    expect(noDigest.statusCode).toBe(303);
    expect(await preferencesOf(leader.id)).toEqual({ channels: ['zalo', 'email'], digest: false });
    expect(await digestChannel('2026-03-05')).toBeNull();
  });

  it('refuses no channel or an unknown one, and a form without its token, changing nothing', async () => {
    const before = await preferencesOf(leader.id);
    const none = await postPairs(world, client, `${PAGE}/preferences`, [['digest', 'on']]);
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Vui lòng chọn ít nhất một kênh nhận thông báo (Zalo hoặc e-mail)');
    // The page shows what was sent (digest ticked, no channel), not what is stored.
    expect(none.body).toContain('<input type="checkbox" name="digest" checked>');
    expect(none.body).toContain('<input type="checkbox" name="channels" value="zalo"> Zalo');

    const sms = await postPairs(world, client, `${PAGE}/preferences`, [['channels', 'sms']]);
    expect(sms.statusCode).toBe(400);
    expect(sms.body).toContain('Kênh nhận thông báo không hợp lệ.');

    const noCsrf = await client.post(`${PAGE}/preferences`, { channels: 'email' });
    expect(noCsrf.statusCode).toBe(403);
    expect(await preferencesOf(leader.id)).toEqual(before);
  });

  it('sends a visitor without a session to the login page', async () => {
    const res = await world.t.app.inject({ method: 'GET', url: PAGE });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/console/login');
  });
});
