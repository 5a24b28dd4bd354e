import { and, asc, eq, lt, lte, or, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { outbox } from '../../db/schema.js';
import { queryRows, rowFromJson, type Db, type Queryable } from '../db.js';
import { computeBackoffMs, defineJob, type JobDefinition, type JobRunner } from '../jobs/job.js';
import { retryTransientDbWrite } from './db-retry.js';

/**
 * The outbox: a message to send is a row, written in the same transaction as the state change that caused
 * it. Jobs only move rows along; a lost job is found again by the relay on the next tick.
 *
 * Row life: pending → sending (claimed by one worker) → sent | failed | flagged, or back to pending with a
 * later available_at when a retryable failure happens.
 */

export interface OutboxIntent {
  /** Idempotency key: a second intent with the same key is the same message. */
  key: string;
  kind: string;
  recipient: Record<string, unknown>;
  template?: string;
  data?: Record<string, unknown>;
  caseId?: number | null;
  availableAt?: Date;
}

export type OutboxRow = typeof outbox.$inferSelect;

export type DeliveryResult =
  | {
      ok: true;
      channel: string;
      result?: Record<string, unknown>;
      /**
       * The sender already recorded the row as sent under the claim, in the same write as its own bookkeeping
       * (the Zalo sender's last progress write): nothing is left to record.
       */
      recorded?: boolean;
    }
  | {
      ok: false;
      retry: boolean;
      error: string;
      /** e.g. not reachable on Zalo → mark 'flagged' for a human. */
      flag?: boolean;
      /**
       * The earliest sensible retry the other side asked for (Zalo's Retry-After, the per-minute quota of
       * `-32`): the next try waits at least this long, still capped at OUTBOX_MAX_BACKOFF_MS.
       */
      retryAfterMs?: number;
      /**
       * The channel is closed until then (Zalo's night window for template messages): the row waits for that
       * time without spending an attempt, since nothing failed.
       */
      deferUntil?: Date;
    };

export type OutboxSender = (row: OutboxRow) => Promise<DeliveryResult>;

export type DeliveryOutcome = 'sent' | 'retry' | 'failed' | 'flagged' | 'skipped';

/**
 * A claim older than this means the worker died mid-send. Generous all the same: a sender that records an intent
 * before each send (the Zalo sender, bot/delivery/delivery-intent.ts) reconciles the message in doubt on the
 * re-claim, but a sender that does not may send it twice.
 */
export const DEFAULT_OUTBOX_LEASE_MS = 5 * 60_000;
export const DEFAULT_OUTBOX_MAX_ATTEMPTS = 8;
/** First retry after a minute (the tick relays it), then 2, 4, 8… minutes. */
export const DEFAULT_OUTBOX_BACKOFF_MS = 60_000;
export const OUTBOX_MAX_BACKOFF_MS = 3_600_000;
export const DEFAULT_RELAY_LIMIT = 500;
const MAX_ERROR_LENGTH = 2_000;

export const ZDeliverOutboxPayload = z.object({ outboxId: z.number().int().positive() });
export type TDeliverOutboxPayload = z.infer<typeof ZDeliverOutboxPayload>;

/** Rate-limited: every delivery counts against the OA's outbound quota. */
export const deliverOutboxJob: JobDefinition<TDeliverOutboxPayload> = defineJob({
  name: 'outbox.deliver',
  schema: ZDeliverOutboxPayload,
  rateLimited: true,
});

export function outboxJobKey(outboxId: number): string {
  return `outbox:${outboxId}`;
}

/**
 * Rows per INSERT statement. The rows travel as one parameter per column, whatever their number, so this only
 * bounds the size of one statement (a few MB). A nudge sweep over a large backlog writes ~10,000 rows at once
 * (bench/nudge-sweep-1m.bench.ts); as VALUES lists of 8 parameters per row, building and sending them took most
 * of the sweep.
 */
export const OUTBOX_INSERT_CHUNK = 10_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The value with every string made storable in jsonb: NUL removed, a lone surrogate (half an emoji, left by a
 * `text.slice(0, n)` excerpt of a citizen's words) replaced by U+FFFD. PostgreSQL refuses both, and one such
 * string failed the whole statement and the transaction around it: the reply never went out, or the case
 * command that wrote the notification was refused. Returns the same object when nothing needed a change.
 */
function storable<T>(value: T): T {
  if (typeof value === 'string') {
    // The plain class scan rules out nearly every string before the look-around pattern has to run.
    const unstorable = value.includes('\u0000') || (ANY_SURROGATE.test(value) && LONE_SURROGATE.test(value));
    return (unstorable ? value.replaceAll('\u0000', '').replace(LONE_SURROGATES, '\uFFFD') : value) as T;
  }
  // Arrays and objects are copied only once something in them needs a change: a nudge sweep passes ~10,000
  // clean objects here, and copying every one of them only to find it clean made storable 2–3 times slower.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (storable(value[i]) !== value[i]) return value.map((item: unknown) => storable(item)) as T;
    }
    return value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (storable(record[key]) !== record[key]) return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, storable(v)])) as T;
    }
    return value;
  }
  return value;
}

function storableIntent(intent: OutboxIntent): OutboxIntent {
  const recipient = storable(intent.recipient);
  const data = intent.data === undefined ? undefined : storable(intent.data);
  return recipient === intent.recipient && data === intent.data ? intent : { ...intent, recipient, ...(data === undefined ? {} : { data }) };
}

/** Inserts the intents, skipping keys already present; returns how many rows were actually inserted. */
export async function insertOutbox(q: Queryable, intents: OutboxIntent[], now: Date): Promise<number> {
  // Of two intents with one key in the same call the first is the message, as if they had come one call after the other.
  const seen = new Set<string>();
  const unique = intents.filter((intent) => !seen.has(intent.key) && seen.add(intent.key)).map(storableIntent);
  let inserted = 0;
  // One statement after another on the same connection (or transaction): a caller's transaction stays atomic.
  for (let start = 0; start < unique.length; start += OUTBOX_INSERT_CHUNK) {
    const chunk = unique.slice(start, start + OUTBOX_INSERT_CHUNK);
    const column = <T>(pick: (intent: OutboxIntent) => T) => sql.param(chunk.map(pick));
    // The JSON columns go as one JSON array each: as a text[] of JSON documents every quote in them is escaped
    // twice over (array literal, then JSON), which cost more than all the rest of the insert.
    const [result] = await queryRows<{ inserted: number }>(
      q,
      sql`with added as (
            insert into ${outbox} (key, kind, recipient, template, data, case_id, available_at, created_at)
            select r.key, r.kind, r.recipient, r.template, r.data, r.case_id, r.available_at::timestamptz, ${now.toISOString()}::timestamptz
            from rows from (
              unnest(${column((i) => i.key)}::text[]),
              unnest(${column((i) => i.kind)}::text[]),
              jsonb_array_elements(${JSON.stringify(chunk.map((i) => i.recipient))}::jsonb),
              unnest(${column((i) => i.template ?? null)}::text[]),
              jsonb_array_elements(${JSON.stringify(chunk.map((i) => i.data ?? {}))}::jsonb),
              unnest(${column((i) => i.caseId ?? null)}::bigint[]),
              unnest(${column((i) => (i.availableAt ?? now).toISOString())}::text[])
            ) as r(key, kind, recipient, template, data, case_id, available_at)
            on conflict (key) do nothing
            returning 1)
          select count(*)::int as inserted from added`,
    );
    inserted += result?.inserted ?? 0;
  }
  return inserted;
}

/**
 * Retryable delay after `attempts` tries: backoff · 2^(attempts − 1), or the sender's retry hint when that is
 * longer (a server saying "come back in 10 minutes" is not asked again after one); capped at an hour either way.
 */
export function computeOutboxRetryDelayMs(attempts: number, backoffMs: number, retryAfterMs?: number): number {
  const hint = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.max(0, retryAfterMs) : 0;
  return Math.min(OUTBOX_MAX_BACKOFF_MS, Math.max(computeBackoffMs(backoffMs, attempts, OUTBOX_MAX_BACKOFF_MS), hint));
}

function describeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, MAX_ERROR_LENGTH);
}

/** Pending and due, or 'sending' under a claim older than the lease (its worker died). */
function isClaimable(now: Date, leaseMs: number) {
  return or(
    and(eq(outbox.status, 'pending'), lte(outbox.availableAt, now)),
    and(eq(outbox.status, 'sending'), lt(outbox.claimedAt, new Date(now.getTime() - leaseMs))),
  );
}

/**
 * Claims one row atomically (status pending→sending, claimed_at) so it is delivered once even when two
 * workers get the same job; a 'sending' row whose claim is older than leaseMs counts as abandoned
 * (worker died) and may be re-claimed.
 *
 * `attempts` is counted at the claim, not after the send: a message that crashes its worker every time
 * still runs out of attempts instead of being re-claimed forever.
 */
export async function deliverOutboxRow(
  db: Db,
  id: number,
  send: OutboxSender,
  now: Date,
  opts: { leaseMs?: number; maxAttempts?: number; backoffMs?: number } = {},
): Promise<DeliveryOutcome> {
  const leaseMs = opts.leaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
  const maxAttempts = opts.maxAttempts ?? DEFAULT_OUTBOX_MAX_ATTEMPTS;
  const backoffMs = opts.backoffMs ?? DEFAULT_OUTBOX_BACKOFF_MS;

  // One UPDATE … WHERE <claimable> is the claim: of two concurrent callers, PostgreSQL makes the second
  // wait for the row lock, re-check the WHERE against the committed row, and update nothing.
  const [row] = await db
    .update(outbox)
    .set({ status: 'sending', claimedAt: now, attempts: sql`${outbox.attempts} + 1` })
    .where(and(eq(outbox.id, id), isClaimable(now, leaseMs)))
    .returning();
  if (!row) return 'skipped';
  return deliverClaimedRow(db, row, send, now, { maxAttempts, backoffMs });
}

/**
 * Claims rows a caller has just written, for the caller to deliver itself, in its own process and without a job:
 * the reply to a citizen's message is sent by the job that wrote it instead of being handed over through the queue
 * to another job (a queue round, a SELECT and a claim less on the path of every answer, bench/bot-reply.bench.ts).
 * The rows are claimed exactly as deliverOutboxRow claims one (a row already claimed, sent or not yet due is left
 * alone), all in one statement; what is not claimed stays for the relay. Deliver them with deliverClaimedOutboxRows.
 * `othersDue`: other rows are due (or these could not all be claimed), so the relay has work.
 */
export async function claimOutboxRowsByKey(
  db: Db,
  keys: readonly string[],
  now: Date,
  opts: { leaseMs?: number } = {},
): Promise<{ claimed: OutboxRow[]; othersDue: boolean }> {
  const claimable = isClaimable(now, opts.leaseMs ?? DEFAULT_OUTBOX_LEASE_MS);
  // The same statement says whether anything else is due, so a caller with nothing else to hand over skips the
  // relay's SELECT (every answer paid for it).
  const rows = await queryRows<{ row: Record<string, unknown> | null; others_due: boolean | null }>(
    db,
    sql`with claimed as (
          update ${outbox} set status = 'sending', claimed_at = ${now.toISOString()}::timestamptz, attempts = ${outbox.attempts} + 1
          where ${outbox.key} = any(${sql.param([...keys])}::text[]) and ${claimable}
          returning *)
        select row_to_json(claimed) as row, null as others_due from claimed
        union all
        select null, exists (select 1 from ${outbox} where ${claimable} and ${outbox.id} not in (select id from claimed))`,
  );
  const claimed = rows.flatMap((r) => (r.row ? [rowFromJson(outbox, r.row)] : [])).sort((a, b) => a.id - b.id);
  return { claimed, othersDue: rows.some((r) => r.others_due === true) };
}

/** Delivers rows claimed by claimOutboxRowsByKey, one after the other, as deliverOutboxRow would after its claim. */
export async function deliverClaimedOutboxRows(
  db: Db,
  rows: readonly OutboxRow[],
  send: OutboxSender,
  opts: { maxAttempts?: number; backoffMs?: number } = {},
): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  for (const row of rows) {
    if (!row.claimedAt) throw new Error(`outbox row ${row.id} was not claimed`);
    outcomes.push(
      await deliverClaimedRow(db, row, send, row.claimedAt, { maxAttempts: opts.maxAttempts ?? DEFAULT_OUTBOX_MAX_ATTEMPTS, backoffMs: opts.backoffMs ?? DEFAULT_OUTBOX_BACKOFF_MS }),
    );
  }
  return outcomes;
}

/** Sends a row this caller claimed at `now` and records the outcome under that claim. */
async function deliverClaimedRow(
  db: Db,
  row: OutboxRow,
  send: OutboxSender,
  now: Date,
  opts: { maxAttempts: number; backoffMs: number },
): Promise<DeliveryOutcome> {
  const { maxAttempts, backoffMs } = opts;
  const id = row.id;
  // Every later write is guarded by our claim: if the lease ran out and another worker re-claimed the row,
  // its outcome wins and ours is dropped.
  const ours = and(eq(outbox.id, id), eq(outbox.status, 'sending'), eq(outbox.claimedAt, now));

  if (row.attempts > maxAttempts) {
    // Only reachable through re-claims of abandoned rows: the worker died on its last attempt.
    await db
      .update(outbox)
      .set({ status: 'failed', lastError: row.lastError ?? 'abandoned while sending on the last attempt' })
      .where(ours);
    return 'failed';
  }

  let result: DeliveryResult;
  try {
    result = await send(row);
  } catch (err) {
    // A sender that throws hit something unexpected (network, bug): worth another try.
    result = { ok: false, retry: true, error: describeError(err) };
  }

  // The outcome is recorded through a brief database outage (bounded retry, db-retry.ts): otherwise a restart at
  // this moment left the row 'sending' for the whole lease although its fate is known.
  const record = (set: PgUpdateSetSource<typeof outbox>) =>
    retryTransientDbWrite(() => db.update(outbox).set(set).where(ours));

  if (result.ok) {
    if (result.recorded) return 'sent';
    await record({ status: 'sent', sentAt: now, channel: result.channel, result: result.result ?? null, lastError: null });
    return 'sent';
  }
  const lastError = result.error.slice(0, MAX_ERROR_LENGTH);
  if (result.flag) {
    await record({ status: 'flagged', lastError });
    return 'flagged';
  }
  if (result.retry && result.deferUntil && result.deferUntil > now) {
    await record({ status: 'pending', availableAt: result.deferUntil, attempts: sql`greatest(${outbox.attempts} - 1, 0)`, lastError });
    return 'retry';
  }
  if (!result.retry || row.attempts >= maxAttempts) {
    await record({ status: 'failed', lastError });
    return 'failed';
  }
  const availableAt = new Date(now.getTime() + computeOutboxRetryDelayMs(row.attempts, backoffMs, result.retryAfterMs));
  await record({ status: 'pending', availableAt, lastError });
  return 'retry';
}

/**
 * Finds due rows (pending and available_at <= now, or abandoned sending rows) with FOR UPDATE SKIP LOCKED,
 * and enqueues one `outbox.deliver` job per row keyed `outbox:<id>`; returns how many rows were handed to
 * the runner. A row whose job is still queued or running is handed over again and absorbed by the key, so
 * it is delivered once; a job lost with Redis is simply enqueued again.
 */
export async function relayOutbox(
  db: Db,
  runner: JobRunner,
  now: Date,
  limit = DEFAULT_RELAY_LIMIT,
  opts: { leaseMs?: number } = {},
): Promise<number> {
  const leaseMs = opts.leaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
  // The enqueues happen while the rows are locked, so a relay running at the same moment in another
  // process skips them rather than enqueueing them too. Only the transaction handle is used inside.
  return db.transaction(async (tx) => {
    // This transaction only takes row locks, which a crash releases anyway: its commit need not wait for the WAL
    // flush (5–15 ms on a busy disk, on the path of every reply). Everything else keeps synchronous commits.
    await tx.execute(sql`set local synchronous_commit = off`);
    const due = await selectDueOutboxIds(tx, now, leaseMs, limit).for('update', { skipLocked: true });
    // One round trip for all of them (BullMQ pipeline): the rows stay locked only that long, and a delivery
    // claiming one of them waits for this transaction.
    return handOver(runner, due);
  });
}

/**
 * relayOutbox without the transaction and its row locks, for the hot path (a message's replies just committed):
 * one SELECT, one hand-over. Two kicks at once may both hand a row over; its job key absorbs the second, and the
 * claim in deliverOutboxRow sends it once whatever happens. What the locks cost there: with a burst of messages,
 * relays followed each other holding every due row, and each delivery's claim waited for one to commit.
 */
export async function kickOutbox(
  db: Db,
  runner: JobRunner,
  now: Date,
  limit = DEFAULT_RELAY_LIMIT,
  opts: { leaseMs?: number } = {},
): Promise<number> {
  const leaseMs = opts.leaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
  return handOver(runner, await selectDueOutboxIds(db, now, leaseMs, limit));
}

/** The rows a relay hands over: due first, oldest first. */
function selectDueOutboxIds(q: Queryable, now: Date, leaseMs: number, limit: number) {
  return q.select({ id: outbox.id }).from(outbox).where(isClaimable(now, leaseMs)).orderBy(asc(outbox.availableAt), asc(outbox.id)).limit(limit);
}

/** One delivery job per row, keyed by the row, so a row handed over twice is delivered once. */
async function handOver(runner: JobRunner, due: ReadonlyArray<{ id: number }>): Promise<number> {
  await runner.enqueueMany(
    deliverOutboxJob,
    due.map(({ id }) => ({ payload: { outboxId: id }, options: { key: outboxJobKey(id) } })),
  );
  return due.length;
}
