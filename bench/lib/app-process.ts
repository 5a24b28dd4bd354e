import { performance } from 'node:perf_hooks';
import { benchEnv, findScriptNodePid, freePort, readRssMb, spawnTracked, waitFor, type SpawnedProcess } from './processes.js';

/** The product started as an operator starts it: `npx tsx runtime/main.ts` with environment variables only. */

const MAIN = 'runtime/main.ts';
/** What main.ts prints once startPakn resolved (every role, web or not). */
const READY_BANNER = 'PAKN Desk đang chạy';

export interface AppProcess {
  process: SpawnedProcess;
  /** Base URL when the role serves HTTP. */
  url?: string;
  /** Milliseconds from spawn to ready (/readyz 200 for web roles, the banner for a worker). */
  readyMs: number;
  /** VmRSS of the node process running main.ts (not npx, not tsx's CLI). */
  rssMb(): number | undefined;
  /** The pid of that node process. */
  nodePid(): number | undefined;
  stop(): Promise<void>;
}

export async function startAppProcess(options: {
  env: Record<string, string>;
  /** Web roles are polled on /readyz; a worker has no HTTP and is ready when it prints its banner. */
  role?: 'all' | 'web' | 'worker';
  port?: number;
  /** Where its stdout and stderr go (bench/out/run-…/). */
  logFile: string;
  timeoutMs?: number;
}): Promise<AppProcess> {
  const role = options.role ?? 'all';
  const port = options.port ?? (await freePort());
  const startedAt = performance.now();
  // BENCH_CPU_PROF_DIR: every app process writes a V8 CPU profile there when it exits (node's --cpu-prof).
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const proc = spawnTracked('npx', ['tsx', ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), MAIN], {
    env: benchEnv({ ROLE: role, PORT: String(port), LOG_LEVEL: 'warn', ...options.env }),
    logFile: options.logFile,
  });
  const exited = new Promise<never>((_, reject) =>
    proc.child.once('exit', (code, signal) => reject(new Error(`main.ts (${role}) exited with ${code ?? signal} before it was ready; see ${options.logFile}`))),
  );
  exited.catch(() => undefined);
  const url = role === 'worker' ? undefined : `http://127.0.0.1:${port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await Promise.race([
      url
        ? waitFor(
            async () => {
              const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
              await res.arrayBuffer();
              return res.status === 200 ? true : undefined;
            },
            { timeoutMs, intervalMs: 50, what: `${url}/readyz` },
          )
        : waitFor(() => (proc.output().includes(READY_BANNER) ? true : undefined), { timeoutMs, intervalMs: 50, what: 'the worker banner' }),
      exited,
    ]);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  const readyMs = performance.now() - startedAt;
  let nodePid: number | undefined;
  const findNodePid = () => (nodePid ??= proc.child.pid === undefined ? undefined : findScriptNodePid(proc.child.pid, MAIN));
  return {
    process: proc,
    url,
    readyMs,
    rssMb: () => {
      const pid = findNodePid();
      return pid === undefined ? undefined : readRssMb(pid);
    },
    nodePid: findNodePid,
    stop: () => proc.stop('SIGTERM'),
  };
}
