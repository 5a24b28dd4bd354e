import { and, asc, eq, lt, or, sql } from 'drizzle-orm';
import { inboundEvents } from '../../db/schema.js';
import { queryRowsPrepared, type Db, type Queryable, type Tx } from '../../runtime/db.js';
import { storableErrorMessage } from '../../runtime/logger.js';

/** A failing event is retried with the user's next events, then left for an operator. */
const MAX_EVENT_ATTEMPTS = 5;

export type InboundEventRow = typeof inboundEvents.$inferSelect;

export interface InboundEventInput {
  dedupeKey: string;
  eventName: string;
  senderId: string | null;
  raw: string;
  receivedAt: Date;
}

export type StoreInboundOutcome = { inserted: true; id: number } | { inserted: false };

/** Stores a verified webhook event once; a re-delivery of the same key inserts nothing. */
export async function storeInboundEvent(q: Queryable, event: InboundEventInput): Promise<StoreInboundOutcome> {
  const rows = await q
    .insert(inboundEvents)
    .values({ source: 'zalo', ...event })
    .onConflictDoNothing()
    .returning({ id: inboundEvents.id });
  const row = rows[0];
  return row ? { inserted: true, id: row.id } : { inserted: false };
}

/**
 * Stores several verified webhook events in one statement (one commit), with exactly the dedupe of
 * storeInboundEvent: an event whose key is already stored inserts nothing, and of two events with one key in the
 * same call the first is the one stored, as if they had come one after the other. Outcomes are in input order;
 * ids grow in input order, so a user's events keep the order they arrived in.
 */
export async function storeInboundEvents(q: Queryable, events: readonly InboundEventInput[]): Promise<StoreInboundOutcome[]> {
  if (events.length === 0) return [];
  const firstOfKey = new Map<string, number>();
  const unique: InboundEventInput[] = [];
  events.forEach((event, index) => {
    if (firstOfKey.has(event.dedupeKey)) return;
    firstOfKey.set(event.dedupeKey, index);
    unique.push(event);
  });
  // One array per column: the statement's text and parameter count do not depend on how many events it carries.
  // The bodies go as one JSON array: as a text[] literal every quote in them would be escaped by the driver's
  // string replaces, a few copies of each body per event.
  const column = <T>(pick: (event: InboundEventInput) => T) => sql.param(unique.map(pick));
  // Prepared once per connection: the text is the same for every batch (see above), and under webhook load this
  // statement runs hundreds of times a second.
  const rows = await queryRowsPrepared<{ id: string | number; dedupe_key: string }>(
    q,
    'pakn_store_inbound_events',
    sql`insert into ${inboundEvents} (source, dedupe_key, event_name, sender_id, raw, received_at)
        select 'zalo', e.dedupe_key, e.event_name, e.sender_id, e.raw, e.received_at::timestamptz
        from rows from (
          unnest(${column((e) => e.dedupeKey)}::text[]),
          unnest(${column((e) => e.eventName)}::text[]),
          unnest(${column((e) => e.senderId)}::text[]),
          json_array_elements_text(${JSON.stringify(unique.map((e) => e.raw))}::json),
          unnest(${column((e) => e.receivedAt.toISOString())}::text[])
        ) with ordinality as e(dedupe_key, event_name, sender_id, raw, received_at, ord)
        order by e.ord
        on conflict do nothing
        returning id, dedupe_key`,
  );
  const idOfKey = new Map(rows.map((row) => [row.dedupe_key, Number(row.id)]));
  return events.map((event, index) => {
    const id = firstOfKey.get(event.dedupeKey) === index ? idOfKey.get(event.dedupeKey) : undefined;
    return id === undefined ? { inserted: false } : { inserted: true, id };
  });
}

/** A handler failed with no savepoint around it: the whole transaction is undone and run again isolated. */
class UnisolatedHandlerFailure extends Error {
  override name = 'UnisolatedHandlerFailure';
}

/**
 * Processes every pending event of one Zalo user, oldest first, inside one transaction holding a
 * per-user advisory lock: a user's messages are handled in order and one at a time, however many
 * workers pick up jobs for that user's events at once.
 */
export async function processPendingEventsOfSender(
  db: Db,
  senderId: string,
  handle: (tx: Tx, event: InboundEventRow) => Promise<'done' | 'ignored'>,
  now: () => Date,
): Promise<number[]> {
  try {
    return await handlePendingEvents(db, senderId, handle, now, false);
  } catch (err) {
    if (!(err instanceof UnisolatedHandlerFailure)) throw err;
    // Nothing of that try was kept: again, each event in a savepoint, so the failure is recorded on its event.
    return handlePendingEvents(db, senderId, handle, now, true);
  }
}

async function handlePendingEvents(
  db: Db,
  senderId: string,
  handle: (tx: Tx, event: InboundEventRow) => Promise<'done' | 'ignored'>,
  now: () => Date,
  isolateAlways: boolean,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'zalo-user:' + senderId}))`);
    const pending = await tx
      .select()
      .from(inboundEvents)
      .where(
        and(
          eq(inboundEvents.senderId, senderId),
          or(eq(inboundEvents.status, 'pending'), and(eq(inboundEvents.status, 'failed'), lt(inboundEvents.attempts, MAX_EVENT_ATTEMPTS))),
        ),
      )
      .orderBy(asc(inboundEvents.id))
      .limit(50);
    const only = pending.length === 1 ? pending[0] : undefined;
    if (only && !isolateAlways) {
      // The usual case, one pending event: no savepoint to isolate it from others (two round trips less per
      // message). If it fails, the caller undoes this transaction and runs it again with the savepoint.
      let outcome: 'done' | 'ignored';
      try {
        outcome = await handle(tx, only);
      } catch (err) {
        throw new UnisolatedHandlerFailure('handler failed without a savepoint', { cause: err });
      }
      await tx
        .update(inboundEvents)
        .set({ status: outcome, processedAt: now(), attempts: only.attempts + 1, error: null })
        .where(eq(inboundEvents.id, only.id));
      return [only.id];
    }
    const handled: number[] = [];
    for (const event of pending) {
      // A savepoint per event: one bad event is marked failed without undoing the others.
      try {
        const outcome = await tx.transaction((sp) => handle(sp, event));
        await tx
          .update(inboundEvents)
          .set({ status: outcome, processedAt: now(), attempts: event.attempts + 1, error: null })
          .where(eq(inboundEvents.id, event.id));
        handled.push(event.id);
      } catch (err) {
        await tx
          .update(inboundEvents)
          .set({ status: 'failed', attempts: event.attempts + 1, error: storableErrorMessage(err) })
          .where(eq(inboundEvents.id, event.id));
      }
    }
    return handled;
  });
}

/** Events without a user (unknown kinds, receipts with no recipient) are only kept for the record. */
export async function markInboundEvent(q: Queryable, id: number, status: 'done' | 'ignored', at: Date): Promise<void> {
  await q.update(inboundEvents).set({ status, processedAt: at }).where(eq(inboundEvents.id, id));
}

/** Pending events the queue never delivered (Redis was down when they arrived), for the scheduler to re-enqueue. */
export async function findStalledInboundEvents(q: Queryable, olderThan: Date, limit = 500): Promise<Array<{ id: number }>> {
  return q
    .select({ id: inboundEvents.id })
    .from(inboundEvents)
    .where(and(eq(inboundEvents.status, 'pending'), lt(inboundEvents.receivedAt, olderThan)))
    .orderBy(asc(inboundEvents.id))
    .limit(limit);
}
