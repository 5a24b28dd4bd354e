import { z } from 'zod';
import { defineJob } from '../../runtime/jobs/job.js';

/** Processes a stored webhook event (and any earlier pending events of the same user, in order). */
export const processInboundEventJob = defineJob({
  name: 'zalo.event',
  schema: z.object({ inboundEventId: z.number().int().positive() }),
  attempts: 5,
  backoffMs: 2_000,
});
