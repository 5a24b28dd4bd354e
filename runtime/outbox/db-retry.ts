import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';

/**
 * A delivery's own bookkeeping writes (its intent, its progress, its outcome) retried over a brief PostgreSQL
 * outage. Without this, a failover or restart at the moment a delivery records what Zalo just accepted left the
 * row 'sending' for the whole lease (five minutes) before another worker took it over. The retry is bounded
 * (about ten seconds in all): a longer outage still ends in the error, and the lease, as before.
 *
 * Only for idempotent writes (SET to values known in advance, or a whole transaction): when the connection dies
 * after the commit was sent, the write may have happened, and doing it again must change nothing.
 */

export const DB_RETRY_DELAYS_MS: readonly number[] = [100, 200, 400, 800, 1_600, 3_200, 3_200];

/** SQLSTATE classes/codes of a server that is gone or not taking connections yet (not of a bad statement). */
const TRANSIENT_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const TRANSIENT_MESSAGE = /connection terminated|terminating connection|connection (?:is )?closed|server closed the connection|the database system is (?:starting up|shutting down|in recovery)|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/** Whether an error (or one it wraps: drizzle puts the driver's error in `cause`) says the database is briefly unreachable. */
export function isTransientDbError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e !== 'object') return false;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_ERRNO.has(code))) return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return true;
  }
  return false;
}

export async function retryTransientDbWrite<T>(
  write: () => Promise<T>,
  options: { what?: string; logger?: Logger; delaysMs?: readonly number[] } = {},
): Promise<T> {
  const delays = options.delaysMs ?? DB_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const delay = delays[attempt];
      if (delay === undefined || !isTransientDbError(err)) throw err;
      options.logger?.warn({ what: options.what, attempt: attempt + 1, delayMs: delay, err: err instanceof Error ? err.message : String(err) }, 'database unavailable while recording a delivery; retrying');
      await sleep(delay);
    }
  }
}
