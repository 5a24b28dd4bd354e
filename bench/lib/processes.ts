import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Child processes, ports and polling for the benchmarks. Every child is killed when the bench ends. */

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const tracked = new Set<ChildProcess>();

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!port) throw new Error('could not find a free port');
  return port;
}

/** Polls until `probe` returns a value, at most `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, options: { timeoutMs: number; intervalMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown = 'no value yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what} (last: ${String(last)})`);
    await sleep(options.intervalMs ?? 50);
  }
}

/** The bench's environment without anything that would point a child at other services. */
export function benchEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(DATABASE_URL|TEST_DATABASE_URL|REDIS_URL|ZALO_|SMTP_URL|SESSION_SECRET|APP_MODE|ROLE|PORT|HOST|PUBLIC_BASE_URL|DATA_DIR|LOG_LEVEL|TOKEN_ENCRYPTION_KEY)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface SpawnedProcess {
  child: ChildProcess;
  /** What the child printed so far (stdout and stderr, from its log file). */
  output(): string;
  /** Ends the whole process group (npx → sh → tsx → node) and waits for the leader to exit (bounded). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns a command in a process group of its own, its stdout and stderr going straight to `logFile`: the
 * bench process never relays a chatty child's logs (it runs the load generator), and a child never blocks
 * on a full pipe.
 */
export function spawnTracked(command: string, args: string[], options: { env: Record<string, string>; logFile: string }): SpawnedProcess {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  tracked.add(child);
  child.once('exit', () => tracked.delete(child));
  return {
    child,
    output: () => {
      try {
        return readFileSync(options.logFile, 'utf8');
      } catch {
        return '';
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup(child, signal);
      const inTime = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!inTime) {
        killGroup(child, 'SIGKILL');
        await Promise.race([exited, sleep(2_000)]);
      }
    },
  };
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone already
    }
  }
}

/** Last resort on any exit path of the bench: no child outlives it. */
export function killAllTracked(): void {
  for (const child of tracked) killGroup(child, 'SIGKILL');
  tracked.clear();
}

// ───────────── /proc ─────────────

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  if (!stat) return undefined;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/**
 * The node process that really runs the script under `npx tsx <script>`: npx (npm exec) starts a shell,
 * which starts tsx's CLI (node), which starts node with tsx's loader. That last one holds the app.
 */
export function findScriptNodePid(rootPid: number, script: string): number | undefined {
  const candidates = descendantsOf(rootPid).filter((pid) => {
    const cmdline = readProc(pid, 'cmdline')?.split('\0') ?? [];
    return cmdline.some((arg) => arg.includes('tsx/dist/loader')) && cmdline.includes(script);
  });
  return candidates[candidates.length - 1];
}

/** Resident set size of a process in MB (VmRSS of /proc/<pid>/status). */
export function readRssMb(pid: number): number | undefined {
  const status = readProc(pid, 'status');
  const kb = status ? /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] : undefined;
  return kb ? Number(kb) / 1024 : undefined;
}

let currentRunDir: string | undefined;

/** bench/out/run-<time>/: the children's logs of this run (git-ignored), kept for a look after a surprise. */
export function runDir(): string {
  if (!currentRunDir) {
    currentRunDir = join(PROJECT_ROOT, 'bench', 'out', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(currentRunDir, { recursive: true });
  }
  return currentRunDir;
}

/** A fresh temporary folder (DATA_DIR of a started app), removed by the caller. */
export function makeTmpDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `pakn-bench-${label}-`));
}
