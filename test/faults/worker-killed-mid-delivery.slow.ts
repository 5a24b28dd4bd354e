import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processInboundBatchJob, type TProcessInboundBatchPayload } from '../../bot/inbound/process-inbound.job.js';
import { inboundEvents, messages, outbox } from '../../db/schema.js';
import { openDatabase, type Database } from '../../runtime/db.js';
import { BULLMQ_QUEUE_NAMES } from '../../runtime/jobs/bullmq-runner.js';
import { DEFAULT_OUTBOX_LEASE_MS } from '../../runtime/outbox/outbox.js';
import { createEmptyPgDatabase, freePort, startPrivateRedis, waitFor, type EmptyPgDatabase, type PrivateRedis } from '../runtime/support/processes.js';
import { startFakeZalo, type FakeZalo } from './support/fake-zalo.js';
import { citizen, intendedTexts, productionEnv, within } from './support/fault-env.js';
import { startPaknProcess, type PaknProcess } from './support/pakn-process.js';

/**
 * Fault: the worker is killed with SIGKILL while a message is on its way to Zalo. PAKN runs as production
 * does: a web process and a worker process (`runtime/main.ts --role=…`) on PostgreSQL and a redis-server of
 * this file's own; Zalo is the fake OA API in the test process, which holds a send open so the kill lands
 * while the request is in flight, and counts what the citizen really received.
 *
 * What the design promises (runtime/outbox/outbox.ts, bot/delivery/zalo-sender.ts, bot/delivery/delivery-intent.ts).
 * Zalo's CS API has no idempotency key, so the request cut off mid-flight cannot be asked about directly; the
 * outbox makes the send exactly once all the same:
 * - the claim (status 'sending' + claimed_at) is the in-flight marker: the very same job (the event job that was
 *   sending the reply), recovered by BullMQ as stalled and run by the next worker, and every relay, skip the row
 *   while the claim is younger than the lease (DEFAULT_OUTBOX_LEASE_MS), so a new worker does not send a second
 *   copy at once;
 * - a row's progress (result.sent) is written after each message, so only the one message in flight at
 *   the kill is in doubt, never the ones before it;
 * - before each send the row records an intent for that message (result.intent); after the lease the row is
 *   claimed again and the message in doubt is reconciled before anything is sent: the `oa_send_*` echo Zalo
 *   posted to our webhook (the fake Zalo posts them, as the real one does when the event is subscribed), else
 *   Zalo's conversation API. Zalo never acted on the cut-off request → no echo, not in the conversation →
 *   sent, once; Zalo delivered it and only the answer was lost → its echo is there → recorded as sent with
 *   the echo's msg_id, not sent again.
 *
 * The lease (five minutes) is not slept through: the claims are moved back in time by the lease, which is
 * what five minutes passing means to the code. Slow (BullMQ finds a dead worker's job by its lock expiring,
 * 30 s, checked every 30 s): run by `npm run bench:faults`, not `npm test`.
 */

const CITIZEN_LOST_REQUEST = '2468458835291000201';
const CITIZEN_LOST_ANSWER = '2468458835291000202';

let redis: PrivateRedis;
let pgDatabase: EmptyPgDatabase;
let fake: FakeZalo;
let database: Database;
let normalQueue: Queue;
let web: PaknProcess;
let workerA: PaknProcess;
let workerB: PaknProcess | undefined;
const dataDirs: string[] = [];
let env: (port: number) => Record<string, string>;
let webUrl: string;

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pakn-faults-kill-'));
  dataDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  [redis, pgDatabase, fake] = await Promise.all([startPrivateRedis(), createEmptyPgDatabase(), startFakeZalo()]);
  env = (port) => productionEnv({ databaseUrl: pgDatabase.url, redisUrl: redis.url, port, dataDir: dataDir(), fakeZaloUrl: fake.url });
  const [webPort, workerPort] = await Promise.all([freePort(), freePort()]);
  // Started together, as a deployment starts them: migrations and seeds run once, under the advisory lock.
  [web, workerA] = await Promise.all([startPaknProcess('web', env(webPort)), startPaknProcess('worker', env(workerPort))]);
  webUrl = `http://127.0.0.1:${webPort}`;
  // The OA app subscribes to the `oa_send_*` events: every message the fake Zalo accepts is echoed to the webhook.
  fake.setWebhookUrl(`${webUrl}/zalo/webhook`);
  database = await openDatabase({ kind: 'pg', url: pgDatabase.url, poolSize: 2 });
  // PAKN's own queue (default prefix), read-only here: to see the killed worker's jobs run again.
  normalQueue = new Queue(BULLMQ_QUEUE_NAMES.normal, { connection: { url: redis.url }, prefix: 'pakn' });
}, 120_000);

afterAll(async () => {
  // Every step runs whatever the one before did: no process or server is left behind.
  const quietly = (step: Promise<unknown> | undefined) => Promise.resolve(step).catch(() => undefined);
  await Promise.allSettled([web?.stop(), workerA?.stop('SIGKILL'), workerB?.stop()]);
  await quietly(normalQueue?.close());
  await quietly(database?.close());
  await quietly(fake?.close());
  await quietly(redis?.kill());
  await quietly(pgDatabase?.drop());
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function replyRowOf(userId: string) {
  const rows = await database.db
    .select()
    .from(outbox)
    .where(sql`${outbox.kind} = 'zalo' and ${outbox.recipient}->>'userId' = ${userId}`)
    .orderBy(outbox.id);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

function textsOf(userId: string): Array<string | undefined> {
  return fake.delivered(userId).map((m) => ('text' in m ? m.text : undefined));
}

describe('worker killed with SIGKILL mid-delivery (web + worker processes, PostgreSQL + Redis)', () => {
  it('keeps the in-flight claim, and after the lease sends the message in doubt exactly once: re-sent if Zalo never got it, not if its echo shows it went out', async () => {
    const lostRequest = citizen(webUrl, CITIZEN_LOST_REQUEST);
    const lostAnswer = citizen(webUrl, CITIZEN_LOST_ANSWER);

    // The reply to a greeting is one outbox row of two messages (a text, then the menu's buttons).
    // Citizen 1: the 1st message goes out; the 2nd is cut off before Zalo acts on it.
    // Citizen 2: Zalo delivers the 1st message; its answer is cut off.
    const held1 = fake.holdSend(CITIZEN_LOST_REQUEST, 2, 'lose-request');
    const held2 = fake.holdSend(CITIZEN_LOST_ANSWER, 1, 'lose-answer');
    expect((await lostRequest.text('Xin chào')).status).toBe(200);
    expect((await lostAnswer.text('Xin chào')).status).toBe(200);
    await within(Promise.all([held1.arrived, held2.arrived]), 60_000, 'both sends to reach the fake Zalo');

    const row1 = await replyRowOf(CITIZEN_LOST_REQUEST);
    const row2 = await replyRowOf(CITIZEN_LOST_ANSWER);
    expect((row1.data as { messages: unknown[] }).messages).toHaveLength(2);
    // In flight: claimed by worker A; citizen 1's row already records its first message as sent; each row
    // records the intent of the message in flight (citizen 1: the 2nd, citizen 2: the 1st).
    expect(row1).toMatchObject({ status: 'sending', attempts: 1, result: { sent: 1, intent: { index: 1, userId: CITIZEN_LOST_REQUEST } } });
    expect(row2).toMatchObject({ status: 'sending', attempts: 1, result: { sent: 0, intent: { index: 0, userId: CITIZEN_LOST_ANSWER } } });
    expect(textsOf(CITIZEN_LOST_REQUEST)).toHaveLength(1);
    expect(textsOf(CITIZEN_LOST_ANSWER)).toHaveLength(1);

    await workerA.stop('SIGKILL');
    expect(await workerA.exited).toMatchObject({ signal: 'SIGKILL' });
    await within(Promise.all([held1.callerGone, held2.callerGone]), 10_000, 'the fake Zalo to see its callers gone');

    workerB = await startPaknProcess('worker', env(await freePort()));

    // The jobs worker A was running when it died are the event jobs that were sending the replies (a reply leaves
    // from the job that handled the message). They come back (stalled) and worker B runs them: their events are
    // handled already, so they claim nothing and send nothing; the rows keep worker A's claim.
    const eventIds = (
      await database.db
        .select({ id: inboundEvents.id })
        .from(inboundEvents)
        .where(and(inArray(inboundEvents.senderId, [CITIZEN_LOST_REQUEST, CITIZEN_LOST_ANSWER]), eq(inboundEvents.eventName, 'user_send_text')))
    ).map((e) => e.id);
    expect(eventIds).toHaveLength(2);
    const rerun = await waitFor(
      async () => {
        const jobs = (await normalQueue.getJobs(['completed', 'failed', 'active', 'wait', 'delayed'])).filter(
          (job) =>
            job.name === processInboundBatchJob.name &&
            (job.data as TProcessInboundBatchPayload).events.some((e) => eventIds.includes(e.inboundEventId)),
        );
        const states = await Promise.all(jobs.map((job) => job.getState()));
        return jobs.length > 0 && states.every((state) => state === 'completed' || state === 'failed') ? jobs : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'the killed worker’s event jobs to be recovered and run again' },
    );
    // Each ran twice (worker A, killed; worker B) after BullMQ found it stalled, and completed.
    expect(rerun.map((job) => [job.stalledCounter, job.attemptsStarted, job.failedReason])).toEqual(rerun.map(() => [1, 2, undefined]));
    expect(fake.sends.filter((s) => s.userId === CITIZEN_LOST_REQUEST)).toHaveLength(2);
    expect(fake.sends.filter((s) => s.userId === CITIZEN_LOST_ANSWER)).toHaveLength(1);
    for (const row of [row1, row2]) {
      const [kept] = await database.db.select().from(outbox).where(eq(outbox.id, row.id));
      expect([kept?.status, kept?.attempts, kept?.claimedAt?.getTime()]).toEqual(['sending', 1, row.claimedAt?.getTime()]);
    }

    // The lease runs out (the claims age by it), and the citizens write again: the relay hands the abandoned
    // rows to worker B with the new replies.
    await database.db
      .update(outbox)
      .set({ claimedAt: sql`${outbox.claimedAt} - make_interval(secs => ${(DEFAULT_OUTBOX_LEASE_MS + 60_000) / 1000})` })
      .where(inArray(outbox.id, [row1.id, row2.id]));
    expect((await lostRequest.text('Tôi vẫn chờ')).status).toBe(200);
    expect((await lostAnswer.text('Tôi vẫn chờ')).status).toBe(200);
    await waitFor(
      async () => {
        const open = await database.db
          .select({ id: outbox.id, status: outbox.status })
          .from(outbox)
          .where(sql`${outbox.kind} = 'zalo' and ${outbox.recipient}->>'userId' in (${CITIZEN_LOST_REQUEST}, ${CITIZEN_LOST_ANSWER})`);
        return open.length === 4 && open.every((r) => r.status === 'sent') ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'every reply to both citizens sent' },
    );

    const intended1 = await intendedTexts(database.db, CITIZEN_LOST_REQUEST);
    const intended2 = await intendedTexts(database.db, CITIZEN_LOST_ANSWER);
    // Citizen 1: the cut-off message arrives once, the one before it is not repeated: exactly once, in order.
    expect(textsOf(CITIZEN_LOST_REQUEST)).toEqual(intended1);
    // Citizen 2: the message Zalo had delivered (its answer lost with worker A) is not sent again: exactly once.
    expect(textsOf(CITIZEN_LOST_ANSWER)).toEqual(intended2);
    // Every request that reached Zalo: citizen 1's cut-off one counts, though Zalo never acted on it.
    expect(fake.sends.filter((s) => s.userId === CITIZEN_LOST_REQUEST)).toHaveLength(intended1.length + 1);
    expect(fake.sends.filter((s) => s.userId === CITIZEN_LOST_ANSWER)).toHaveLength(intended2.length);

    const echoId = fake.delivered(CITIZEN_LOST_ANSWER)[0]!.messageId;
    const [reclaimed1] = await database.db.select().from(outbox).where(eq(outbox.id, row1.id));
    const [reclaimed2] = await database.db.select().from(outbox).where(eq(outbox.id, row2.id));
    // Claimed twice (worker A, then B after the lease), sent, both messages recorded as gone, and how the one in
    // doubt was settled: citizen 1's found nowhere and sent; citizen 2's found by its echo.
    expect([reclaimed1?.status, reclaimed1?.attempts, reclaimed1?.result]).toEqual(['sent', 2, { sent: 2, reconciled: [{ index: 1, via: 'resent' }] }]);
    expect([reclaimed2?.status, reclaimed2?.attempts, reclaimed2?.result]).toEqual([
      'sent',
      2,
      { sent: 2, reconciled: [{ index: 0, via: 'echo', msgId: echoId }] },
    ]);
    // The message settled by its echo is on record with the echo's msg_id.
    const [first2] = await database.db
      .select({ text: messages.text, zaloMsgId: messages.zaloMsgId })
      .from(messages)
      .where(and(eq(messages.outboxId, row2.id), eq(messages.direction, 'out')))
      .orderBy(messages.id)
      .limit(1);
    expect(first2).toEqual({ text: intended2[0], zaloMsgId: echoId });
    // The conversation shows each message once, whatever Zalo got.
    for (const [userId, intended] of [
      [CITIZEN_LOST_REQUEST, intended1],
      [CITIZEN_LOST_ANSWER, intended2],
    ] as const) {
      const out = await database.db
        .select({ text: messages.text })
        .from(messages)
        .where(and(eq(messages.zaloUserId, userId), eq(messages.direction, 'out')))
        .orderBy(messages.id);
      expect(out).toHaveLength(intended.length);
    }
    expect(web.isRunning() && workerB.isRunning()).toBe(true);
  }, 240_000);
});
