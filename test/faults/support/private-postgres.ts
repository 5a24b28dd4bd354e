import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, waitFor } from '../../runtime/support/processes.js';

/**
 * A PostgreSQL server of the test's own: initdb in a temporary folder, started with pg_ctl on a free port,
 * so a test may stop and start it while the product runs, harming nobody. initdb refuses to run as root;
 * as root the cluster is created and run as the `postgres` system user (runuser), otherwise as the
 * current user. Binaries: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin.
 */

const run = promisify(execFile);

export interface PrivatePostgres {
  port: number;
  /** The `postgres` database, trust auth over TCP on 127.0.0.1. */
  url: string;
  /** A URL for another database on this server. */
  urlFor(database: string): string;
  /** Stops the server: 'fast' disconnects every client (a restart); 'immediate' is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (if running) and removes its folder. */
  destroy(): Promise<void>;
}

function findPgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = join(base, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  throw new Error('no PostgreSQL binaries found (set PG_BIN to the folder holding initdb and pg_ctl)');
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary as the user that owns the cluster. */
async function runPg(bin: string, args: string[], timeoutMs = 60_000): Promise<void> {
  const [command, commandArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    await run(command, commandArgs, { timeout: timeoutMs });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${bin} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

function ownByPostgres(dir: string): void {
  if (!asRoot) return;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root but there is no postgres user to run PostgreSQL as');
  chownSync(dir, uid, gid);
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findPgBin();
  const root = mkdtempSync(join(tmpdir(), 'pakn-faults-pg-'));
  ownByPostgres(root);
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  await runPg(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C']);

  const pgCtl = join(bin, 'pg_ctl');
  // No durability needed (the folder is thrown away); the socket lives in our folder, not /var/run.
  const serverOptions = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  let running = false;

  const start = async () => {
    if (running) return;
    await runPg(pgCtl, ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
    running = true;
    await waitFor(async () => ((await answers(url)) ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, what: `private PostgreSQL on ${port}` });
  };

  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    await runPg(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    running = false;
  };

  // Last resort if the test process ends without afterAll: no orphan server on the machine.
  const onExit = () => {
    if (!running) return;
    const args = ['-D', dataDir, '-m', 'immediate', 'stop'];
    if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args]);
    else spawnSync(pgCtl, args);
  };
  process.once('exit', onExit);

  try {
    await start();
  } catch (err) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    rmSync(root, { recursive: true, force: true });
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${log}`, { cause: err });
  }

  return {
    port,
    url,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    destroy: async () => {
      await stop('immediate').catch(() => undefined);
      process.removeListener('exit', onExit);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
