import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { TEST_SERVER_URL } from '../../helpers/db.js';

/**
 * Helpers for the runtime acceptance tests: child processes with bounded lifetimes, private Redis
 * servers, free ports, empty PostgreSQL databases and bounded polling. Each test file owns what it
 * creates through these and releases it in afterAll.
 */

export const PROJECT_ROOT = new URL('../../../', import.meta.url).pathname;

/** A TCP port nothing listens on right now (the OS picks it). */
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

/**
 * Polls `probe` until it returns a value other than undefined, at most `timeoutMs`. The last error or value
 * goes into the failure message so a test that times out says what it saw.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'no value yet';
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what} (last: ${String(last)})`);
    await sleep(options.intervalMs ?? 50);
  }
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a command to its end, killing its whole process group after `timeoutMs`. `detached` puts the
 * child in a group of its own, so npx → sh → tsx → node all go together.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string | undefined>; timeoutMs: number; cwd?: string },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? PROJECT_ROOT, env: cleanEnv(options.env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Signals the child's process group (it was spawned detached); quiet when it is already gone. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** process.env without undefined values, as spawn wants it. */
function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The parent's environment without the variables that would point a child at someone else's services. */
export function isolatedEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_URL|TEST_DATABASE_URL|REDIS_URL|ZALO_|SMTP_URL|SESSION_SECRET|APP_MODE|ROLE|PORT|HOST|PUBLIC_BASE_URL|DATA_DIR|LOG_LEVEL|TOKEN_ENCRYPTION_KEY)/.test(key)) {
      delete env[key];
    }
  }
  return { ...env, ...extra };
}

// ───────────── private Redis ─────────────

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: a crash, not a shutdown) and waits for the process to end. */
  kill(): Promise<void>;
  /** Starts a new server on the same port (nothing to do while the current one runs). */
  restart(): Promise<void>;
}

async function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * A redis-server of the test's own on a free port, without persistence: never the shared 6379 server,
 * so killing it harms nobody and no key is left behind.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const launch = async () => {
    // One server per port: a second one would fail to bind while the first still answers the probe.
    if (isRunning()) return;
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    child = proc;
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))));
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(async () => ((await redisAnswers(port)) && proc.exitCode === null ? true : undefined), { timeoutMs: 10_000, what: `redis-server on port ${port}` }),
      exited,
    ]);
  };

  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await gone;
  };

  // Last resort if the test process ends without afterAll (a crash, a timeout kill): no orphan server.
  const onExit = () => {
    if (isRunning()) child?.kill('SIGKILL');
  };
  process.once('exit', onExit);

  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: launch };
}

// ───────────── empty PostgreSQL databases ─────────────

export interface EmptyPgDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A new, empty database on the test server (not migrated: the code under test does that). */
export async function createEmptyPgDatabase(prefix = 'pakn_t'): Promise<EmptyPgDatabase> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabaseName(TEST_SERVER_URL, name),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: TEST_SERVER_URL });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
