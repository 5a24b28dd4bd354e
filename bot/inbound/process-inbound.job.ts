import { z } from 'zod';
import { defineJob } from '../../runtime/jobs/job.js';

export const ZProcessInboundEventPayload = z.object({
  inboundEventId: z.number().int().positive(),
  /**
   * The event's sender as the webhook stored it (null: an event of no user), so the job need not read the row
   * first. Absent (jobs of the scheduler's sweep, or queued before this field existed): read from the row.
   */
  senderId: z.string().min(1).nullable().optional(),
});
export type TProcessInboundEventPayload = z.infer<typeof ZProcessInboundEventPayload>;

/** Tries of an event job, and the base of the backoff between them (a database or queue hiccup, not the event). */
const INBOUND_JOB_RETRIES = { attempts: 5, backoffMs: 2_000 };

/** Processes a stored webhook event (and any earlier pending events of the same user, in order). */
export const processInboundEventJob = defineJob({ name: 'zalo.event', schema: ZProcessInboundEventPayload, ...INBOUND_JOB_RETRIES });

export const ZProcessInboundBatchPayload = z.object({
  /** Events the webhook committed together, in id order, each with its sender as stored (null: an event of no user). */
  events: z.array(ZProcessInboundEventPayload.required({ senderId: true })).min(1),
});
export type TProcessInboundBatchPayload = z.infer<typeof ZProcessInboundBatchPayload>;

/**
 * The events of one committed webhook batch, handed over as one job: one queue entry (one Redis script, one job
 * record) for the whole batch instead of one per event, which cost the webhook about as much CPU as storing the
 * event, and Redis as much again (bench/webhook.bench.ts). Each event is then handled as its own zalo.event job
 * would be, several users at once; one whose handling fails is retried as such a job (bot.part.ts).
 */
export const processInboundBatchJob = defineJob({ name: 'zalo.events', schema: ZProcessInboundBatchPayload, ...INBOUND_JOB_RETRIES });
