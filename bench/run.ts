import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { botReplyBench } from './bot-reply.bench.js';
import { runClassifierBench } from './classifier.bench.js';
import { consoleAt1mBench } from './console-1m.bench.js';
import { limiterBench } from './limiter.bench.js';
import { nudgeSweepAt1mBench } from './nudge-sweep-1m.bench.js';
import { killAllTracked, runDir } from './lib/processes.js';
import { appendResultsSection, RESULT_KEYS, RESULTS_JSON, RESULTS_MD, roundFigure, verdict, writeResultsJson, type BenchModule, type Figures } from './lib/results.js';
import { startToReadyBench } from './start-to-ready.bench.js';
import { webhookBench } from './webhook.bench.js';

/**
 * `npm run bench` runs every benchmark below, one after the other (they share 2 cores), appends a section
 * to bench/RESULTS.md and rewrites bench/results.json. `npm run bench -- webhook limiter` runs only those
 * (the other keys of results.json keep their previous values).
 *
 * Adding a benchmark: write bench/<name>.bench.ts exporting a BenchModule (lib/results.ts) whose run()
 * returns figures under the keys of RESULT_KEYS, and add it to BENCHMARKS. Notes:
 * - `inbox_p95_ms_1m` and `case_page_p95_ms_1m` come from one module (console-1m: one app start on the 1M
 *   database), `nudge_sweep_ms_1m` from nudge-1m; both use bench/lib/seed-million.ts, which seeds
 *   `pakn_bench_1m` once (a few minutes) and reuses it afterwards;
 * - `rss_worker_mb` is measured by the bot-reply benchmark (its worker process).
 */

const classifierBench: BenchModule = {
  name: 'classifier',
  produces: ['classifier_top1'],
  async run() {
    const { classifier_top1, details } = await runClassifierBench();
    return { figures: { classifier_top1 }, notes: details.split('\n').filter((l) => l.trim() !== '') };
  },
};

export const BENCHMARKS: BenchModule[] = [
  startToReadyBench,
  webhookBench,
  botReplyBench,
  limiterBench,
  classifierBench,
  consoleAt1mBench,
  nudgeSweepAt1mBench,
];

async function main(): Promise<void> {
  const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = filter.filter((f) => !BENCHMARKS.some((b) => b.name === f));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const selected = filter.length > 0 ? BENCHMARKS.filter((b) => filter.includes(b.name)) : BENCHMARKS;
  const skipped = BENCHMARKS.filter((b) => !selected.includes(b)).map((b) => b.name);

  const startedAt = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  const t0 = performance.now();
  const figures: Figures = {};
  const notes: Array<{ module: string; lines: string[] }> = [];
  const failures: Array<{ module: string; error: string }> = [];
  console.log(`bench: ${selected.map((b) => b.name).join(', ')} (children's logs in ${runDir()}; load average ${loadAtStart.toFixed(1)})`);

  for (const bench of selected) {
    const t = performance.now();
    console.log(`\n▶ ${bench.name}`);
    try {
      const outcome = await bench.run();
      Object.assign(figures, outcome.figures);
      notes.push({ module: bench.name, lines: outcome.notes });
      for (const key of RESULT_KEYS) {
        const value = outcome.figures[key];
        if (value !== undefined) console.log(`  ${key.padEnd(30)} ${String(roundFigure(value)).padStart(10)}  ${verdict(key, value)}`);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      failures.push({ module: bench.name, error: message });
      console.error(`  ${bench.name} failed: ${message}`);
    } finally {
      killAllTracked();
    }
    console.log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }

  const elapsedS = (performance.now() - t0) / 1000;
  appendResultsSection({ startedAt, elapsedS, figures, notes, failures, skipped, loadAtStart });
  const written = writeResultsJson(figures, skipped.length > 0);
  console.log(`\n${RESULTS_MD} (section appended) and ${RESULTS_JSON}:\n${JSON.stringify(written, null, 2)}`);
  console.log(`whole bench: ${elapsedS.toFixed(0)} s`);
  if (failures.length > 0) process.exitCode = 1;
}

process.on('exit', killAllTracked);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllTracked();
    process.exit(130);
  });
}

await main();
