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

/** Processes a stored webhook event (and any earlier pending events of the same user, in order). */
export const processInboundEventJob = defineJob({
  name: 'zalo.event',
  schema: ZProcessInboundEventPayload,
  attempts: 5,
  backoffMs: 2_000,
});
