import { and, eq, gt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticateApiToken, hashApiToken, readBearerToken } from '../../console/api/api-token-auth.js';
import { apiTokens, officials, outbox } from '../../db/schema.js';
import { deliverOutboxJob, outboxJobKey } from '../../runtime/outbox/outbox.js';
import { buildWorld, type World } from '../console/console-world.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';

describe.each(DRIVERS)('JSON API /api/v1/cases on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let caseA: { id: number; code: string };
  let caseA2: { id: number; code: string };
  let caseB: { id: number; code: string };

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    caseA = await world.createCaseFor('a', { description: 'Công trình lấn chiếm vỉa hè' });
    caseA2 = await world.createCaseFor('a', { description: 'Xây dựng không phép' });
    caseB = await world.createCaseFor('b', { description: 'Quán ăn mất vệ sinh' });
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const as = (role: Parameters<World['official']>[0], unit: 'a' | 'b') => ({ authorization: `Bearer ${world.official(role, unit).token}` });
  const inject = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) =>
    world.t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  it('refuses calls without a live token, with the bearer challenge', async () => {
    const none = await inject('GET', '/api/v1/cases', {});
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="pakn", error="invalid_request"');
    expect(none.json()).toEqual({ error: 'missing_token', message: 'Thiếu mã truy cập (tiêu đề Authorization: Bearer …).' });
    const wrong = await inject('GET', '/api/v1/cases', { authorization: 'Bearer pakn_khong_ton_tai_0123456789' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await inject('GET', '/api/v1/cases', { authorization: 'Basic dXNlcjpwYXNz' })).statusCode).toBe(401);
  });

  it('lists the cases of the token official’s scope with the inbox filters and keyset pages', async () => {
    const res = await inject('GET', '/api/v1/cases', as('handler', 'a'));
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: Array<Record<string, unknown>>; nextAfter: number | null };
    expect(body.items.map((i) => i.code)).toEqual([caseA2.code, caseA.code]);
    expect(body.nextAfter).toBeNull();
    expect(body.items[1]).toMatchObject({
      id: caseA.id,
      status: 'assigned',
      version: 2,
      responsibleUnitId: world.units.a,
      receivedAt: '2026-03-02T09:00:00+07:00',
      answerDueAt: '2026-03-16T17:30:00+07:00',
      description: 'Công trình lấn chiếm vỉa hè',
    });
    expect(res.body).not.toContain('0912345678');
    expect(res.body).not.toContain('Nguyễn Văn Bình');

    const page1 = (await inject('GET', '/api/v1/cases?limit=1', as('dispatcher', 'b'))).json() as { items: Array<{ code: string }>; nextAfter: number };
    expect(page1.items.map((i) => i.code)).toEqual([caseB.code]);
    const page2 = (await inject('GET', `/api/v1/cases?limit=1&after=${page1.nextAfter}`, as('dispatcher', 'b'))).json() as { items: Array<{ code: string }> };
    expect(page2.items.map((i) => i.code)).toEqual([caseA2.code]);
    const filtered = (await inject('GET', `/api/v1/cases?categoryId=${world.categories.b}&status=assigned`, as('dispatcher', 'a'))).json() as {
      items: Array<{ code: string }>;
    };
    expect(filtered.items.map((i) => i.code)).toEqual([caseB.code]);
    const searched = (await inject('GET', '/api/v1/cases?q=khong%20phep', as('admin', 'b'))).json() as { items: Array<{ code: string }> };
    expect(searched.items.map((i) => i.code)).toEqual([caseA2.code]);

    const bad = await inject('GET', '/api/v1/cases?status=khong-co&limit=1000', as('handler', 'a'));
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'bad_request', message: 'Yêu cầu không hợp lệ.' });
  });

  it('reads one case with the commands the official may run', async () => {
    const leader = await inject('GET', `/api/v1/cases/${caseA.id}`, as('unit_leader', 'a'));
    expect(leader.statusCode).toBe(200);
    const body = leader.json() as { case: { code: string; coUnitIds: number[] }; allowedCommands: string[] };
    expect(body.case).toMatchObject({ code: caseA.code, coUnitIds: [] });
    expect(body.allowedCommands).toEqual(expect.arrayContaining(['accept', 'return', 'add_note']));
    const viewer = (await inject('GET', `/api/v1/cases/${caseA.id}`, as('viewer', 'a'))).json() as { allowedCommands: string[] };
    expect(viewer.allowedCommands).toEqual([]);
    const hidden = await inject('GET', `/api/v1/cases/${caseA.id}`, as('handler', 'b'));
    expect(hidden.statusCode).toBe(404);
    expect((await inject('GET', '/api/v1/cases/999999', as('admin', 'a'))).statusCode).toBe(404);
  });

  it('runs commands through the workflows: versions, refusals and scope', async () => {
    const handler = as('handler', 'a');
    const accepted = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, handler, { command: { type: 'accept' }, expectedVersion: 2 });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ case: { status: 'in_progress', version: 3, assigneeId: world.official('handler', 'a').id } });

    const stale = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, handler, { command: { type: 'add_note', text: 'Ghi chú' }, expectedVersion: 2 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: 'stale_version' });
    expect((stale.json() as { message: string }).message).toMatch(/[ảạđ]/);

    const empty = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, handler, { command: { type: 'draft_answer', text: '   ' }, expectedVersion: 3 });
    expect(empty.statusCode).toBe(422);
    expect(empty.json()).toMatchObject({ error: 'missing_text' });

    const malformed = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, handler, { command: { type: 'fly_away' }, expectedVersion: 3 });
    expect(malformed.statusCode).toBe(400);
    const noVersion = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, handler, { command: { type: 'add_note', text: 'x' } });
    expect(noVersion.statusCode).toBe(400);

    const viewer = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, as('viewer', 'a'), { command: { type: 'add_note', text: 'x' }, expectedVersion: 3 });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toMatchObject({ error: 'forbidden' });
    const otherUnit = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, as('unit_leader', 'b'), { command: { type: 'add_note', text: 'x' }, expectedVersion: 3 });
    expect(otherUnit.statusCode).toBe(404);

    const drafted = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, handler, { command: { type: 'draft_answer', text: 'Đã xử lý vi phạm.' }, expectedVersion: 3 });
    expect(drafted.json()).toMatchObject({ case: { status: 'pending_approval' } });
    const approved = await inject('POST', `/api/v1/cases/${caseA.id}/commands`, as('unit_leader', 'a'), { command: { type: 'approve' }, expectedVersion: 4 });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ case: { status: 'answered', answeredOnTime: true, answerText: 'Đã xử lý vi phạm.' } });
  });

  it('hands a command’s notifications to delivery at once, not at the next scheduler tick', async () => {
    const fresh = await world.createCaseFor('b', { description: 'Cơ sở kinh doanh thực phẩm không rõ nguồn gốc' });
    const before = Math.max(0, ...(await database.db.select({ id: outbox.id }).from(outbox)).map((r) => r.id));
    const jobs = world.t.deps.jobs;
    // The relay hands rows over one by one or in a batch: both count.
    const enqueue = vi.spyOn(jobs, 'enqueue');
    const enqueueMany = vi.spyOn(jobs, 'enqueueMany');
    try {
      const accepted = await inject('POST', `/api/v1/cases/${fresh.id}/commands`, as('unit_leader', 'b'), { command: { type: 'accept' }, expectedVersion: 2 });
      expect(accepted.statusCode).toBe(200);
      const written = await database.db.select({ id: outbox.id, status: outbox.status }).from(outbox).where(and(eq(outbox.caseId, fresh.id), gt(outbox.id, before)));
      // Accepting assigns a handler, who is told so.
      expect(written.length).toBeGreaterThan(0);
      const handedOver = [
        ...enqueue.mock.calls.filter(([def]) => def.name === deliverOutboxJob.name).map(([, payload, options]) => ({ payload, options })),
        ...enqueueMany.mock.calls.filter(([def]) => def.name === deliverOutboxJob.name).flatMap(([, items]) => items.map((i) => ({ payload: i.payload, options: i.options }))),
      ];
      for (const row of written) {
        expect(handedOver).toContainEqual({ payload: { outboxId: row.id }, options: { key: outboxJobKey(row.id) } });
      }
    } finally {
      enqueue.mockRestore();
      enqueueMany.mockRestore();
    }
  });

  it('checks scopes, revocation and the linked official, and records the last use', async () => {
    const official = world.official('handler', 'b');
    const readOnly = 'pakn_chi_doc_0123456789abcdef';
    await database.db.insert(apiTokens).values({ name: 'chỉ đọc', tokenHash: hashApiToken(readOnly), officialId: official.id, scopes: ['cases:read'] });
    const headers = { authorization: `Bearer ${readOnly}` };
    expect((await inject('GET', `/api/v1/cases/${caseB.id}`, headers)).statusCode).toBe(200);
    const write = await inject('POST', `/api/v1/cases/${caseB.id}/commands`, headers, { command: { type: 'add_note', text: 'x' }, expectedVersion: 2 });
    expect(write.statusCode).toBe(403);
    expect(write.json()).toMatchObject({ error: 'insufficient_scope' });
    const [row] = await database.db.select({ lastUsedAt: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.tokenHash, hashApiToken(readOnly)));
    expect(row?.lastUsedAt?.toISOString()).toBe(world.t.clock.now().toISOString());

    await database.db.update(officials).set({ active: false }).where(eq(officials.id, official.id));
    const inactive = await inject('GET', '/api/v1/cases', headers);
    expect(inactive.statusCode).toBe(403);
    await database.db.update(officials).set({ active: true }).where(eq(officials.id, official.id));

    await database.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.tokenHash, hashApiToken(readOnly)));
    expect((await inject('GET', '/api/v1/cases', headers)).statusCode).toBe(401);

    const unlinked = 'pakn_khong_can_bo_0123456789abcdef';
    await database.db.insert(apiTokens).values({ name: 'không gắn cán bộ', tokenHash: hashApiToken(unlinked), officialId: null, scopes: ['cases:read'] });
    expect((await inject('GET', '/api/v1/cases', { authorization: `Bearer ${unlinked}` })).statusCode).toBe(403);
  });

  it('reads bearer tokens strictly and stores only their hash', async () => {
    expect(readBearerToken('bearer pakn_abcdefghijklmnop')).toBe('pakn_abcdefghijklmnop');
    expect(readBearerToken('Bearer short')).toBeNull();
    expect(readBearerToken('Bearer pakn_abc def ghi jkl mno')).toBeNull();
    expect(hashApiToken('pakn_x')).toMatch(/^[0-9a-f]{64}$/);
    expect(await authenticateApiToken(database.db, undefined, 'cases:read')).toEqual({ ok: false, status: 401, error: 'missing_token' });
    const stored = await database.db.select({ tokenHash: apiTokens.tokenHash }).from(apiTokens);
    expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.tokenHash))).toBe(true);
  });
});
