import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { processInboundEvent } from '../../bot/bot.part.js';
import { caseGateway } from '../../bot/case-gateway.js';
import { replyOutboxKey, type ConversationDeps } from '../../bot/conversation/engine.js';
import { storeInboundEvent } from '../../bot/inbound/inbound-events.js';
import { processInboundBatchJob } from '../../bot/inbound/process-inbound.job.js';
import { createReferenceCache } from '../../bot/reference-cache.js';
import { inboundEvents, messages, outbox } from '../../db/schema.js';
import { SANDBOX_ZALO } from '../../runtime/config.js';
import type { JobRunner } from '../../runtime/jobs/job.js';
import { deliverOutboxJob, type OutboxRow } from '../../runtime/outbox/outbox.js';
import type { ClaimedDelivery, OutboxDispatch } from '../../runtime/start.js';
import { sharedTemplateRenderer } from '../../runtime/templates.js';
import { waitFor } from '../helpers/wait-for.js';
import { ZaloUser } from '../helpers/zalo-user.js';
import { ChatHarness, type Chat } from './zalo-chat.js';

/**
 * The reply to a citizen's message is delivered by the job that handled the message (OutboxDispatch in
 * runtime/start.ts, used by processInboundEvent in bot/bot.part.ts), not handed over to an `outbox.deliver` job,
 * as long as the global Zalo rate limit has a start to spare; otherwise the relay and a delivery job take it.
 * The whole product in sandbox mode: signed webhook, in-process jobs, the real Zalo sender, the fake OA API.
 */

/** Every job the product enqueues from now on, one by one or in bulk (the spies call through). */
function recordEnqueues(jobs: JobRunner): { names(): string[]; payloadsOf(name: string): unknown[] } {
  const one = vi.spyOn(jobs, 'enqueue');
  const many = vi.spyOn(jobs, 'enqueueMany');
  const all = () => [
    ...one.mock.calls.map(([def, payload]) => ({ name: def.name, payload })),
    ...many.mock.calls.flatMap(([def, items]) => items.map((item) => ({ name: def.name, payload: item.payload }))),
  ];
  return {
    names: () => all().map((job) => job.name),
    payloadsOf: (name) => all().flatMap((job) => (job.name === name ? [job.payload] : [])),
  };
}

async function eventOf(h: ChatHarness, chat: Chat): Promise<typeof inboundEvents.$inferSelect> {
  const events = await h.db.select().from(inboundEvents).where(eq(inboundEvents.senderId, chat.userId));
  expect(events).toHaveLength(1);
  return events[0]!;
}

async function replyTo(h: ChatHarness, eventId: number): Promise<OutboxRow> {
  const [row] = await h.db.select().from(outbox).where(eq(outbox.key, replyOutboxKey(eventId)));
  if (!row) throw new Error(`no reply row for event ${eventId}`);
  return row;
}

function messagesIn(row: OutboxRow): unknown[] {
  return (row.data as { messages?: unknown[] }).messages ?? [];
}

describe('the reply to a citizen’s message', () => {
  let h: ChatHarness;
  let enqueued: ReturnType<typeof recordEnqueues>;

  beforeAll(async () => {
    h = await ChatHarness.start({ driver: 'pg' });
    enqueued = recordEnqueues(h.pakn.running.deps.jobs);
  });
  afterAll(async () => h?.close());

  it('is delivered by the event job itself, without an outbox.deliver job', async () => {
    const chat = await h.newChat('Nguyễn Văn An');
    await chat.perform('Xin chào');
    await h.settle();

    const event = await eventOf(h, chat);
    expect(event.status).toBe('done');
    expect(enqueued.payloadsOf(processInboundBatchJob.name)).toEqual([{ events: [expect.objectContaining({ inboundEventId: event.id })] }]);

    const reply = await replyTo(h, event.id);
    // Claimed once, at the clock's time, and recorded sent by the Zalo sender under that claim.
    expect(reply).toMatchObject({ kind: 'zalo', status: 'sent', attempts: 1, channel: 'zalo', lastError: null, claimedAt: h.clock.now() });
    expect(reply.sentAt).toEqual(h.clock.now());
    const sentMessages = messagesIn(reply);
    expect(sentMessages.length).toBeGreaterThan(0);

    // Every message of the reply reached the fake OA API and is on the conversation's record as sent.
    expect(await chat.readNew()).toHaveLength(sentMessages.length);
    const recorded = await h.db.select().from(messages).where(and(eq(messages.outboxId, reply.id), eq(messages.direction, 'out')));
    expect(recorded.map((m) => m.deliveryStatus)).toEqual(sentMessages.map(() => 'sent'));

    // No hand-over to a delivery job on the way.
    expect(enqueued.payloadsOf(deliverOutboxJob.name)).not.toContainEqual({ outboxId: reply.id });
    expect(enqueued.names()).not.toContain(deliverOutboxJob.name);
  });
});

describe('the reply to a citizen’s message when the rate limit is used up', () => {
  let h: ChatHarness;
  let enqueued: ReturnType<typeof recordEnqueues>;

  beforeAll(async () => {
    // One start a minute: the test takes it itself before the citizen writes.
    h = await ChatHarness.start({ driver: 'pg', env: { ZALO_RATE_LIMIT_PER_MIN: '1' } });
    enqueued = recordEnqueues(h.pakn.running.deps.jobs);
  });
  // The delivery job still waits for the limit: closing drops it (the row stays in the outbox for the next tick).
  afterAll(async () => h?.close());

  it('is left to the relay, which hands it to an outbox.deliver job', async () => {
    const jobs = h.pakn.running.deps.jobs;
    const chat = await h.newChat('Trần Thị Bình');
    expect(await jobs.takeRateLimitSlot()).toBe(true);
    expect(await jobs.takeRateLimitSlot()).toBe(false);

    await chat.perform('Xin chào');
    // drain() would wait for the limit to free (a minute): wait for the hand-over instead.
    const event = await waitFor('the event to be handled', async () => {
      const [row] = await h.db.select().from(inboundEvents).where(eq(inboundEvents.senderId, chat.userId));
      return row?.status === 'done' ? row : undefined;
    });
    const reply = await replyTo(h, event.id);
    await waitFor('the reply to be handed to a delivery job', () =>
      enqueued.payloadsOf(deliverOutboxJob.name).some((p) => (p as { outboxId: number }).outboxId === reply.id),
    );

    // Not claimed by the event job: still pending, no attempt spent, nothing sent.
    expect(await replyTo(h, event.id)).toMatchObject({ status: 'pending', attempts: 0, claimedAt: null, sentAt: null });
    expect(await chat.readNew()).toEqual([]);
  });
});

/**
 * processInboundEvent with a hand-built OutboxDispatch: what it asks to claim, and the order of claim, relay and
 * delivery. Events are stored directly (no webhook, so no job of the product handles them meanwhile).
 */
describe('processInboundEvent with an outbox dispatch', () => {
  let h: ChatHarness;
  let conversation: ConversationDeps;
  let users = 0;
  let eventsStored = 0;

  beforeAll(async () => {
    h = await ChatHarness.start({ driver: 'pg' });
    conversation = {
      templates: sharedTemplateRenderer(h.db),
      cases: caseGateway,
      loadReference: createReferenceCache(),
    };
  });
  afterAll(async () => h?.close());

  function newUser(): ZaloUser {
    users += 1;
    return new ZaloUser({
      ...SANDBOX_ZALO,
      userId: `direct-reply-user-${users}`,
      clock: h.clock,
      advance: (ms) => h.clock.advance(ms),
      post: async () => ({ status: 500, body: 'not posted: stored directly' }),
    });
  }

  /** Stores a citizen's text event as the webhook does; returns its id. */
  async function storeText(user: ZaloUser, text: string): Promise<number> {
    eventsStored += 1;
    const { rawBody } = user.sign(user.textEvent(text));
    const stored = await storeInboundEvent(h.db, {
      dedupeKey: `direct-reply-${eventsStored}`,
      eventName: 'user_send_text',
      senderId: user.userId,
      raw: rawBody,
      receivedAt: h.clock.now(),
    });
    if (!stored.inserted) throw new Error('event not stored');
    return stored.id;
  }

  /** A dispatch that claims nothing itself: it records what it was asked, and the replies as they were then. */
  function recordingDispatch(othersDue: boolean) {
    const steps: string[] = [];
    const asked: string[][] = [];
    const rowsAtClaim: Array<Pick<OutboxRow, 'key' | 'status'>> = [];
    const dispatch: OutboxDispatch = {
      async claimForDelivery(keys): Promise<ClaimedDelivery> {
        steps.push('claim');
        asked.push([...keys]);
        // The replies are committed by then: a claim in another transaction can see them.
        rowsAtClaim.push(...(await h.db.select({ key: outbox.key, status: outbox.status }).from(outbox).where(inArray(outbox.key, [...keys]))));
        return {
          othersDue,
          deliver: async () => {
            steps.push('deliver');
          },
        };
      },
    };
    const relay = async () => {
      steps.push('relay');
    };
    return { dispatch, relay, steps, asked, rowsAtClaim };
  }

  it('skips the relay when nothing else is due, and delivers the claimed replies', async () => {
    const user = newUser();
    const eventId = await storeText(user, 'Xin chào');
    const { dispatch, relay, steps, asked, rowsAtClaim } = recordingDispatch(false);
    await processInboundEvent(h.pakn.running.deps, conversation, { inboundEventId: eventId, senderId: user.userId }, relay, dispatch);
    expect(asked).toEqual([[replyOutboxKey(eventId)]]);
    expect(rowsAtClaim).toEqual([{ key: replyOutboxKey(eventId), status: 'pending' }]);
    expect(steps).toEqual(['claim', 'deliver']);
  });

  it('claims first, relays what else is due, then delivers, when others are due', async () => {
    const user = newUser();
    const eventId = await storeText(user, 'Xin chào');
    const { dispatch, relay, steps, asked } = recordingDispatch(true);
    await processInboundEvent(h.pakn.running.deps, conversation, { inboundEventId: eventId, senderId: user.userId }, relay, dispatch);
    expect(asked).toEqual([[replyOutboxKey(eventId)]]);
    // Claimed before the relay, so the relay leaves the replies alone; sent after it, so what they wait for is on its way.
    expect(steps).toEqual(['claim', 'relay', 'deliver']);
  });

  it('asks for the replies of every event of the sender it handled, in order', async () => {
    const user = newUser();
    const first = await storeText(user, 'Xin chào');
    const second = await storeText(user, 'Chào bạn');
    const { dispatch, relay, asked } = recordingDispatch(false);
    await processInboundEvent(h.pakn.running.deps, conversation, { inboundEventId: second, senderId: user.userId }, relay, dispatch);
    expect(asked).toEqual([[replyOutboxKey(first), replyOutboxKey(second)]]);
  });

  it('neither claims nor relays when no event was left to handle', async () => {
    const user = newUser();
    const eventId = await storeText(user, 'Xin chào');
    const done = recordingDispatch(false);
    await processInboundEvent(h.pakn.running.deps, conversation, { inboundEventId: eventId, senderId: user.userId }, done.relay, done.dispatch);
    // A second job for the same event (a duplicate, a retry) finds it handled already.
    const again = recordingDispatch(true);
    await processInboundEvent(h.pakn.running.deps, conversation, { inboundEventId: eventId, senderId: user.userId }, again.relay, again.dispatch);
    expect(again.steps).toEqual([]);
  });
});
