import { spawn, type ChildProcess } from 'node:child_process';
import { isolatedEnv, PROJECT_ROOT, waitFor } from '../../runtime/support/processes.js';

/**
 * PAKN as production runs it: `runtime/main.ts --role=<role>` in a process of its own (node with the tsx
 * loader, one process, so a SIGKILL hits exactly the product and nothing in between). The fault tests kill
 * these, so they must not share a process with the test.
 */

const MAX_OUTPUT_CHARS = 200_000;
/** Printed by runtime/main.ts once the process serves (web) or consumes jobs (worker). */
const READY_BANNER = 'PAKN Desk đang chạy';

export interface PaknProcess {
  role: 'web' | 'worker' | 'all';
  pid: number;
  child: ChildProcess;
  /** stdout + stderr so far (the tail of it), for failure messages. */
  output(): string;
  isRunning(): boolean;
  /** Resolves when the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the process group and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort when the test process ends without afterAll: no orphan PAKN holding ports or databases.
  for (const child of live) if (child.pid !== undefined) signalGroup(child, 'SIGKILL');
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Starts `runtime/main.ts --role=<role>` with only `env` on top of an environment cleaned of the parent's
 * PAKN variables, and waits (bounded) for its ready banner. A process that exits first fails the start
 * with its output.
 */
export async function startPaknProcess(
  role: PaknProcess['role'],
  env: Record<string, string | undefined>,
  options: { timeoutMs?: number } = {},
): Promise<PaknProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/main.ts', `--role=${role}`], {
    cwd: PROJECT_ROOT,
    env: cleanEnv(isolatedEnv({ LOG_LEVEL: 'warn', ...env })),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start PAKN --role=${role}`);
  live.add(child);
  let output = '';
  const append = (chunk: string) => {
    output += chunk;
    if (output.length > MAX_OUTPUT_CHARS) output = output.slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const isRunning = () => child.exitCode === null && child.signalCode === null;

  const proc: PaknProcess = {
    role,
    pid: child.pid,
    child,
    output: () => output,
    isRunning,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (!isRunning()) return;
      signalGroup(child, signal);
      await exited;
    },
  };

  try {
    const diedEarly = exited.then(({ code, signal }) => {
      throw new Error(`PAKN --role=${role} exited (code ${code}, signal ${signal}) before it was ready`);
    });
    // Handled here too: after a successful start, a later exit must not surface as an unhandled rejection.
    diedEarly.catch(() => undefined);
    await Promise.race([
      waitFor(() => (output.includes(READY_BANNER) ? true : undefined), {
        timeoutMs: options.timeoutMs ?? 60_000,
        intervalMs: 50,
        what: `PAKN --role=${role} to be ready`,
      }),
      diedEarly,
    ]);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- output ---\n${output}`, { cause: err });
  }
  return proc;
}
