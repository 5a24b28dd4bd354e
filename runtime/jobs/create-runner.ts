import { createBullmqRunner } from './bullmq-runner.js';
import { createInlineRunner } from './inline-runner.js';
import type { JobRunner, RunnerOptions } from './job.js';

/** BullMQ when a Redis URL is configured (several processes share the work), else the in-process engine. */
export function createJobRunner(options: RunnerOptions & { redisUrl?: string; prefix?: string }): JobRunner {
  const { redisUrl, prefix, ...rest } = options;
  // An empty string counts as unset, like every other config value.
  if (redisUrl) return createBullmqRunner({ ...rest, redisUrl, prefix });
  return createInlineRunner(rest);
}
