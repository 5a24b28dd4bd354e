import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema.js';
import { createInlineRunner } from '../../runtime/jobs/inline-runner.js';
import type { JobRunner } from '../../runtime/jobs/job.js';
import { createLogger } from '../../runtime/logger.js';
import {
  claimOutboxRowsByKey,
  deliverClaimedOutboxRows,
  deliverOutboxJob,
  deliverOutboxRow,
  insertOutbox,
  relayOutbox,
  type DeliveryResult,
  type OutboxIntent,
  type OutboxRow,
  type OutboxSender,
} from '../../runtime/outbox/outbox.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';

const NOW = new Date('2026-03-02T01:00:00.000Z');
const MINUTE = 60_000;
const logger = createLogger({ level: 'silent' });

function at(offsetMs: number): Date {
  return new Date(NOW.getTime() + offsetMs);
}

function makeIntent(overrides: Partial<OutboxIntent> = {}): OutboxIntent {
  return {
    key: `test:${randomUUID()}`,
    kind: 'zalo',
    recipient: { zaloUserId: '8412345' },
    template: 'case.received',
    data: { code: 'PA-2026-000001' },
    caseId: null,
    ...overrides,
  };
}

/** A sender that records what it was asked to send and answers from a script. */
function createSender(answer: (row: OutboxRow, call: number) => DeliveryResult | Promise<DeliveryResult>) {
  const sent: OutboxRow[] = [];
  const send: OutboxSender = async (row) => {
    sent.push(row);
    return answer(row, sent.length);
  };
  return { send, sent };
}

const ok: DeliveryResult = { ok: true, channel: 'zalo_cs', result: { message_id: 'm-1' } };

describe.each(DRIVERS)('outbox on %s', (driver) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
  });
  afterAll(async () => database?.destroy());
  beforeEach(async () => {
    await database.db.delete(outbox);
  });

  async function insertRow(overrides: Partial<OutboxIntent> = {}): Promise<OutboxRow> {
    const intent = makeIntent(overrides);
    await insertOutbox(database.db, [intent], NOW);
    const [row] = await database.db.select().from(outbox).where(eq(outbox.key, intent.key));
    if (!row) throw new Error('row not inserted');
    return row;
  }

  async function readRow(id: number): Promise<OutboxRow> {
    const [row] = await database.db.select().from(outbox).where(eq(outbox.id, id));
    if (!row) throw new Error(`no outbox row ${id}`);
    return row;
  }

  it('inserts an intent once per key, inside a transaction too', async () => {
    const first = makeIntent({ key: 'case:1:received', data: { version: 1 } });
    const other = makeIntent({ key: 'case:1:assigned' });
    const inserted = await insertOutbox(database.db, [first, other, { ...first, data: { version: 2 } }], NOW);
    expect(inserted).toBe(2);
    const again = await database.db.transaction((tx) => insertOutbox(tx, [first, makeIntent({ key: 'case:2:received' })], NOW));
    expect(again).toBe(1);
    expect(await insertOutbox(database.db, [], NOW)).toBe(0);

    const rows = await database.db.select().from(outbox).where(eq(outbox.key, 'case:1:received'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', attempts: 0, data: { version: 1 }, availableAt: NOW, createdAt: NOW });
  });

  it('delivers a due row and records how it went', async () => {
    const row = await insertRow({ caseId: 7 });
    const sender = createSender(() => ok);
    expect(await deliverOutboxRow(database.db, row.id, sender.send, NOW)).toBe('sent');
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0]).toMatchObject({ id: row.id, status: 'sending', attempts: 1, claimedAt: NOW });
    expect(await readRow(row.id)).toMatchObject({
      status: 'sent',
      sentAt: NOW,
      channel: 'zalo_cs',
      result: { message_id: 'm-1' },
      attempts: 1,
      lastError: null,
    });
    // Done is done: a late duplicate job finds nothing to do.
    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(MINUTE))).toBe('skipped');
    expect(await deliverOutboxRow(database.db, 999_999, sender.send, NOW)).toBe('skipped');
    expect(sender.sent).toHaveLength(1);
  });

  it('sends once when two deliveries of one row race', async () => {
    const rows = await Promise.all([insertRow(), insertRow(), insertRow()]);
    const sender = createSender(async () => {
      // Stay "in flight" a moment so the other delivery overlaps the send, not only the claim.
      await new Promise((resolve) => setTimeout(resolve, 30));
      return ok;
    });
    const deliverTwice = (id: number) =>
      Promise.all([deliverOutboxRow(database.db, id, sender.send, NOW), deliverOutboxRow(database.db, id, sender.send, NOW)]);

    let outcomes: Array<Awaited<ReturnType<typeof deliverOutboxRow>>[]>;
    if (driver === 'pg') {
      // On the server the race is real: a third connection holds the rows locked, both deliveries queue up
      // behind it on their own connections, and are let go at the same instant.
      const locker = new pg.Client({ connectionString: (database.target as { url: string }).url });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('select id from outbox where id = any($1::bigint[]) for update', [rows.map((r) => r.id)]);
        const racing = Promise.all(rows.map((r) => deliverTwice(r.id)));
        // Wait (bounded) until every UPDATE has reached the server and is blocked on the lock.
        let blocked = 0;
        for (let poll = 0; poll < 250 && blocked < rows.length * 2; poll++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          // Inside a transaction pg_stat_activity is read once and cached; drop the cache to see changes.
          await locker.query('select pg_stat_clear_snapshot()');
          const result = await locker.query<{ n: string }>(
            "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
          );
          blocked = Number(result.rows[0]?.n);
        }
        expect(blocked).toBe(rows.length * 2);
        await locker.query('commit');
        outcomes = await racing;
      } finally {
        await locker.end();
      }
    } else {
      // PGlite has one connection: the two calls interleave but their statements run one after another.
      outcomes = await Promise.all(rows.map((r) => deliverTwice(r.id)));
    }
    for (const pair of outcomes) expect([...pair].sort()).toEqual(['sent', 'skipped']);
    expect(sender.sent.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('retries with exponential backoff, then fails for good after maxAttempts', async () => {
    const row = await insertRow();
    const sender = createSender(() => ({ ok: false, retry: true, error: 'Zalo API timeout' }));
    const opts = { maxAttempts: 3, backoffMs: MINUTE };

    expect(await deliverOutboxRow(database.db, row.id, sender.send, NOW, opts)).toBe('retry');
    expect(await readRow(row.id)).toMatchObject({ status: 'pending', attempts: 1, availableAt: at(MINUTE), lastError: 'Zalo API timeout' });
    // Not due yet: an early job leaves it alone.
    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(MINUTE - 1), opts)).toBe('skipped');

    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(MINUTE), opts)).toBe('retry');
    expect(await readRow(row.id)).toMatchObject({ status: 'pending', attempts: 2, availableAt: at(3 * MINUTE) });

    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(3 * MINUTE), opts)).toBe('failed');
    expect(await readRow(row.id)).toMatchObject({ status: 'failed', attempts: 3, lastError: 'Zalo API timeout', sentAt: null });
    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(60 * MINUTE), opts)).toBe('skipped');
    expect(sender.sent).toHaveLength(3);
  });

  it('caps the retry delay at one hour', async () => {
    const row = await insertRow();
    const sender = createSender(() => ({ ok: false, retry: true, error: 'busy' }));
    const opts = { maxAttempts: 5, backoffMs: 45 * MINUTE };
    expect(await deliverOutboxRow(database.db, row.id, sender.send, NOW, opts)).toBe('retry');
    expect((await readRow(row.id)).availableAt).toEqual(at(45 * MINUTE));
    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(45 * MINUTE), opts)).toBe('retry');
    expect((await readRow(row.id)).availableAt).toEqual(at(105 * MINUTE));
  });

  it('fails a permanent error at once, flags an unreachable recipient, retries a thrown error', async () => {
    const permanent = await insertRow();
    const unreachable = await insertRow();
    const throwing = await insertRow();
    const answers = new Map<number, () => DeliveryResult>([
      [permanent.id, () => ({ ok: false, retry: false, error: 'template rejected' })],
      [unreachable.id, () => ({ ok: false, retry: false, flag: true, error: 'user not reachable on Zalo' })],
      [
        throwing.id,
        () => {
          throw new Error('socket hang up');
        },
      ],
    ]);
    const sender = createSender((row) => (answers.get(row.id) as () => DeliveryResult)());

    expect(await deliverOutboxRow(database.db, permanent.id, sender.send, NOW)).toBe('failed');
    expect(await readRow(permanent.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'template rejected' });
    expect(await deliverOutboxRow(database.db, unreachable.id, sender.send, NOW)).toBe('flagged');
    expect(await readRow(unreachable.id)).toMatchObject({ status: 'flagged', lastError: 'user not reachable on Zalo' });
    expect(await deliverOutboxRow(database.db, throwing.id, sender.send, NOW)).toBe('retry');
    expect(await readRow(throwing.id)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'socket hang up' });
  });

  it('re-claims a sending row only once its lease has expired', async () => {
    const row = await insertRow();
    // A worker claimed it at NOW and died before writing the outcome.
    await database.db.update(outbox).set({ status: 'sending', claimedAt: NOW, attempts: 1 }).where(eq(outbox.id, row.id));
    const sender = createSender(() => ok);
    const opts = { leaseMs: 5 * MINUTE };

    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(4 * MINUTE), opts)).toBe('skipped');
    expect(sender.sent).toHaveLength(0);
    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(6 * MINUTE), opts)).toBe('sent');
    expect(await readRow(row.id)).toMatchObject({ status: 'sent', attempts: 2, claimedAt: at(6 * MINUTE), sentAt: at(6 * MINUTE) });
  });

  it('fails an abandoned row whose worker died on the last attempt, without sending again', async () => {
    const row = await insertRow();
    await database.db.update(outbox).set({ status: 'sending', claimedAt: NOW, attempts: 3 }).where(eq(outbox.id, row.id));
    const sender = createSender(() => ok);
    expect(await deliverOutboxRow(database.db, row.id, sender.send, at(10 * MINUTE), { maxAttempts: 3 })).toBe('failed');
    expect(sender.sent).toHaveLength(0);
    expect(await readRow(row.id)).toMatchObject({ status: 'failed' });
  });

  describe('relay', () => {
    let runner: JobRunner | undefined;
    afterAll(async () => runner?.close());

    /** Due: pending now, pending earlier, abandoned sending. Not due: future, freshly claimed, sent. */
    async function insertRelayFixture(): Promise<{ due: number[]; notDue: number[] }> {
      const duePending = await insertRow();
      const dueEarlier = await insertRow({ availableAt: at(-30 * MINUTE) });
      const abandoned = await insertRow();
      const future = await insertRow({ availableAt: at(10 * MINUTE) });
      const claimed = await insertRow();
      const sent = await insertRow();
      await database.db.update(outbox).set({ status: 'sending', claimedAt: at(-30 * MINUTE), attempts: 1 }).where(eq(outbox.id, abandoned.id));
      await database.db.update(outbox).set({ status: 'sending', claimedAt: at(-MINUTE), attempts: 1 }).where(eq(outbox.id, claimed.id));
      await database.db.update(outbox).set({ status: 'sent', sentAt: at(-MINUTE), attempts: 1 }).where(eq(outbox.id, sent.id));
      return { due: [duePending.id, dueEarlier.id, abandoned.id], notDue: [future.id, claimed.id, sent.id] };
    }

    function startRunner(sender: OutboxSender): { runner: JobRunner; jobsRun: Map<number, number> } {
      const jobsRun = new Map<number, number>();
      const created = createInlineRunner({ logger });
      created.register(deliverOutboxJob, async ({ outboxId }) => {
        jobsRun.set(outboxId, (jobsRun.get(outboxId) ?? 0) + 1);
        await deliverOutboxRow(database.db, outboxId, sender, NOW);
      });
      runner = created;
      return { runner: created, jobsRun };
    }

    it('enqueues each due row once however often it runs', async () => {
      const { due, notDue } = await insertRelayFixture();
      const sender = createSender(() => ok);
      const { runner: jobs, jobsRun } = startRunner(sender.send);

      // Nothing consumes yet: the rows stay due, so both runs hand them over and the job key absorbs the second.
      expect(await relayOutbox(database.db, jobs, NOW)).toBe(3);
      expect(await relayOutbox(database.db, jobs, NOW)).toBe(3);
      await jobs.start();
      await jobs.drain();

      expect([...jobsRun.keys()].sort()).toEqual([...due].sort());
      expect([...jobsRun.values()]).toEqual([1, 1, 1]);
      expect(sender.sent.map((r) => r.id).sort()).toEqual([...due].sort());
      for (const id of due) expect((await readRow(id)).status).toBe('sent');
      expect((await readRow(notDue[0] as number)).status).toBe('pending');
      expect(await relayOutbox(database.db, jobs, NOW)).toBe(0);
      await jobs.close();
    });

    it('relays concurrently into a running worker without sending twice', async () => {
      const { due } = await insertRelayFixture();
      const sender = createSender(() => ok);
      const { runner: jobs } = startRunner(sender.send);
      await jobs.start();
      // Two schedulers' ticks at the same moment; on pg their row locks make them split the rows.
      const handed = await Promise.all([relayOutbox(database.db, jobs, NOW), relayOutbox(database.db, jobs, NOW)]);
      await jobs.drain();
      expect(handed[0] + handed[1]).toBeGreaterThanOrEqual(3);
      expect(sender.sent.map((r) => r.id).sort()).toEqual([...due].sort());
      await jobs.close();
    });

    it('respects the limit and is rate-limited as a job', async () => {
      await insertRelayFixture();
      const { runner: jobs, jobsRun } = startRunner(createSender(() => ok).send);
      expect(await relayOutbox(database.db, jobs, NOW, 2)).toBe(2);
      await jobs.start();
      await jobs.drain();
      expect(jobsRun.size).toBe(2);
      expect(deliverOutboxJob).toMatchObject({ name: 'outbox.deliver', rateLimited: true });
      await jobs.close();
    });
  });

  describe('claim by key and direct delivery', () => {
    const claimedAs = (row: OutboxRow, attempts: number) => ({ ...row, status: 'sending', attempts, claimedAt: NOW });

    it('claims only the due pending rows of the given keys, and says whether others are due', async () => {
      const first = await insertRow({ caseId: 7, data: { messages: [{ type: 'text', text: 'Xin chào' }], reply: true } });
      const second = await insertRow({ availableAt: at(-MINUTE) });
      const future = await insertRow({ availableAt: at(10 * MINUTE) });
      const claimedElsewhere = await insertRow();
      const sent = await insertRow();
      const unrelated = await insertRow();
      await database.db.update(outbox).set({ status: 'sending', claimedAt: at(-MINUTE), attempts: 1 }).where(eq(outbox.id, claimedElsewhere.id));
      await database.db.update(outbox).set({ status: 'sent', sentAt: at(-MINUTE), attempts: 1 }).where(eq(outbox.id, sent.id));
      const untouched = await Promise.all([future, claimedElsewhere, sent, unrelated].map((row) => readRow(row.id)));

      // Keys in any order, one of them unknown: the claimed rows come back in id order.
      const { claimed, othersDue } = await claimOutboxRowsByKey(
        database.db,
        [second.key, 'reply:does-not-exist', sent.key, future.key, claimedElsewhere.key, first.key],
        NOW,
      );
      expect(claimed.map((row) => row.id)).toEqual([first.id, second.id]);
      // Decoded as the query builder decodes them: dates as Date, json as objects, bigints as numbers.
      expect(claimed[0]?.claimedAt).toBeInstanceOf(Date);
      expect(claimed[0]?.availableAt).toBeInstanceOf(Date);
      expect(claimed).toEqual([claimedAs(first, 1), claimedAs(second, 1)]);
      expect(claimed).toEqual([await readRow(first.id), await readRow(second.id)]);
      // The unrelated row is due, so the relay still has work.
      expect(othersDue).toBe(true);
      expect(await Promise.all(untouched.map((row) => readRow(row.id)))).toEqual(untouched);

      // Claimed is claimed: a second claim of the same keys gets nothing.
      expect(await claimOutboxRowsByKey(database.db, [first.key, second.key], at(1_000))).toEqual({ claimed: [], othersDue: true });
      expect(await readRow(first.id)).toEqual(claimedAs(first, 1));
    });

    it('says nothing else is due when only rows in the future or in flight remain', async () => {
      const mine = await insertRow();
      await insertRow({ availableAt: at(MINUTE) });
      const inFlight = await insertRow();
      await database.db.update(outbox).set({ status: 'sending', claimedAt: at(-MINUTE), attempts: 1 }).where(eq(outbox.id, inFlight.id));
      const { claimed, othersDue } = await claimOutboxRowsByKey(database.db, [mine.key], NOW);
      expect(claimed).toEqual([claimedAs(mine, 1)]);
      expect(othersDue).toBe(false);
    });

    it('re-claims an abandoned row of its keys and counts one left by a dead worker as due', async () => {
      const abandonedMine = await insertRow();
      const abandonedOther = await insertRow();
      await database.db
        .update(outbox)
        .set({ status: 'sending', claimedAt: at(-30 * MINUTE), attempts: 1 })
        .where(inArray(outbox.id, [abandonedMine.id, abandonedOther.id]));
      const opts = { leaseMs: 5 * MINUTE };
      const { claimed, othersDue } = await claimOutboxRowsByKey(database.db, [abandonedMine.key], NOW, opts);
      expect(claimed).toEqual([{ ...abandonedMine, status: 'sending', attempts: 2, claimedAt: NOW }]);
      expect(othersDue).toBe(true);
      // Within a longer lease the claims still hold: nothing to claim, nothing due.
      expect(await claimOutboxRowsByKey(database.db, [abandonedOther.key], NOW, { leaseMs: 60 * MINUTE })).toEqual({ claimed: [], othersDue: false });
    });

    it('claims nothing for no keys, and still answers whether rows are due', async () => {
      const future = await insertRow({ availableAt: at(MINUTE) });
      expect(await claimOutboxRowsByKey(database.db, [], NOW)).toEqual({ claimed: [], othersDue: false });
      const due = await insertRow();
      expect(await claimOutboxRowsByKey(database.db, [], NOW)).toEqual({ claimed: [], othersDue: true });
      expect(await readRow(due.id)).toEqual(due);
      expect(await readRow(future.id)).toEqual(future);
    });

    it('delivers claimed rows one after the other and records each outcome as deliverOutboxRow does', async () => {
      // One after the other, so the ids grow in this order.
      const toSend = await insertRow();
      const toRetry = await insertRow();
      const toFail = await insertRow();
      const rows = [toFail, toSend, toRetry];
      const { claimed } = await claimOutboxRowsByKey(database.db, rows.map((row) => row.key), NOW);
      const answers = new Map<number, DeliveryResult>([
        [toSend.id, ok],
        [toRetry.id, { ok: false, retry: true, error: 'Zalo API timeout' }],
        [toFail.id, { ok: false, retry: false, error: 'template rejected' }],
      ]);
      const sender = createSender((row) => answers.get(row.id) as DeliveryResult);

      const outcomes = await deliverClaimedOutboxRows(database.db, claimed, sender.send, { backoffMs: MINUTE });
      expect(outcomes).toEqual(['sent', 'retry', 'failed']);
      // The sender gets the rows as claimed, in id order.
      expect(sender.sent).toEqual(claimed);
      expect(await readRow(toSend.id)).toMatchObject({ status: 'sent', sentAt: NOW, channel: 'zalo_cs', result: { message_id: 'm-1' }, attempts: 1, lastError: null });
      expect(await readRow(toRetry.id)).toMatchObject({ status: 'pending', attempts: 1, availableAt: at(MINUTE), lastError: 'Zalo API timeout', sentAt: null });
      expect(await readRow(toFail.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'template rejected' });
      expect(await deliverClaimedOutboxRows(database.db, [], sender.send)).toEqual([]);
    });

    it('leaves the row as the sender recorded it when the sender says it did', async () => {
      const row = await insertRow();
      const { claimed } = await claimOutboxRowsByKey(database.db, [row.key], NOW);
      const sender = createSender(async (claimedRow) => {
        // The Zalo sender's last progress write records the row sent, under the claim, with its own bookkeeping.
        await database.db
          .update(outbox)
          .set({ status: 'sent', sentAt: at(2_000), channel: 'zalo', result: { sent: 2, ids: ['z-1', 'z-2'] } })
          .where(eq(outbox.id, claimedRow.id));
        return { ok: true, channel: 'zalo_cs', result: { message_id: 'not-recorded' }, recorded: true };
      });
      expect(await deliverClaimedOutboxRows(database.db, claimed, sender.send)).toEqual(['sent']);
      expect(await readRow(row.id)).toEqual({
        ...claimedAs(row, 1),
        status: 'sent',
        sentAt: at(2_000),
        channel: 'zalo',
        result: { sent: 2, ids: ['z-1', 'z-2'] },
      });
    });

    it('drops its outcome when another worker re-claimed the row meanwhile, and refuses a row it did not claim', async () => {
      const row = await insertRow();
      const { claimed } = await claimOutboxRowsByKey(database.db, [row.key], NOW);
      const sender = createSender(async (claimedRow) => {
        // Our lease ran out mid-send and another worker took the row over.
        await database.db.update(outbox).set({ claimedAt: at(10 * MINUTE), attempts: 2 }).where(eq(outbox.id, claimedRow.id));
        return ok;
      });
      expect(await deliverClaimedOutboxRows(database.db, claimed, sender.send)).toEqual(['sent']);
      expect(await readRow(row.id)).toMatchObject({ status: 'sending', claimedAt: at(10 * MINUTE), attempts: 2, sentAt: null, result: null });

      const unclaimed = await insertRow();
      await expect(deliverClaimedOutboxRows(database.db, [unclaimed], sender.send)).rejects.toThrow(/not claimed/);
      expect(sender.sent.map((r) => r.id)).toEqual([row.id]);
    });
  });
});
