import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { outbox } from '../../db/schema.js';
import type { Db } from '../../runtime/db.js';

/**
 * One person's Zalo messages must arrive in the order they were written, but outbox rows are delivered
 * by concurrent jobs: the "received, code PA-…" and "assigned to Sở Xây dựng" notifications of one new
 * case, or the replies to a burst of messages, would otherwise reach the citizen in whatever order their
 * jobs finish.
 *
 * Every row has an order: `data.seq` when it was forwarded from a workflow notification (the id of the
 * row the workflow wrote, carried through fan-out), else its own id. Before sending, a 'zalo' row waits
 * while an earlier row for the same person is still on its way: a 'zalo' row to the same Zalo user, a 'zbs'
 * template row to the same contact/official, or a 'notify' row to them that has not been routed yet. Only rows being sent or due
 * now count, so a row waiting for a retry later never holds the others back, and the wait is bounded:
 * a stuck predecessor delays a message, it never blocks it.
 */

export const DELIVERY_ORDER_MAX_WAIT_MS = 20_000;
const POLL_MS = 20;

export interface DeliveryOrderTarget {
  rowId: number;
  seq: number;
  userId: string;
  contactId?: number | null;
  officialId?: number | null;
}

/** The order of a row: `data.seq` of a forwarded notification, else the row's own id. */
export function deliveryOrderOf(row: { id: number; data: Record<string, unknown> }): number {
  const seq = row.data.seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : row.id;
}

/** The outbox table, or another name for it (an alias, inside a statement on outbox itself). */
type OutboxRef = typeof outbox | ReturnType<typeof alias<typeof outbox, typeof EARLIER>>;
const EARLIER = 'earlier';

const orderOf = (o: OutboxRef) => sql`(case when ${o.data}->>'seq' ~ '^[0-9]{1,15}$' then (${o.data}->>'seq')::bigint else ${o.id} end)`;

/** The rows of `o` that are earlier messages to the same person still being sent or due now. */
function earlierDeliveryOf(o: OutboxRef, target: DeliveryOrderTarget, now: Date): SQL {
  const samePerson: SQL[] = [and(eq(o.kind, 'zalo'), sql`${o.recipient}->>'userId' = ${target.userId}`)!];
  if (target.contactId) {
    samePerson.push(
      and(eq(o.kind, 'notify'), sql`${o.recipient}->>'type' = 'contact'`, sql`${o.recipient}->>'contactId' = ${String(target.contactId)}`)!,
      // A ZBS template message to the same person (outside the window) names the contact, not the Zalo user.
      and(eq(o.kind, 'zbs'), sql`${o.recipient}->>'contactId' = ${String(target.contactId)}`)!,
    );
  }
  if (target.officialId) {
    samePerson.push(
      and(eq(o.kind, 'notify'), sql`${o.recipient}->>'type' = 'official'`, sql`${o.recipient}->>'officialId' = ${String(target.officialId)}`)!,
      and(eq(o.kind, 'zbs'), sql`${o.recipient}->>'officialId' = ${String(target.officialId)}`)!,
    );
  }
  return and(
    ne(o.id, target.rowId),
    or(eq(o.status, 'sending'), and(eq(o.status, 'pending'), lte(o.availableAt, now))),
    sql`${orderOf(o)} < ${target.seq}`,
    or(...samePerson),
  )!;
}

/** The id of an earlier row for the same person that is still being sent or due now, if any. */
export async function findEarlierDelivery(db: Db, target: DeliveryOrderTarget, now: Date): Promise<number | undefined> {
  const [row] = await db.select({ id: outbox.id }).from(outbox).where(earlierDeliveryOf(outbox, target, now)).limit(1);
  return row?.id;
}

/**
 * A condition for a statement on the target's own row: true while no earlier message to the same person is on its
 * way. The Zalo sender puts it on its first write before sending, which then also stands for the order check.
 */
export function noEarlierDelivery(target: DeliveryOrderTarget, now: Date): SQL {
  const earlier = alias(outbox, EARLIER);
  // An alias renders as its name only; the FROM clause names the table it stands for.
  return sql`not exists (select 1 from ${outbox} as ${sql.identifier(EARLIER)} where ${earlierDeliveryOf(earlier, target, now)})`;
}

/** Waits (bounded) until no earlier message to the same person is still on its way. */
export async function waitForEarlierDeliveries(
  db: Db,
  target: DeliveryOrderTarget,
  now: () => Date,
  maxWaitMs = DELIVERY_ORDER_MAX_WAIT_MS,
): Promise<'clear' | 'timed_out'> {
  const deadline = performance.now() + maxWaitMs;
  while ((await findEarlierDelivery(db, target, now())) !== undefined) {
    if (performance.now() >= deadline) return 'timed_out';
    await sleep(POLL_MS);
  }
  return 'clear';
}
