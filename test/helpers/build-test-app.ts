import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps, type AppPart } from '../../runtime/app.js';
import { createFakeClock, type FakeClock } from '../../runtime/clock.js';
import { loadConfig } from '../../runtime/config.js';
import { createInlineRunner } from '../../runtime/jobs/inline-runner.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import { createTestDatabase, type Driver, type TestDatabase } from './db.js';

export const TEST_PUBLIC_BASE_URL = 'http://pakn.test';
export const TEST_NOW = '2026-03-02T02:00:00.000Z';

export interface TestApp {
  app: FastifyInstance;
  deps: AppDeps;
  database: TestDatabase;
  clock: FakeClock;
  /** Closes the app and the job runner; destroys the database only when the helper created it. */
  close(): Promise<void>;
}

export interface BuildTestAppOptions {
  parts: AppPart[];
  /**
   * Environment for loadConfig. process.env is never read, so a developer's ZALO_APP_ID cannot turn
   * a sandbox test into a real-Zalo one. Defaults: silent logs, a fixed public base URL, sandbox mode.
   */
  env?: Record<string, string | undefined>;
  /** Reuse one database across the apps of a test file (PGlite takes seconds to start). */
  database?: TestDatabase;
  driver?: Driver;
  now?: string;
  /** Start consuming jobs; by default they are only queued, so a test sees exactly what was enqueued. */
  startJobs?: boolean;
}

/** The app as production builds it (buildApp + parts), on a test database, a fake clock and in-process jobs. */
export async function buildTestApp(options: BuildTestAppOptions): Promise<TestApp> {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await createTestDatabase(options.driver ?? 'pglite'));
  const config = loadConfig({ LOG_LEVEL: 'silent', PUBLIC_BASE_URL: TEST_PUBLIC_BASE_URL, ...options.env });
  const clock = createFakeClock(options.now ?? TEST_NOW);
  const logger = createLogger({ level: 'silent' });
  const jobs = createInlineRunner({ logger, clock });
  if (options.startJobs) await jobs.start();
  const deps: AppDeps = { config, database, clock, logger, jobs, metrics: createMetrics() };
  const app = await buildApp(deps, options.parts);
  await app.ready();
  return {
    app,
    deps,
    database,
    clock,
    close: async () => {
      await app.close();
      await jobs.close();
      if (ownsDatabase) await database.destroy();
    },
  };
}
