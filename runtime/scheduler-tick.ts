import { z } from 'zod';
import { defineJob } from './jobs/job.js';

/** The one-minute heartbeat: every periodic duty (outbox relay, nudges, report reminders) hangs off it. */
export const schedulerTickJob = defineJob({ name: 'scheduler.tick', schema: z.object({}).passthrough(), attempts: 1 });
