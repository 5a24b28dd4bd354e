import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startAppProcess } from './lib/app-process.js';
import { makeTmpDir, runDir } from './lib/processes.js';
import type { BenchModule } from './lib/results.js';
import { fmt, median } from './lib/stats.js';

/**
 * Cold start of `npm start` with no configuration but a fresh DATA_DIR and a free PORT: npx, tsx, PGlite
 * creating its files, every migration, the reference and demo seeds, the HTTP server; measured from spawn
 * to the first 200 of /readyz. Median of three.
 */
const RUNS = 3;

export const startToReadyBench: BenchModule = {
  name: 'start',
  produces: ['start_to_ready_ms'],
  async run() {
    const times: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const dataDir = makeTmpDir('start');
      try {
        const app = await startAppProcess({ env: { DATA_DIR: dataDir }, logFile: join(runDir(), `start-${i}.log`), timeoutMs: 60_000 });
        times.push(app.readyMs);
        await app.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const value = median(times);
    return {
      figures: { start_to_ready_ms: value },
      notes: [
        `\`npx tsx runtime/main.ts\`, embedded PGlite in a fresh DATA_DIR, in-process jobs, demo seeds; spawn → first /readyz 200: ${times.map((t) => `${fmt(t)} ms`).join(', ')} (median ${fmt(value)} ms)`,
      ],
    };
  },
};
