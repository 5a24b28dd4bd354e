import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, lte, ne, or, sql, type SQL } from 'drizzle-orm';
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

const orderExpr = sql`(case when ${outbox.data}->>'seq' ~ '^[0-9]{1,15}$' then (${outbox.data}->>'seq')::bigint else ${outbox.id} end)`;

/** The id of an earlier row for the same person that is still being sent or due now, if any. */
export async function findEarlierDelivery(db: Db, target: DeliveryOrderTarget, now: Date): Promise<number | undefined> {
  const samePerson: SQL[] = [and(eq(outbox.kind, 'zalo'), sql`${outbox.recipient}->>'userId' = ${target.userId}`)!];
  if (target.contactId) {
    samePerson.push(
      and(eq(outbox.kind, 'notify'), sql`${outbox.recipient}->>'type' = 'contact'`, sql`${outbox.recipient}->>'contactId' = ${String(target.contactId)}`)!,
      // A ZBS template message to the same person (outside the window) names the contact, not the Zalo user.
      and(eq(outbox.kind, 'zbs'), sql`${outbox.recipient}->>'contactId' = ${String(target.contactId)}`)!,
    );
  }
  if (target.officialId) {
    samePerson.push(
      and(eq(outbox.kind, 'notify'), sql`${outbox.recipient}->>'type' = 'official'`, sql`${outbox.recipient}->>'officialId' = ${String(target.officialId)}`)!,
      and(eq(outbox.kind, 'zbs'), sql`${outbox.recipient}->>'officialId' = ${String(target.officialId)}`)!,
    );
  }
  const [row] = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        ne(outbox.id, target.rowId),
        or(eq(outbox.status, 'sending'), and(eq(outbox.status, 'pending'), lte(outbox.availableAt, now))),
        sql`${orderExpr} < ${target.seq}`,
        or(...samePerson),
      ),
    )
    .limit(1);
  return row?.id;
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
