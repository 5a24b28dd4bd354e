import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findEarlierDelivery } from '../../bot/delivery/delivery-order.js';
import { createZaloSender } from '../../bot/delivery/zalo-sender.js';
import type { ZaloClient } from '../../bot/zalo/api-client.js';
import { outbox } from '../../db/schema.js';
import { createFakeClock, type FakeClock } from '../../runtime/clock.js';
import { insertOutbox, type OutboxIntent, type OutboxRow } from '../../runtime/outbox/outbox.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * One person's Zalo messages leave in the order they were written, although concurrent jobs deliver
 * the outbox rows: a 'zalo' row waits while an earlier row for the same person is still on its way.
 */

const USER = 'zalo-user-1';
const CONTACT = 41;

describe('delivery order of one person’s messages', () => {
  let database: TestDatabase;
  let clock: FakeClock;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
  });
  afterAll(async () => database?.destroy());
  beforeEach(async () => {
    clock = createFakeClock('2026-03-02T09:00:00+07:00');
    await database.db.delete(outbox);
  });

  async function add(intent: Omit<OutboxIntent, 'key'> & { key?: string }): Promise<OutboxRow> {
    const key = intent.key ?? `k-${Math.random().toString(36).slice(2)}`;
    await insertOutbox(database.db, [{ ...intent, key }], clock.now());
    const [row] = await database.db.select().from(outbox).where(eq(outbox.key, key));
    return row!;
  }
  const zaloTo = (userId: string, text: string, seq?: number) =>
    add({ kind: 'zalo', recipient: { userId, contactId: CONTACT }, data: { messages: [{ type: 'text', text }], ...(seq ? { seq } : {}) } });
  const notifyContact = (contactId: number) => add({ kind: 'notify', recipient: { type: 'contact', contactId }, template: 'case-received', data: { caseCode: 'PA-2026-000001' } });
  const setStatus = (row: OutboxRow, status: OutboxRow['status'], availableAt?: Date) =>
    database.db.update(outbox).set({ status, ...(availableAt ? { availableAt } : {}) }).where(eq(outbox.id, row.id));
  const earlierThan = (row: OutboxRow, seq = row.id) =>
    findEarlierDelivery(database.db, { rowId: row.id, seq, userId: USER, contactId: CONTACT }, clock.now());

  it('holds a message back while an earlier one to the same user, or an unrouted notification for the contact, is on its way', async () => {
    const received = await notifyContact(CONTACT);
    const assigned = await notifyContact(CONTACT);
    // Forwarded rows keep the place of the notification they came from, whatever order they were written in.
    const assignedZalo = await zaloTo(USER, 'đã chuyển', assigned.id);
    const receivedZalo = await zaloTo(USER, 'đã tiếp nhận', received.id);

    expect(await earlierThan(receivedZalo, received.id)).toBeUndefined();
    expect(await earlierThan(assignedZalo, assigned.id)).toBe(received.id);
    await setStatus(received, 'sent');
    expect(await earlierThan(assignedZalo, assigned.id)).toBe(receivedZalo.id);
    await setStatus(receivedZalo, 'sending');
    expect(await earlierThan(assignedZalo, assigned.id)).toBe(receivedZalo.id);
    await setStatus(receivedZalo, 'sent');
    await setStatus(assigned, 'sent');
    expect(await earlierThan(assignedZalo, assigned.id)).toBeUndefined();
  });

  it('is not held back by finished rows, rows waiting for a later retry, or other people’s rows', async () => {
    const failed = await zaloTo(USER, 'a');
    const flagged = await zaloTo(USER, 'b');
    const later = await zaloTo(USER, 'c');
    await zaloTo('someone-else', 'd');
    await notifyContact(CONTACT + 1);
    await setStatus(failed, 'failed');
    await setStatus(flagged, 'flagged');
    await setStatus(later, 'pending', new Date(clock.now().getTime() + 60_000));
    const mine = await zaloTo(USER, 'e');
    expect(await earlierThan(mine)).toBeUndefined();
  });

  it('makes the sender of a later row wait until the earlier row went out', async () => {
    const sent: string[] = [];
    const client = {
      sendText: async (_userId: string, text: string) => {
        sent.push(text);
        return [`msg-${sent.length}`];
      },
    } as unknown as ZaloClient;
    const send = createZaloSender({ db: database.db, client, clock });
    const first = await zaloTo(USER, 'một');
    const second = await zaloTo(USER, 'hai');
    // Both claimed by their jobs at once; the second job happens to run first.
    await setStatus(first, 'sending');
    await setStatus(second, 'sending');
    const secondDone = send({ ...second, status: 'sending' });
    // It must not send while the first is still being sent …
    await waitFor('the second sender to check the first row', async () => (await earlierThan(second)) === first.id);
    expect(sent).toEqual([]);
    // … and goes right after it.
    expect(await send({ ...first, status: 'sending' })).toMatchObject({ ok: true });
    await setStatus(first, 'sent');
    expect(await secondDone).toMatchObject({ ok: true });
    expect(sent).toEqual(['một', 'hai']);
  });
});
