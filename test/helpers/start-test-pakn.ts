import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../runtime/clock.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { PRODUCT_PARTS } from '../../runtime/parts.js';
import { startPakn, type ProductPart, type RunningPakn } from '../../runtime/start.js';
import { createTestDatabase, type Driver, type TestDatabase } from './db.js';

/** A port nobody listens on right now, for a server whose URL must be known before it starts. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export interface TestPakn {
  running: RunningPakn;
  /** `http://127.0.0.1:<port>`, also the configured PUBLIC_BASE_URL (so the sandbox client reaches it). */
  url: string;
  /** The data folder (attachments, the embedded database on PGlite). */
  dataDir: string;
  close(): Promise<void>;
}

export interface StartTestPaknOptions {
  driver: Driver;
  /** Extra environment for loadConfig; process.env is never read. */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  parts?: ProductPart[];
  /** Listen on a free port (default true); the sandbox's own Zalo client needs a real socket. */
  listen?: boolean;
  /**
   * 0: let the OS pick the port when listening, and leave PUBLIC_BASE_URL unset (fine when nothing
   * needs the product's own URL before it starts, e.g. live mode). Default: a free port chosen first.
   */
  port?: 0;
}

/**
 * The whole product as `npm start` runs it (startPakn, PRODUCT_PARTS, migrations and seeds), on a
 * database of its own: a fresh database on the test server, or an embedded PGlite in a temporary
 * folder. It listens on 127.0.0.1 at a port chosen first, so PUBLIC_BASE_URL is right from the start.
 */
export async function startTestPakn(options: StartTestPaknOptions): Promise<TestPakn> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pakn-test-'));
  let database: TestDatabase | undefined;
  if (options.driver === 'pg') {
    database = await createTestDatabase('pg');
    // startPakn opens its own pool; this one was only needed to create and migrate the database.
  }
  const listen = options.listen ?? true;
  const port = listen && options.port !== 0 ? await findFreePort() : 0;
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    APP_MODE: 'demo',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: port === 0 ? undefined : url,
    DATA_DIR: dataDir,
    DATABASE_URL: database?.target.kind === 'pg' ? database.target.url : undefined,
    SESSION_SECRET: 'test-session-secret-0123456789abcdef0123456789',
    ...options.env,
  });
  let running: RunningPakn;
  try {
    running = await startPakn({
      config,
      parts: options.parts ?? PRODUCT_PARTS,
      ...(options.clock ? { clock: options.clock } : {}),
      logger: createLogger({ level: 'silent' }),
      listen,
    });
  } catch (err) {
    await database?.destroy();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    running,
    url: running.url ?? url,
    dataDir,
    close: () =>
      (closing ??= (async () => {
        await running.close();
        await database?.destroy();
        await rm(dataDir, { recursive: true, force: true });
      })()),
  };
}
