import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConfigError, loadConfig } from './config.js';
import { DEMO_LOGINS, DEMO_PASSWORD } from '../db/seeds/seed-demo.js';
import { PRODUCT_PARTS } from './parts.js';
import { startPakn } from './start.js';

/**
 * The old generation may grow to 1.5× what survived the last full collection instead of V8's default of up to 4×.
 * A process's live data is small (~50 MB) but a busy webhook allocates fast: the default let garbage pile up to
 * ~130 MB of old space before collecting it, a web process's resident memory reaching 280–330 MB under load
 * (bench/webhook.bench.ts). A full collection of that little live data is quick and now comes a few times more
 * often. (Not settable through NODE_OPTIONS; V8 reads it whenever it sets the next limit.)
 */
setFlagsFromString('--heap-growing-percent=50');

/**
 * One full collection once started: the start's own garbage (migrations, seeds, compiled modules) goes at once, and
 * V8 sets the old generation's next limit from what is live, by the factor above, rather than keeping its initial
 * limit (~130 MB), which a busy process otherwise fills with garbage before its first full collection.
 */
function collectGarbageOnce(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  setFlagsFromString('--no-expose-gc');
  gc?.();
}

function roleFromArgs(argv: string[]): string | undefined {
  const flag = argv.find((a) => a.startsWith('--role='));
  return flag?.slice('--role='.length);
}

async function main() {
  const startedAt = performance.now();
  let config;
  try {
    const role = roleFromArgs(process.argv.slice(2));
    config = loadConfig(role ? { ...process.env, ROLE: role } : process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }

  const running = await startPakn({ config, parts: PRODUCT_PARTS });
  const log = running.deps.logger;
  const readyMs = Math.round(performance.now() - startedAt);

  const lines = [
    '',
    `PAKN Desk đang chạy (${config.mode === 'demo' ? 'chế độ demo' : 'production'}, vai trò ${config.role}) — sẵn sàng sau ${readyMs} ms`,
  ];
  if (running.url) {
    lines.push(`  Bảng điều khiển cán bộ:  ${running.url}/console`);
    if (config.zalo.sandbox) lines.push(`  Zalo sandbox (người dân): ${running.url}/sandbox`);
    lines.push(`  Trang công khai:        ${running.url}/cong-khai`);
    lines.push(`  Sức khỏe:               ${running.url}/readyz`);
  }
  if (config.mode === 'demo') {
    lines.push(`  Tài khoản demo (mật khẩu ${DEMO_PASSWORD}):`);
    for (const d of DEMO_LOGINS) lines.push(`    ${d.login.padEnd(11)} ${d.label}`);
  }
  console.log(lines.join('\n') + '\n');
  log.info({ readyMs, url: running.url }, 'ready');
  collectGarbageOnce();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await running.close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error('PAKN Desk failed to start:', err instanceof Error ? err.stack : err);
  process.exit(1);
});
