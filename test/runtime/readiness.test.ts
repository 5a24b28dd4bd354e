import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { PRODUCT_PARTS } from '../../runtime/parts.js';
import { startPakn, type RunningPakn } from '../../runtime/start.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, startPrivateRedis, waitFor, type PrivateRedis } from './support/processes.js';

/**
 * /readyz follows Redis: a redis-server of this file's own (never the shared one) is killed and started
 * again on the same port while the app keeps running.
 */

interface Readiness {
  status: number;
  failed: string[];
}

let redis: PrivateRedis;
let database: TestDatabase;
let pakn: RunningPakn;
const dataDir = mkdtempSync(join(tmpdir(), 'pakn-readiness-'));

async function readyz(): Promise<Readiness> {
  const res = await fetch(`${pakn.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { failed: string[] };
  return { status: res.status, failed: body.failed };
}

/** Polls /readyz until it answers `status`; bounded, with the last answer in the failure message. */
function readyzBecomes(status: number, timeoutMs: number): Promise<Readiness> {
  return waitFor(
    async () => {
      const r = await readyz();
      if (r.status !== status) throw new Error(`readyz ${r.status} failed=${JSON.stringify(r.failed)}`);
      return r;
    },
    { timeoutMs, intervalMs: 100, what: `/readyz ${status}` },
  );
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  database = await createTestDatabase('pg');
  const port = await freePort();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PORT: String(port),
    DATABASE_URL: (database.target as { url: string }).url,
    REDIS_URL: redis.url,
    DATA_DIR: dataDir,
  });
  pakn = await startPakn({ config, parts: PRODUCT_PARTS, logger: createLogger({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  // Redis up again before closing, so the workers close cleanly; then the server goes.
  await redis?.restart().catch(() => undefined);
  await pakn?.close();
  await redis?.kill();
  await database?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('/readyz with Redis going away and coming back', () => {
  it('is 200 while Redis answers, 503 naming redis while it is down, and 200 again once it is back', async () => {
    expect(pakn.deps.jobs.engine).toBe('bullmq');
    const up = await readyz();
    expect(up).toEqual({ status: 200, failed: [] });

    await redis.kill();
    const down = await readyzBecomes(503, 15_000);
    expect(down.failed).toEqual(['redis']);
    // The database is fine: only Redis is named, and liveness does not depend on either.
    expect((await fetch(`${pakn.url}/healthz`)).status).toBe(200);

    await redis.restart();
    const back = await readyzBecomes(200, 30_000);
    expect(back.failed).toEqual([]);
  }, 60_000);
});
