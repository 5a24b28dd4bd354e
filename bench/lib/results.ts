import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './processes.js';

/** The keys of bench/results.json, in the order they are written. */
export const RESULT_KEYS = [
  'webhook_events_per_s',
  'webhook_p99_ms',
  'webhook_vs_bare_fastify_ratio',
  'bot_reply_p95_ms',
  'inbox_p95_ms_1m',
  'case_page_p95_ms_1m',
  'nudge_sweep_ms_1m',
  'limiter_error_pct',
  'rss_web_mb',
  'rss_worker_mb',
  'start_to_ready_ms',
  'classifier_top1',
] as const;
export type ResultKey = (typeof RESULT_KEYS)[number];
export type Figures = Partial<Record<ResultKey, number>>;

/** Targets of issue 7; a key without a target is reported without a verdict. */
export const TARGETS: Partial<Record<ResultKey, { op: '>=' | '<'; value: number; unit: string }>> = {
  webhook_events_per_s: { op: '>=', value: 3_000, unit: 'events/s' },
  webhook_p99_ms: { op: '<', value: 25, unit: 'ms' },
  webhook_vs_bare_fastify_ratio: { op: '>=', value: 0.3, unit: '' },
  bot_reply_p95_ms: { op: '<', value: 300, unit: 'ms' },
  inbox_p95_ms_1m: { op: '<', value: 100, unit: 'ms' },
  case_page_p95_ms_1m: { op: '<', value: 100, unit: 'ms' },
  nudge_sweep_ms_1m: { op: '<', value: 1_000, unit: 'ms' },
  limiter_error_pct: { op: '<', value: 2, unit: '%' },
  rss_web_mb: { op: '<', value: 300, unit: 'MB' },
  start_to_ready_ms: { op: '<', value: 8_000, unit: 'ms' },
};

/** What one benchmark module hands back. */
export interface BenchOutcome {
  figures: Figures;
  /** Lines for RESULTS.md: the setup used and the raw numbers behind the figures. */
  notes: string[];
}

export interface BenchModule {
  /** Short name, also the command-line filter: `npm run bench -- webhook`. */
  name: string;
  /** The result keys this module produces (for partial runs and for the report). */
  produces: ResultKey[];
  run(): Promise<BenchOutcome>;
}

export const RESULTS_MD = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
export const RESULTS_JSON = fileURLToPath(new URL('../results.json', import.meta.url));

export function machineDescription(): { cpu: string; cores: number; memoryGb: number; node: string; commit: string } {
  const list = cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: list[0]?.model.trim() ?? 'unknown CPU',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    commit,
  };
}

export function verdict(key: ResultKey, value: number): string {
  const target = TARGETS[key];
  if (!target) return '';
  const ok = target.op === '>=' ? value >= target.value : value < target.value;
  return ok ? 'met' : '**missed**';
}

function formatTarget(key: ResultKey): string {
  const target = TARGETS[key];
  if (!target) return '–';
  return `${target.op === '>=' ? '≥' : '<'} ${target.value.toLocaleString('en-US')}${target.unit ? ` ${target.unit}` : ''}`;
}

/** Rounds to a sensible number of decimals for the JSON file. */
export function roundFigure(value: number): number {
  if (Math.abs(value) >= 100) return Math.round(value);
  if (Math.abs(value) >= 1) return Math.round(value * 100) / 100;
  return Math.round(value * 10_000) / 10_000;
}

/**
 * Rewrites results.json with this run's figures. A partial run (a filter on the command line) keeps the
 * previous values of the keys it did not measure; a full run writes only what it measured, so a key
 * disappears while its feature does not exist.
 */
export function writeResultsJson(figures: Figures, partial: boolean): Figures {
  let previous: Figures = {};
  if (partial && existsSync(RESULTS_JSON)) {
    try {
      previous = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as Figures;
    } catch {
      previous = {};
    }
  }
  const merged: Figures = {};
  for (const key of RESULT_KEYS) {
    const value = figures[key] ?? previous[key];
    if (typeof value === 'number' && Number.isFinite(value)) merged[key] = roundFigure(value);
  }
  writeFileSync(RESULTS_JSON, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

export function appendResultsSection(input: {
  startedAt: Date;
  elapsedS: number;
  figures: Figures;
  notes: Array<{ module: string; lines: string[] }>;
  failures: Array<{ module: string; error: string }>;
  skipped: string[];
  /** 1-minute load average when the run started: other processes on the machine skew every figure. */
  loadAtStart: number;
}): void {
  if (!existsSync(RESULTS_MD)) throw new Error(`${RESULTS_MD} is missing: it holds the header that explains the figures`);
  const m = machineDescription();
  const rows = RESULT_KEYS.filter((k) => input.figures[k] !== undefined).map((key) => {
    const value = roundFigure(input.figures[key]!);
    return `| \`${key}\` | ${value.toLocaleString('en-US')} | ${formatTarget(key)} | ${verdict(key, value)} |`;
  });
  const lines = [
    '',
    `## ${input.startedAt.toISOString().replace(/\.\d+Z$/, 'Z')} · commit ${m.commit}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM · Node ${m.node} · whole run ${Math.round(input.elapsedS)} s · load average (1 min) ${input.loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`,
    '',
    '| figure | value | target | |',
    '|---|---:|---|---|',
    ...rows,
    '',
  ];
  for (const n of input.notes) {
    if (n.lines.length === 0) continue;
    lines.push(`**${n.module}**`, '', ...n.lines.map((l) => `- ${l}`), '');
  }
  if (input.failures.length > 0) {
    lines.push('**Failed benchmarks** (their keys are missing from this run)', '');
    for (const f of input.failures) lines.push(`- ${f.module}: ${f.error.replace(/\n/g, ' ')}`);
    lines.push('');
  }
  if (input.skipped.length > 0) lines.push(`Not run this time (command-line filter): ${input.skipped.join(', ')}.`, '');
  appendFileSync(RESULTS_MD, lines.join('\n'));
}
