import type { Session } from 'fastify';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbSessionStore } from '../../console/session-store.js';
import { sessions } from '../../db/schema.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';

function call<T>(fn: (cb: (err?: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

function sessionExpiringAt(expires: Date, data: Record<string, unknown>): Session {
  return { cookie: { expires, originalMaxAge: 1000, path: '/console', httpOnly: true }, ...data } as unknown as Session;
}

describe.each(DRIVERS)('DbSessionStore on %s', (driver) => {
  let database: TestDatabase;
  let now = new Date('2026-03-02T02:00:00Z');
  let store: DbSessionStore;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    store = new DbSessionStore(database.db, { now: () => now });
  });
  afterAll(async () => database?.destroy());

  it('stores, reads back, replaces and destroys a session', async () => {
    const expires = new Date(now.getTime() + 60_000);
    await call((cb) => store.set('sid-1', sessionExpiringAt(expires, { officialId: 7, csrfToken: 'abc' }), cb));
    const read = await call<Session | null>((cb) => store.get('sid-1', cb));
    expect(read).toMatchObject({ officialId: 7, csrfToken: 'abc' });
    const [row] = await database.db.select().from(sessions).where(eq(sessions.sid, 'sid-1'));
    expect(row?.expiresAt.getTime()).toBe(expires.getTime());

    await call((cb) => store.set('sid-1', sessionExpiringAt(expires, { officialId: 8 }), cb));
    expect(await call<Session | null>((cb) => store.get('sid-1', cb))).toMatchObject({ officialId: 8 });

    await call((cb) => store.destroy('sid-1', cb));
    expect(await call<Session | null>((cb) => store.get('sid-1', cb))).toBeNull();
  });

  it('never returns an expired session and removes it in the sweep', async () => {
    await call((cb) => store.set('sid-old', sessionExpiringAt(new Date(now.getTime() + 1000), { officialId: 1 }), cb));
    await call((cb) => store.set('sid-new', sessionExpiringAt(new Date(now.getTime() + 3_600_000), { officialId: 2 }), cb));
    now = new Date(now.getTime() + 2000);
    expect(await call<Session | null>((cb) => store.get('sid-old', cb))).toBeNull();
    expect(await call<Session | null>((cb) => store.get('sid-new', cb))).toMatchObject({ officialId: 2 });
    expect(await store.deleteExpired()).toBe(1);
    const left = await database.db.select({ sid: sessions.sid }).from(sessions);
    expect(left.map((r) => r.sid)).toEqual(['sid-new']);
  });

  it('gives a session without a cookie expiry the default lifetime', async () => {
    await call((cb) => store.set('sid-plain', { cookie: {} } as unknown as Session, cb));
    const [row] = await database.db.select().from(sessions).where(eq(sessions.sid, 'sid-plain'));
    expect(row?.expiresAt.getTime()).toBe(now.getTime() + 8 * 60 * 60 * 1000);
  });
});
