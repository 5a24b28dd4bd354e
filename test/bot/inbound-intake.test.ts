import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboundIntake } from '../../bot/inbound/inbound-intake.js';
import { processPendingEventsOfSender, storeInboundEvent, storeInboundEvents, type InboundEventInput } from '../../bot/inbound/inbound-events.js';
import { singleFlightWithTrailingRun } from '../../bot/inbound/single-flight.js';
import { inboundEvents } from '../../db/schema.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';

/**
 * The webhook's group commit (bot/inbound/inbound-intake.ts): events of concurrent requests written by one
 * INSERT with exactly the dedupe of one INSERT per event, and the per-user processing transaction's fast path
 * (no savepoint for a lone event) still recording a failure on its event.
 */

const AT = new Date('2026-03-02T02:00:00.000Z');
let keySeq = 0;

function event(over: Partial<InboundEventInput> = {}): InboundEventInput {
  keySeq += 1;
  return { dedupeKey: `intake-test-${keySeq}`, eventName: 'user_send_text', senderId: 'intake-user', raw: '{"n":1}', receivedAt: AT, ...over };
}

describe.each(DRIVERS)('inbound intake on %s', (driver) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());

  const rowsOf = (senderId: string) => database.db.select().from(inboundEvents).where(eq(inboundEvents.senderId, senderId)).orderBy(asc(inboundEvents.id));

  it('stores a batch in input order, the first of two equal keys only, and nothing for a key already stored', async () => {
    const stored = await storeInboundEvent(database.db, event({ dedupeKey: 'batch-known', senderId: 'batch-user' }));
    expect(stored.inserted).toBe(true);
    const input = [
      event({ dedupeKey: 'batch-a', senderId: 'batch-user', raw: '{"text":"một \\"trích dẫn\\" và \\\\ gạch"}' }),
      event({ dedupeKey: 'batch-known', senderId: 'batch-user' }),
      event({ dedupeKey: 'batch-b', senderId: null }),
      event({ dedupeKey: 'batch-a', senderId: 'batch-user', raw: '{"second":true}' }),
      event({ dedupeKey: 'batch-c', senderId: 'batch-user' }),
    ];
    const outcomes = await storeInboundEvents(database.db, input);
    expect(outcomes.map((o) => o.inserted)).toEqual([true, false, true, false, true]);
    const ids = outcomes.flatMap((o) => (o.inserted ? [o.id] : []));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const rows = await rowsOf('batch-user');
    expect(rows.map((r) => r.dedupeKey)).toEqual(['batch-known', 'batch-a', 'batch-c']);
    // The raw body is kept byte for byte (quotes and backslashes travel inside an array parameter).
    expect(rows[1]!.raw).toBe('{"text":"một \\"trích dẫn\\" và \\\\ gạch"}');
    expect(rows[1]!.receivedAt.toISOString()).toBe(AT.toISOString());
  });

  it('writes requests arriving together in one statement and answers each with its own outcome', async () => {
    const committed: number[][] = [];
    const intake = createInboundIntake({ db: database.db, afterCommit: (stored) => committed.push(stored.map((s) => s.id)) });
    const input = Array.from({ length: 20 }, (_, i) => event({ dedupeKey: `together-${i % 10}`, senderId: 'together-user' }));
    const outcomes = await Promise.all(input.map((e) => intake.store(e)));
    expect(outcomes.filter((o) => o.inserted)).toHaveLength(10);
    expect(outcomes.slice(0, 10).every((o) => o.inserted)).toBe(true);
    // Stored before the answers: every inserted id was handed over, in batches far fewer than the events.
    expect(committed.flat().sort((a, b) => a - b)).toEqual(outcomes.flatMap((o) => (o.inserted ? [o.id] : [])).sort((a, b) => a - b));
    expect(committed.length).toBeLessThanOrEqual(2);
    expect(await rowsOf('together-user')).toHaveLength(10);
    await intake.flush();
  });

  it('fails only the event PostgreSQL refuses, not the others of its batch', async () => {
    const intake = createInboundIntake({ db: database.db });
    const results = await Promise.allSettled([
      intake.store(event({ dedupeKey: 'poison-ok-1', senderId: 'poison-user' })),
      // PostgreSQL text cannot hold NUL.
      intake.store(event({ dedupeKey: 'poison-\u0000', senderId: 'poison-user' })),
      intake.store(event({ dedupeKey: 'poison-ok-2', senderId: 'poison-user' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await rowsOf('poison-user')).map((r) => r.dedupeKey)).toEqual(['poison-ok-1', 'poison-ok-2']);
  });

  it('records the failure of a lone pending event on it, with nothing of its handler kept', async () => {
    const [stored] = await storeInboundEvents(database.db, [event({ senderId: 'lone-user' })]);
    expect(stored?.inserted).toBe(true);
    let calls = 0;
    const handled = await processPendingEventsOfSender(
      database.db,
      'lone-user',
      async (tx) => {
        calls += 1;
        await tx.insert(inboundEvents).values({ source: 'zalo', dedupeKey: `lone-side-effect-${calls}`, eventName: 'x', senderId: 'lone-side', raw: '{}', receivedAt: AT });
        throw new Error('handler broke');
      },
      () => AT,
    );
    expect(handled).toEqual([]);
    const [row] = await rowsOf('lone-user');
    expect(row).toMatchObject({ status: 'failed', attempts: 1, error: 'handler broke' });
    expect(await rowsOf('lone-side')).toEqual([]);

    // Next time it succeeds, once.
    const again = await processPendingEventsOfSender(database.db, 'lone-user', async () => 'done', () => AT);
    expect(again).toEqual([row!.id]);
    expect((await rowsOf('lone-user'))[0]).toMatchObject({ status: 'done', attempts: 2, error: null });
  });

  it('keeps the other events of a user when one of them fails', async () => {
    await storeInboundEvents(database.db, [event({ senderId: 'many-user', raw: 'ok' }), event({ senderId: 'many-user', raw: 'bad' }), event({ senderId: 'many-user', raw: 'ok' })]);
    const handled = await processPendingEventsOfSender(
      database.db,
      'many-user',
      async (_tx, e) => {
        if (e.raw === 'bad') throw new Error('bad event');
        return 'done';
      },
      () => AT,
    );
    const rows = await rowsOf('many-user');
    expect(rows.map((r) => r.status)).toEqual(['done', 'failed', 'done']);
    expect(handled).toEqual([rows[0]!.id, rows[2]!.id]);
  });
});

describe('singleFlightWithTrailingRun', () => {
  it('runs once at a time, and the calls made meanwhile share one more run that starts after them', async () => {
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    let release: () => void = () => undefined;
    const run = singleFlightWithTrailingRun(async () => {
      starts.push(starts.length + 1);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      running -= 1;
      return starts.length;
    });
    const first = run();
    const during = [run(), run(), run()];
    release();
    expect(await first).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
    expect(maxRunning).toBe(1);
    expect(starts).toEqual([1, 2]);
  });
});
