import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run bench:faults`: the fault-injection tests of issue #7, the slow ones (`*.slow.ts`, left out of
 * `npm test`) with the fast ones (`*.test.ts`, also in `npm test`). One file at a time: each starts its own servers and
 * processes, and the durations it prints are then each test's own.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    // Named, not globbed: other suites keep files under test/faults/ too.
    include: ['test/faults/redis-down-during-intake.test.ts', 'test/faults/postgres-restarted.test.ts', 'test/faults/*.slow.ts'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['verbose'],
  },
});
