import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import pg from 'pg';
import { BULLMQ_QUEUE_NAMES } from '../runtime/jobs/bullmq-runner.js';
import { startAppProcess, type AppProcess } from './lib/app-process.js';
import { describeCpuSplit, startCpuSplit } from './lib/cpu.js';
import { makeTmpDir, runDir, waitFor } from './lib/processes.js';
import type { BenchModule } from './lib/results.js';
import { createBenchDatabase, queryOnce, startPrivateRedis } from './lib/services.js';
import { fmt, median, percentile } from './lib/stats.js';
import { signedTextEvent } from './lib/zalo-events.js';

/**
 * Time to answer: 50 citizens chat with the OA at once, in sandbox mode, through the production topology:
 * a web process (webhook + the local fake Zalo API) and a worker process (conversation engine, outbox
 * delivery) sharing PostgreSQL and BullMQ on Redis. Each round every citizen sends the next message of the
 * intake dialog at the same moment; a reply's time is from the POST to /zalo/webhook until the fake Zalo
 * API receives the first message of the answer (the sandbox stamps each message it receives).
 */

const CONVERSATIONS = 50;
/** Citizens whose first message warms the worker up before the timed rounds. */
const WARMUP_CONVERSATIONS = 5;
/** Pause between rounds, like a citizen reading the answer; it keeps rounds from overlapping. */
const THINK_MS = 500;
const ROUND_TIMEOUT_MS = 30_000;
/**
 * Zalo's own per-app quota (ZALO.md §5). The product's default, 1,200/min, lets 100 messages through at
 * once and 20/s after; four rounds of 50 answers (several messages each) would then measure the quota.
 * The limiter has its own benchmark.
 */
const RATE_LIMIT_PER_MIN = '4000';
/**
 * Worker processes (`--role=worker`); `BENCH_BOT_WORKERS=2` runs one per core. Two measured no better than one on
 * this machine (p95 898 vs 772 ms, 2026-11-23): the wait is in commits and hand-overs, not in the worker's CPU.
 */
const WORKER_PROCESSES = Math.max(1, Number(process.env.BENCH_BOT_WORKERS ?? 1));

interface SandboxMessage {
  seq: number;
  from: 'user' | 'oa';
  at: number;
}

async function postEvent(url: string, userId: string, text: string, msgId: string): Promise<number> {
  const { body, signature } = signedTextEvent({ userId, text, msgId });
  const res = await fetch(`${url}/zalo/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-zevent-signature': signature },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

async function fetchMessages(url: string, userId: string, afterSeq: number): Promise<SandboxMessage[]> {
  const res = await fetch(`${url}/sandbox/api/messages?userId=${encodeURIComponent(userId)}&after=${afterSeq}`, { signal: AbortSignal.timeout(10_000) });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`sandbox messages of ${userId}: HTTP ${res.status}`);
  return ((await res.json()) as { messages: SandboxMessage[] }).messages;
}

export const botReplyBench: BenchModule = {
  name: 'bot',
  produces: ['bot_reply_p95_ms', 'rss_worker_mb'],
  async run() {
    const db = await createBenchDatabase('bot');
    const redis = await startPrivateRedis();
    const webDir = makeTmpDir('bot-web');
    const workerDirs = Array.from({ length: WORKER_PROCESSES }, (_, i) => makeTmpDir(`bot-worker-${i + 1}`));
    const started: AppProcess[] = [];
    // One connection for the polling below: a new one every 25 ms (a PostgreSQL backend forked each time) cost the
    // machine more CPU than the bot's own queries, on the 2 cores the measured processes share.
    const poll = new pg.Client({ connectionString: db.url });
    try {
      await poll.connect();
      const pollOne = async <T extends pg.QueryResultRow>(text: string): Promise<T | undefined> => (await poll.query<T>(text)).rows[0];
      const common = { DATABASE_URL: db.url, REDIS_URL: redis.url, APP_MODE: 'demo', ZALO_RATE_LIMIT_PER_MIN: RATE_LIMIT_PER_MIN };
      const web = await startAppProcess({ role: 'web', env: { ...common, DATA_DIR: webDir }, logFile: join(runDir(), 'bot-web.log') });
      started.push(web);
      // The worker reaches the web process's fake Zalo API through the public URL, as it would the real one.
      const workers: AppProcess[] = [];
      for (const [i, dir] of workerDirs.entries()) {
        const worker = await startAppProcess({ role: 'worker', env: { ...common, DATA_DIR: dir, PUBLIC_BASE_URL: web.url! }, logFile: join(runDir(), `bot-worker-${i + 1}.log`) });
        started.push(worker);
        workers.push(worker);
      }

      const [ward] = await queryOnce<{ id: string }>(db.url, `select id from units where code = '00070'`);
      // Warm-up, not timed: the worker's first scheduler tick (outbox relay of the demo cases, housekeeping)
      // and cold code paths run before the measured rounds.
      const warmStartedAt = Date.now();
      const warmTag = randomBytes(4).toString('hex');
      const warmUsers = Array.from({ length: WARMUP_CONVERSATIONS }, (_, i) => `bench-bot-warm-${warmTag}-${i}`);
      await Promise.all(warmUsers.map((u) => postEvent(web.url!, u, 'phản ánh', `${warmTag}-${u}`)));
      await waitFor(
        async () => {
          const row = await pollOne<{ sent: string }>(`select count(*) filter (where status = 'sent') as sent from outbox where key like 'reply:%'`);
          return Number(row?.sent) >= WARMUP_CONVERSATIONS ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, what: 'the warm-up answers' },
      );
      // The first tick may outlast the warm-up answers (classifier retrain, report obligations, the demo cases'
      // notifications): measured rounds start once the worker has nothing left to do.
      const tickQueue = new Queue(BULLMQ_QUEUE_NAMES.normal, { connection: { url: redis.url }, prefix: 'pakn' });
      const deliveryQueue = new Queue(BULLMQ_QUEUE_NAMES.limited, { connection: { url: redis.url }, prefix: 'pakn' });
      try {
        let idleReadings = 0;
        await waitFor(
          async () => {
            const counts = await Promise.all([tickQueue, deliveryQueue].map((q) => q.getJobCounts('active', 'waiting', 'prioritized')));
            const busy = counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
            idleReadings = busy === 0 ? idleReadings + 1 : 0;
            return idleReadings >= 3 ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 50, what: 'the worker to finish its first tick' },
        );
      } finally {
        await Promise.all([tickQueue.close(), deliveryQueue.close()]);
      }
      const warmupMs = Date.now() - warmStartedAt;
      const turns = ['phản ánh', '#loai:nguoi-dan', '1', `#phuong-xa:${ward?.id}`];
      const tag = randomBytes(4).toString('hex');
      const users = Array.from({ length: CONVERSATIONS }, (_, i) => `bench-bot-${tag}-${i}`);
      const lastSeq = new Map(users.map((u) => [u, 0]));
      const latencies: number[] = [];
      const perRound: Array<{ turn: string; p50: number; p95: number; max: number }> = [];
      const webPid = web.nodePid();
      const workerPids = new Set(workers.map((w) => w.nodePid()));
      const stopSplit = startCpuSplit({
        web: (p) => p.pid === webPid,
        workers: (p) => workerPids.has(p.pid),
        postgres: (p) => p.cmdline.startsWith('postgres') && (p.cmdline.includes(db.name) || !/postgres: \S+: \S+ \S+ /.test(p.cmdline)),
        redis: (p) => p.pid === redis.pid,
      });

      for (const [round, text] of turns.entries()) {
        const posted = await Promise.all(
          users.map(async (userId) => {
            const at = Date.now();
            const status = await postEvent(web.url!, userId, text, `${tag}-${round}-${userId}`);
            if (status !== 200) throw new Error(`webhook answered ${status} for ${userId}`);
            return { userId, at };
          }),
        );
        // Every answer of this round sent: one outbox row per handled event, keyed `reply:<event id>`.
        const expected = WARMUP_CONVERSATIONS + CONVERSATIONS * (round + 1);
        await waitFor(
          async () => {
            const row = await pollOne<{ sent: string; failed: string }>(
              `select count(*) filter (where status = 'sent') as sent, count(*) filter (where status in ('failed', 'flagged')) as failed from outbox where key like 'reply:%'`,
            );
            if (Number(row?.failed) > 0) throw new Error(`${row?.failed} replies failed; see bot-worker-*.log`);
            return Number(row?.sent) >= expected ? true : undefined;
          },
          { timeoutMs: ROUND_TIMEOUT_MS, intervalMs: 25, what: `the replies of round ${round + 1} (${expected} sent)` },
        );
        const roundLatencies: number[] = [];
        for (const { userId, at } of posted) {
          const messages = await fetchMessages(web.url!, userId, lastSeq.get(userId)!);
          const first = messages.find((m) => m.from === 'oa' && m.at >= at);
          if (!first) throw new Error(`no answer reached the fake Zalo API for ${userId} in round ${round + 1}`);
          roundLatencies.push(first.at - at);
          lastSeq.set(userId, Math.max(...messages.map((m) => m.seq)));
        }
        latencies.push(...roundLatencies);
        perRound.push({ turn: text, p50: median(roundLatencies), p95: percentile(roundLatencies, 95), max: Math.max(...roundLatencies) });
        await sleep(THINK_MS);
      }

      const split = stopSplit();
      // Where the time goes, from the rows' own timestamps (one clock: the same machine): webhook → event handled
      // (queue wait + conversation), handled → delivery claimed (outbox hand-over), claimed → sent.
      const stages = (
        await poll.query<{ handled: number; claimed: number; sent: number }>(
          `select extract(epoch from (i.processed_at - i.received_at)) * 1000 as handled,
                  extract(epoch from (o.claimed_at - i.processed_at)) * 1000 as claimed,
                  extract(epoch from (m.at - o.claimed_at)) * 1000 as sent
           from inbound_events i
           join outbox o on o.key = 'reply:' || i.id
           left join lateral (select min(at) as at from messages where outbox_id = o.id and direction = 'out') m on true
           where i.sender_id like $1`,
          [`bench-bot-${tag}-%`],
        )
      ).rows;
      const stage = (pick: (r: (typeof stages)[number]) => number) => {
        const values = stages.map((r) => Number(pick(r))).filter((v) => Number.isFinite(v));
        return `${fmt(median(values))}/${fmt(percentile(values, 95))}`;
      };
      const p95 = percentile(latencies, 95);
      // The largest worker: what one worker process needs.
      const workerRssList = workers.map((w) => w.rssMb()).filter((v): v is number => v !== undefined);
      const workerRss = workerRssList.length > 0 ? Math.max(...workerRssList) : undefined;
      const webRss = web.rssMb();
      return {
        figures: { bot_reply_p95_ms: p95, ...(workerRss === undefined ? {} : { rss_worker_mb: workerRss }) },
        notes: [
          `${CONVERSATIONS} citizens send the first ${turns.length} messages of the intake dialog, all at once each round (${THINK_MS} ms pause between rounds); ${latencies.length} answers timed from POST /zalo/webhook to the fake Zalo API receiving the first message of the answer. Before that, ${WARMUP_CONVERSATIONS} untimed conversations warm the worker up, and the rounds wait until its queues are empty (its first scheduler tick done): ${fmt(warmupMs)} ms.`,
          `\`npx tsx runtime/main.ts\` ${WORKER_PROCESSES + 1} times on one fresh PostgreSQL database and a private redis-server: ROLE=web (webhook, sandbox) and ${WORKER_PROCESSES} × ROLE=worker (one per core; PUBLIC_BASE_URL = the web process), APP_MODE=demo, sandbox Zalo, ZALO_RATE_LIMIT_PER_MIN=${RATE_LIMIT_PER_MIN} (Zalo's per-app quota), job concurrency as shipped.`,
          `p50 ${fmt(median(latencies))} ms, p95 ${fmt(p95)} ms, max ${fmt(Math.max(...latencies))} ms; per round (p50/p95/max ms): ${perRound.map((r) => `“${r.turn}” ${fmt(r.p50)}/${fmt(r.p95)}/${fmt(r.max)}`).join('; ')}.`,
          `Stages (p50/p95 ms, from the rows' timestamps): received → handled (queue wait + conversation) ${stage((r) => r.handled)}; handled → delivery claimed ${stage((r) => r.claimed)}; claimed → first message recorded sent ${stage((r) => r.sent)}.`,
          `CPU during the rounds (pauses included): ${describeCpuSplit(split)}.`,
          `RSS after the run: worker ${workerRssList.map((v) => fmt(v)).join(' / ') || '?'} MB, web ${webRss === undefined ? '?' : fmt(webRss)} MB.`,
        ],
      };
    } finally {
      await poll.end().catch(() => undefined);
      for (const app of started.reverse()) await app.stop().catch(() => undefined);
      await redis.stop();
      await db.drop().catch(() => undefined);
      rmSync(webDir, { recursive: true, force: true });
      for (const dir of workerDirs) rmSync(dir, { recursive: true, force: true });
    }
  },
};
