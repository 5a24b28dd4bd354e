import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Who used the CPU during a measurement: the bench shares its 2 cores with the app, PostgreSQL, Redis, and
 * whatever else runs on the machine, so a figure comes with the split (from /proc, in % of one core).
 */

/** USER_HZ: /proc reports CPU times in these ticks; 100 on every Linux we run on. */
const TICKS_PER_S = 100;

function readProc(pid: number | string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process, in ticks. */
function cpuTicks(pid: number | string): number {
  const stat = readProc(pid, 'stat');
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function listProcesses(): Array<{ pid: number; cmdline: string }> {
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readProc(entry, 'cmdline');
    if (cmdline !== undefined) out.push({ pid: Number(entry), cmdline: cmdline.replace(/\0/g, ' ').trim() });
  }
  return out;
}

/** Busy ticks of the whole machine (all cores): user, nice, system, irq, softirq, steal. */
function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
}

export type CpuGroups = Record<string, (process: { pid: number; cmdline: string }) => boolean>;

export interface CpuSplit {
  seconds: number;
  /** % of one core per group, plus `bench` (this process), `other` (everything else) and `machine`. */
  percent: Record<string, number>;
  cores: number;
}

/**
 * Starts counting; the returned function stops and gives the split since the start. A process is counted in the
 * first group that claims it; processes that started and ended in between are not seen (short-lived ones only).
 */
export function startCpuSplit(groups: CpuGroups): () => CpuSplit {
  const before = new Map(listProcesses().map((p) => [p.pid, cpuTicks(p.pid)]));
  const own0 = process.cpuUsage();
  const machine0 = machineBusyTicks();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const ticks: Record<string, number> = {};
    let other = 0;
    for (const p of listProcesses()) {
      if (p.pid === process.pid) continue;
      const used = cpuTicks(p.pid) - (before.get(p.pid) ?? 0);
      if (used <= 0) continue;
      const group = Object.keys(groups).find((name) => groups[name]!(p));
      if (group) ticks[group] = (ticks[group] ?? 0) + used;
      else other += used;
    }
    const own = process.cpuUsage(own0);
    const percentOf = (t: number) => Math.round((t / TICKS_PER_S / seconds) * 100);
    const percent: Record<string, number> = {};
    for (const name of Object.keys(groups)) percent[name] = percentOf(ticks[name] ?? 0);
    percent.bench = Math.round(((own.user + own.system) / 1e6 / seconds) * 100);
    percent.other = percentOf(other);
    percent.machine = percentOf(machineBusyTicks() - machine0);
    return { seconds, percent, cores: cpus().length };
  };
}

/** Several measurements as one: each group's share weighted by how long its measurement lasted. */
export function combineCpuSplits(splits: readonly CpuSplit[]): CpuSplit {
  const seconds = splits.reduce((sum, s) => sum + s.seconds, 0);
  const percent: Record<string, number> = {};
  for (const split of splits) {
    for (const [name, pct] of Object.entries(split.percent)) percent[name] = (percent[name] ?? 0) + pct * split.seconds;
  }
  for (const name of Object.keys(percent)) percent[name] = Math.round(percent[name]! / Math.max(seconds, 1e-9));
  return { seconds, percent, cores: splits[0]?.cores ?? cpus().length };
}

export function describeCpuSplit(split: CpuSplit): string {
  const parts = Object.entries(split.percent)
    .filter(([name]) => name !== 'machine')
    .map(([name, pct]) => `${name} ${pct} %`);
  return `${parts.join(', ')}; whole machine ${split.percent.machine} % of ${split.cores * 100} % (% of one core, over ${split.seconds.toFixed(1)} s)`;
}
