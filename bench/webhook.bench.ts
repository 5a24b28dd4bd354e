import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startAppProcess } from './lib/app-process.js';
import { combineCpuSplits, describeCpuSplit, startCpuSplit, type CpuGroups, type CpuSplit } from './lib/cpu.js';
import { benchEnv, freePort, makeTmpDir, runDir, spawnTracked, waitFor } from './lib/processes.js';
import type { BenchModule } from './lib/results.js';
import { createBenchDatabase, queryOnce, startPrivateRedis } from './lib/services.js';
import { fmt } from './lib/stats.js';
import { signedTextEvent } from './lib/zalo-events.js';

/**
 * Webhook intake under load: signed `user_send_text` events, each with a new msg_id, against the real app
 * (`npm start -- --role=web` on PostgreSQL, BullMQ on a private Redis; no worker runs, so the jobs just
 * queue) and, in the same run, against bare Fastify answering 200, the two taking turns in short rounds. The
 * route stores each event in inbound_events before it answers, so every 200 is a durable event; the run checks
 * the row count.
 */

const CONNECTIONS = 50;
/** Load per side and round; the sides take turns for ROUNDS rounds. */
const ROUND_S = 5;
const ROUNDS = 4;
const WARMUP_S = 6;
/** Events come from this many citizens, as in a busy hour. */
const SENDERS = 1_000;
const TEXTS = [
  'Đường ngõ 5 phố Huế bị ngập sâu sau cơn mưa chiều nay.',
  'Đèn đường trước số 12 Hàng Bài không sáng mấy hôm nay.',
  'Rác tồn đọng đầu ngõ 25 Hàng Bông chưa được thu gom.',
  'Quán ăn lấn chiếm vỉa hè trên phố Hàng Gà, người đi bộ phải xuống lòng đường.',
];

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  durationS: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function runLoad(url: string, durationS: number, tag: string): Promise<LoadResult> {
  let seq = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    // Each request is a new event: a new msg_id, body and signature (built on the client, like Zalo).
    requests: [
      {
        method: 'POST',
        path: '/zalo/webhook',
        setupRequest: (request) => {
          seq += 1;
          const { body, signature } = signedTextEvent({
            userId: `bench-wh-${seq % SENDERS}`,
            text: TEXTS[seq % TEXTS.length]!,
            msgId: `${tag}-${seq}`,
          });
          return { ...request, body, headers: { 'content-type': 'application/json', 'x-zevent-signature': signature } };
        },
      },
    ],
  });
  return {
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    durationS: result.duration,
    perSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/** Several runs as one: counts and time summed, latency percentiles the worst of the runs. */
function combineLoads(loads: readonly LoadResult[]): LoadResult {
  const ok = loads.reduce((sum, l) => sum + l.ok, 0);
  const durationS = loads.reduce((sum, l) => sum + l.durationS, 0);
  return {
    ok,
    non2xx: loads.reduce((sum, l) => sum + l.non2xx, 0),
    errors: loads.reduce((sum, l) => sum + l.errors, 0),
    durationS,
    perSecond: ok / Math.max(durationS, 1e-9),
    p50: Math.max(...loads.map((l) => l.p50)),
    p99: Math.max(...loads.map((l) => l.p99)),
  };
}

export interface WebhookBenchOptions {
  /** Seconds of load per side and round. */
  roundS?: number;
  rounds?: number;
}

export function createWebhookBench(options: WebhookBenchOptions = {}): BenchModule {
  const roundS = options.roundS ?? ROUND_S;
  const rounds = options.rounds ?? ROUNDS;
  return {
    name: 'webhook',
    produces: ['webhook_events_per_s', 'webhook_p99_ms', 'webhook_vs_bare_fastify_ratio', 'rss_web_mb'],
    async run() {
      const db = await createBenchDatabase('webhook');
      const redis = await startPrivateRedis();
      const dataDir = makeTmpDir('webhook');
      const runTag = randomBytes(4).toString('hex');
      const cleanups: Array<() => Promise<void>> = [];
      try {
        const app = await startAppProcess({
          role: 'web',
          // info is the production default: the two request lines per event are part of the cost.
          env: { DATABASE_URL: db.url, REDIS_URL: redis.url, DATA_DIR: dataDir, LOG_LEVEL: 'info', APP_MODE: 'demo' },
          logFile: join(runDir(), 'webhook-app.log'),
        });
        cleanups.push(() => app.stop());
        const rssIdle = app.rssMb();
        const barePort = await freePort();
        const bare = spawnTracked('npx', ['tsx', 'bench/bare-server.ts'], { env: benchEnv({ PORT: String(barePort) }), logFile: join(runDir(), 'webhook-bare.log') });
        cleanups.push(() => bare.stop());
        const bareUrl = `http://127.0.0.1:${barePort}`;
        await waitFor(async () => ((await fetch(`${bareUrl}/healthz`)).ok ? true : undefined), { timeoutMs: 30_000, what: 'bare Fastify' });

        await runLoad(app.url!, WARMUP_S, `${runTag}-warm`);
        await runLoad(bareUrl, WARMUP_S, `${runTag}-bare-warm`);
        const [before] = await queryOnce<{ n: string }>(db.url, 'select count(*) as n from inbound_events');
        const appPid = app.nodePid();
        const appGroups: CpuGroups = {
          app: (p) => p.pid === appPid,
          // Backends of the bench database, then the server's own processes (WAL writer: the commits).
          postgres: (p) => p.cmdline.startsWith('postgres') && (p.cmdline.includes(db.name) || !/postgres: \S+: \S+ \S+ /.test(p.cmdline)),
          redis: (p) => p.pid === redis.pid,
        };
        const barePids = new Set(bare.child.pid === undefined ? [] : [bare.child.pid]);
        const bareGroups: CpuGroups = { bare: (p) => barePids.has(p.pid) || p.cmdline.includes('bench/bare-server.ts') };

        // The two sides take turns (app, bare, bare, app, …) rather than one long run each: the machine's speed
        // drifts over a minute (other tenants, CPU placement), and the ratio should compare like with like.
        const appRounds: LoadResult[] = [];
        const bareRounds: LoadResult[] = [];
        const appSplits: CpuSplit[] = [];
        const bareSplits: CpuSplit[] = [];
        const measureApp = async (round: number) => {
          const stop = startCpuSplit(appGroups);
          appRounds.push(await runLoad(app.url!, roundS, `${runTag}-app${round}`));
          appSplits.push(stop());
        };
        const measureBare = async (round: number) => {
          const stop = startCpuSplit(bareGroups);
          bareRounds.push(await runLoad(bareUrl, roundS, `${runTag}-bare${round}`));
          bareSplits.push(stop());
        };
        for (let round = 0; round < rounds; round++) {
          if (round % 2 === 0) {
            await measureApp(round);
            await measureBare(round);
          } else {
            await measureBare(round);
            await measureApp(round);
          }
        }
        const [after] = await queryOnce<{ n: string }>(db.url, 'select count(*) as n from inbound_events');
        const stored = Number(after?.n) - Number(before?.n);
        const rss = app.rssMb();
        const heap = await heapOf(app.url!);
        await app.stop();
        await bare.stop();

        const appLoad = combineLoads(appRounds);
        const bareLoad = combineLoads(bareRounds);
        const appSplit = combineCpuSplits(appSplits);
        const bareSplit = combineCpuSplits(bareSplits);
        if (appLoad.ok === 0) throw new Error(`no event accepted (non-2xx ${appLoad.non2xx}, errors ${appLoad.errors}); see webhook-app.log`);
        // A run where the app died or refused part of the load (another process killing it, the database going
        // away) would still give a figure; it is not one.
        const failed = appLoad.non2xx + appLoad.errors;
        if (failed > appLoad.ok * 0.001) throw new Error(`${failed} requests failed during the run (non-2xx ${appLoad.non2xx}, errors ${appLoad.errors}); see webhook-app.log`);
        const ratio = appLoad.perSecond / bareLoad.perSecond;
        const perRound = appRounds.map((a, i) => `${fmt(a.perSecond)}/${fmt(bareRounds[i]!.perSecond)} = ${fmt(a.perSecond / bareRounds[i]!.perSecond, 3)}`);
        return {
          figures: {
            webhook_events_per_s: appLoad.perSecond,
            webhook_p99_ms: appLoad.p99,
            webhook_vs_bare_fastify_ratio: ratio,
            ...(rss === undefined ? {} : { rss_web_mb: rss }),
          },
          notes: [
            `autocannon, ${CONNECTIONS} connections, each request a new signed \`user_send_text\` (new msg_id) from ${fmt(SENDERS)} citizens; load generator in the bench process, app and baseline each in a process of their own, both up for the whole run. After a ${WARMUP_S} s warm-up of each, ${rounds} rounds of ${roundS} s per side, taking turns (app then bare, bare then app, …); figures are over all rounds, p50/p99 the worst round's.`,
            `App: \`npx tsx runtime/main.ts\` with ROLE=web, APP_MODE=demo, LOG_LEVEL=info (logs to a file), a fresh PostgreSQL database on 127.0.0.1:5432, REDIS_URL to a private redis-server on a free port (BullMQ, default prefix, no worker: jobs only queue).`,
            `App: ${fmt(appLoad.ok)} events answered 200 in ${fmt(appLoad.durationS, 1)} s = ${fmt(appLoad.perSecond)} events/s, p50 ${appLoad.p50} ms, p99 ${appLoad.p99} ms, non-2xx ${appLoad.non2xx}, errors ${appLoad.errors}; ${fmt(stored)} rows added to inbound_events (every 200 is a stored event).`,
            `Bare Fastify (bench/bare-server.ts, JSON body parsed, 200 at once): ${fmt(bareLoad.perSecond)} requests/s, p50 ${bareLoad.p50} ms, p99 ${bareLoad.p99} ms → ratio ${fmt(ratio, 3)}.`,
            `Per round, app events/s / bare requests/s: ${perRound.join('; ')}.`,
            `CPU during the app rounds: ${describeCpuSplit(appSplit)}. App CPU per event: ${fmt(((appSplit.percent.app ?? 0) * 10_000) / Math.max(1, appLoad.perSecond))} µs.`,
            `CPU during the bare rounds: ${describeCpuSplit(bareSplit)}.`,
            `Web process RSS (VmRSS of the node running main.ts): ${rssIdle === undefined ? '?' : fmt(rssIdle)} MB idle after start, ${rss === undefined ? '?' : fmt(rss)} MB after the load (V8 heap then: ${heap}).`,
          ],
        };
      } finally {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        await redis.stop();
        await db.drop().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** The V8 heap spaces of the app, from its own /metrics (prom-client's default metrics), in MB used/size. */
async function heapOf(url: string): Promise<string> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const read = (metric: string) =>
      new Map([...text.matchAll(new RegExp(`^${metric}\\{space="([a-z_]+)"\\} ([0-9.e+]+)$`, 'gm'))].map((m) => [m[1]!, Number(m[2]) / 1_048_576]));
    const used = read('nodejs_heap_space_size_used_bytes');
    const total = read('nodejs_heap_space_size_total_bytes');
    const external = /^nodejs_external_memory_bytes ([0-9.e+]+)$/m.exec(text);
    const spaces = [...total].filter(([, size]) => size >= 1).map(([space, size]) => `${space.replace(/_space$/, '')} ${fmt(used.get(space) ?? 0)}/${fmt(size)}`);
    return `${spaces.join(', ')} MB used/size; external ${external ? fmt(Number(external[1]) / 1_048_576) : '?'} MB`;
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message : String(err)})`;
  }
}

export const webhookBench = createWebhookBench();
