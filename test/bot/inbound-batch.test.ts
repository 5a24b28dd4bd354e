import { describe, expect, it } from 'vitest';
import { processInboundBatch } from '../../bot/bot.part.js';
import { processInboundEventJob, type TProcessInboundEventPayload } from '../../bot/inbound/process-inbound.job.js';
import type { AppDeps } from '../../runtime/app.js';
import type { EnqueueItem, JobDefinition } from '../../runtime/jobs/job.js';
import { createLogger } from '../../runtime/logger.js';

/**
 * processInboundBatch (bot/bot.part.ts): the events of one committed webhook batch, handed over as one job, are
 * handled as their own zalo.event jobs would be: each user's in order, several users at once, a failure retried on
 * its own. The handler is a fake here; processInboundEvent itself is covered by direct-reply.test.ts and webhook.test.ts.
 */

type Enqueued = { name: string; items: ReadonlyArray<EnqueueItem<unknown>> };

function fakeDeps(enqueued: Enqueued[]): AppDeps {
  const jobs = {
    enqueueMany: async (def: JobDefinition<unknown>, items: ReadonlyArray<EnqueueItem<unknown>>) => {
      enqueued.push({ name: def.name, items });
    },
  };
  return { logger: createLogger({ level: 'silent' }), jobs } as unknown as AppDeps;
}

const event = (inboundEventId: number, senderId: string | null) => ({ inboundEventId, senderId });

describe('processInboundBatch', () => {
  it("handles each user's events in order, skips those an earlier call already handled, and users at once", async () => {
    const calls: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    // Like processInboundEvent: a user's call handles all of that user's pending events (here: the batch's).
    const pendingOf = new Map([
      ['a', [1, 3, 5]],
      ['b', [2, 4]],
    ]);
    const handle = async (payload: TProcessInboundEventPayload) => {
      calls.push(payload.inboundEventId);
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      if (!payload.senderId) return [payload.inboundEventId];
      const handled = pendingOf.get(payload.senderId) ?? [];
      pendingOf.set(payload.senderId, []);
      return handled;
    };
    const enqueued: Enqueued[] = [];
    await processInboundBatch(fakeDeps(enqueued), [event(1, 'a'), event(2, 'b'), event(3, 'a'), event(4, 'b'), event(5, 'a'), event(6, null), event(7, null)], handle);

    // One call per user (the first event; the later ones were handled by it), one per event of no user.
    expect([...calls].sort((x, y) => x - y)).toEqual([1, 2, 6, 7]);
    expect(mostAtOnce).toBeGreaterThan(1);
    expect(enqueued.flatMap((e) => e.items)).toEqual([]);
  });

  it('calls again for a later event of a user that the first call left pending', async () => {
    const calls: number[] = [];
    const handle = async (payload: TProcessInboundEventPayload) => {
      calls.push(payload.inboundEventId);
      // The first call handles only its own event (another job held the user's later ones meanwhile).
      return [payload.inboundEventId];
    };
    await processInboundBatch(fakeDeps([]), [event(10, 'a'), event(11, 'a')], handle);
    expect(calls).toEqual([10, 11]);
  });

  it('retries an event whose handling failed as its own zalo.event job, after the backoff, and goes on with the others', async () => {
    const calls: number[] = [];
    const handle = async (payload: TProcessInboundEventPayload) => {
      calls.push(payload.inboundEventId);
      if (payload.inboundEventId === 20) throw new Error('database unreachable');
      return [payload.inboundEventId];
    };
    const enqueued: Enqueued[] = [];
    await processInboundBatch(fakeDeps(enqueued), [event(20, 'a'), event(21, 'a'), event(22, 'b')], handle);

    // The user's next event is still tried (it handles the failed one with it when the database is back).
    expect([...calls].sort((x, y) => x - y)).toEqual([20, 21, 22]);
    expect(enqueued).toEqual([
      {
        name: processInboundEventJob.name,
        items: [{ payload: event(20, 'a'), options: { key: 'inbound:20', delayMs: expect.any(Number) } }],
      },
    ]);
    expect((enqueued[0]!.items[0]!.options!.delayMs ?? 0) > 0).toBe(true);
  });
});
