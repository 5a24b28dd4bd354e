import type { Queryable } from '../../runtime/db.js';
import { storeInboundEvents, type InboundEventInput, type StoreInboundOutcome } from './inbound-events.js';

/**
 * Group commit for the webhook: the events of requests arriving together are written by one INSERT, so one
 * commit (one WAL flush, synchronous_commit stays on) makes all of them durable, and each request answers once
 * its own row is. Nothing waits for a timer: a batch leaves as soon as a slot is free, so a lone event is written
 * at once, and under load the events that arrive while a batch is being committed form the next one. Dedupe is
 * storeInboundEvents's, the same unique key as before.
 *
 * Measured (bench/webhook.bench.ts, 50 connections, 2 cores): one INSERT per request cost a PostgreSQL round trip
 * and a commit each, and the web process spent ~18% of its time in the socket writes of those queries alone.
 * One batch at a time rather than two: batches of ~16 events became ~25, and each batch costs the same socket
 * write, wake-up of a PostgreSQL backend and commit whatever its size (PostgreSQL CPU 38% → 33% of a core at a higher rate).
 */

export interface InboundIntakeOptions {
  db: Queryable;
  /** Most events in one INSERT. */
  maxBatch?: number;
  /** Batches being written at once; the others wait and grow meanwhile. */
  maxInFlight?: number;
  /**
   * Called once per committed batch with the events it inserted, before their requests are answered (so a caller
   * may start the processing jobs without holding any reply). Must not throw; it is not awaited.
   */
  afterCommit?: (stored: StoredInboundEvent[]) => void;
}

export interface InboundIntake {
  /** Resolves once the event is durable (or known as a re-delivery); rejects when it could not be stored. */
  store(event: InboundEventInput): Promise<StoreInboundOutcome>;
  /** Resolves when every event handed over so far has been written (or failed). */
  flush(): Promise<void>;
}

export interface StoredInboundEvent {
  id: number;
  senderId: string | null;
}

export const DEFAULT_INTAKE_MAX_BATCH = 256;
export const DEFAULT_INTAKE_MAX_IN_FLIGHT = 1;

interface Waiting {
  event: InboundEventInput;
  resolve(outcome: StoreInboundOutcome): void;
  reject(err: unknown): void;
}

/**
 * An error PostgreSQL raised about the statement (a SQLSTATE, on the error or the driver error drizzle wraps), not
 * a lost or refused connection (class 08) or a server going down (57).
 */
function isStatementError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return !code.startsWith('08') && !code.startsWith('57');
  }
  return false;
}

export function createInboundIntake(options: InboundIntakeOptions): InboundIntake {
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_INTAKE_MAX_BATCH);
  const maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_INTAKE_MAX_IN_FLIGHT);
  const waiting: Waiting[] = [];
  const writing = new Set<Promise<void>>();
  let scheduled = false;

  async function write(batch: Waiting[]): Promise<void> {
    let outcomes: StoreInboundOutcome[];
    try {
      outcomes = await storeInboundEvents(options.db, batch.map((w) => w.event));
    } catch (err) {
      if (batch.length === 1 || !isStatementError(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // One bad event (a value PostgreSQL refuses) must not fail the others with it: each on its own, in order (ids
      // keep the arrival order a user's events are processed in).
      for (const w of batch) await write([w]);
      return;
    }
    const inserted = outcomes.flatMap((o, i) => (o.inserted ? [{ id: o.id, senderId: batch[i]!.event.senderId }] : []));
    if (inserted.length > 0 && options.afterCommit) {
      try {
        options.afterCommit(inserted);
      } catch {
        // the caller's business; the events are stored whatever it does
      }
    }
    batch.forEach((w, i) => w.resolve(outcomes[i]!));
  }

  function startBatches(): void {
    scheduled = false;
    while (waiting.length > 0 && writing.size < maxInFlight) {
      const batch = waiting.splice(0, maxBatch);
      const done = write(batch).finally(() => {
        writing.delete(done);
        schedule();
      });
      writing.add(done);
    }
  }

  function schedule(): void {
    if (scheduled || waiting.length === 0 || writing.size >= maxInFlight) return;
    scheduled = true;
    // After the current I/O phase: every request whose body arrived in it joins the batch.
    setImmediate(startBatches);
  }

  return {
    store(event) {
      return new Promise<StoreInboundOutcome>((resolve, reject) => {
        waiting.push({ event, resolve, reject });
        schedule();
      });
    },
    async flush() {
      while (waiting.length > 0 || writing.size > 0) {
        if (writing.size > 0) await Promise.allSettled([...writing]);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
  };
}
