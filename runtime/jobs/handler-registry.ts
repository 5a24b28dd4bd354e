import type { Logger } from '../logger.js';
import type { JobContext, JobDefinition, JobHandler } from './job.js';

/** A job that can never succeed (no handler, payload fails its schema): retrying would only repeat it. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

interface Registered {
  def: JobDefinition<unknown>;
  handler: JobHandler<unknown>;
}

export interface HandlerRegistry {
  register<T>(def: JobDefinition<T>, handler: JobHandler<T>): void;
  /** Re-validates the payload (it crossed a serialisation boundary) and runs the handler. */
  run(name: string, data: unknown, ctx: JobContext): Promise<void>;
}

/** The part both engines share, so a handler sees exactly the same thing on either of them. */
export function createHandlerRegistry(): HandlerRegistry {
  const handlers = new Map<string, Registered>();
  return {
    register(def, handler) {
      // Two handlers for one name would make which one runs depend on registration order.
      if (handlers.has(def.name)) throw new Error(`a handler for job '${def.name}' is already registered`);
      handlers.set(def.name, { def: def as JobDefinition<unknown>, handler: handler as JobHandler<unknown> });
    },
    async run(name, data, ctx) {
      const registered = handlers.get(name);
      if (!registered) throw new PermanentJobError(`no handler registered for job '${name}'`);
      const parsed = registered.def.schema.safeParse(data);
      if (!parsed.success) {
        throw new PermanentJobError(`invalid payload for job '${name}': ${parsed.error.message}`);
      }
      await registered.handler(parsed.data, ctx);
    },
  };
}

/**
 * Payloads travel as JSON on BullMQ; the in-process engine copies them the same way so that a payload
 * that would not survive Redis (a Date, a Map, undefined fields) fails in tests too, not only in production.
 */
export function copyAsJson(payload: unknown): unknown {
  const text = JSON.stringify(payload);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

export function logJobFailure(
  logger: Logger,
  job: { name: string; jobId: string; attempt: number; attempts: number },
  err: unknown,
): void {
  if (err instanceof PermanentJobError) {
    logger.error({ err, ...job }, 'job cannot run; not retried');
  } else if (job.attempt < job.attempts) {
    logger.warn({ err, ...job }, 'job failed; will retry');
  } else {
    logger.error({ err, ...job }, 'job failed on its last attempt; giving up');
  }
}
