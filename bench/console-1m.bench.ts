import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_PASSWORD, DEMO_WARD_CODE } from '../db/seeds/seed-demo.js';
import { startAppProcess } from './lib/app-process.js';
import { createRandom, loginToConsole, runSeries, type SeriesResult } from './lib/console-client.js';
import { makeTmpDir, runDir } from './lib/processes.js';
import type { BenchModule } from './lib/results.js';
import { ensureMillionDatabase, MILLION_CASES } from './lib/seed-million.js';
import { queryOnce } from './lib/services.js';
import { fmt } from './lib/stats.js';

/**
 * The console at 1M cases (issue 5): the real app (`runtime/main.ts` → startPakn, role web, APP_MODE=demo) on
 * the seeded `pakn_bench_1m` database, two officials logged in through /console/login — the leader of Phường
 * Hoàn Kiếm (`lanhdao`, scope = cases her ward leads or co-handles) and the dispatcher (`dieuphoi`, every
 * case) — each sending the inbox's default view, filtered views and searches, and case pages of random cases
 * in their scope. inbox_p95_ms_1m and case_page_p95_ms_1m are the worst p95 among those series.
 */

const REQUESTS_PER_SERIES = 500;
const CONCURRENCY = 4;
const WARMUP = 100;

interface Role {
  key: 'leader' | 'dispatcher';
  login: string;
  label: string;
}

const ROLES: Role[] = [
  { key: 'leader', login: 'lanhdao', label: 'unit leader, Phường Hoàn Kiếm' },
  { key: 'dispatcher', login: 'dieuphoi', label: 'dispatcher (sees every case)' },
];

/** Searches officials type: a person's name, a street, a problem; each word must appear (AND). */
const SEARCH_TERMS = ['Nguyễn Văn Hùng', 'hàng bông', 'ổ gà', 'Trần Thị Lan', 'đường Láng ngập', 'rác thải', 'Phạm Minh Tuấn', 'phố Huế'];

const inboxHasRows = (_path: string, body: string) => (body.includes('/console/cases/') || body.includes('Không có') ? null : 'no case rows and no empty-state text');

async function loadScope(url: string) {
  const [ward] = await queryOnce<{ id: number }>(url, 'select id from units where code = $1', [DEMO_WARD_CODE]);
  if (!ward) throw new Error(`ward ${DEMO_WARD_CODE} missing`);
  const categories = await queryOnce<{ id: number; code: string }>(url, 'select id, code from categories order by id');
  const catId = (code: string) => {
    const c = categories.find((x) => x.code === code);
    if (!c) throw new Error(`category ${code} missing`);
    return c.id;
  };
  const wardCases = await queryOnce<{ id: string; code: string }>(
    url,
    `select id, code from cases where responsible_unit_id = $1 and id <= $2
     union select c.id, c.code from case_units u join cases c on c.id = u.case_id where u.unit_id = $1 and u.case_id <= $2
     order by 1`,
    [ward.id, MILLION_CASES],
  );
  const [{ area } = { area: ward.id }] = await queryOnce<{ area: number }>(
    url,
    `select id as area from units where kind = 'ward' and code <> $1 order by id limit 1 offset 10`,
    [DEMO_WARD_CODE],
  );
  return { wardId: ward.id, catId, wardCases: wardCases.map((c) => ({ id: Number(c.id), code: c.code })), otherWardId: area };
}

function describeSlowest(r: SeriesResult): string {
  return r.slowest.map((x) => `${decodeURIComponent(x.path.replace('/console/inbox?', ''))} (median ${fmt(x.p50, 0)} ms over ${x.n})`).join('; ');
}

function pick<T>(items: readonly T[], n: number, random: () => number): T[] {
  return Array.from({ length: n }, () => items[Math.floor(random() * items.length)]!);
}

export const consoleAt1mBench: BenchModule = {
  name: 'console-1m',
  produces: ['inbox_p95_ms_1m', 'case_page_p95_ms_1m'],
  async run() {
    const data = await ensureMillionDatabase();
    const scope = await loadScope(data.url);
    const random = createRandom(20261123);

    const dataDir = makeTmpDir('console-1m');
    const logFile = join(runDir(), 'console-1m-web.log');
    const app = await startAppProcess({
      role: 'web',
      env: { DATABASE_URL: data.url, APP_MODE: 'demo', DATA_DIR: dataDir },
      logFile,
      timeoutMs: 120_000,
    });
    const series: Array<SeriesResult & { role: Role; kind: 'inbox' | 'case' }> = [];
    try {
      const baseUrl = app.url!;
      for (const role of ROLES) {
        const session = await loginToConsole(baseUrl, role.login, DEMO_PASSWORD);
        const leader = role.key === 'leader';
        const codes = leader ? scope.wardCases.map((c) => c.code) : [];
        const codeSearches = leader
          ? pick(codes, 20, random)
          : Array.from({ length: 20 }, () => `PA-2025-${String(1 + Math.floor(random() * 400_000)).padStart(6, '0')}`);

        const filtered = leader
          ? [
              `/console/inbox?view=all&status=in_progress`,
              `/console/inbox?view=all&categoryId=${scope.catId('trat-tu-do-thi')}&from=2026-01-01&to=2026-06-30`,
              `/console/inbox?view=overdue`,
              `/console/inbox?view=all&status=closed&contactKind=business`,
              `/console/inbox?view=due_soon`,
            ]
          : [
              `/console/inbox?view=all&status=in_progress&categoryId=${scope.catId('giao-thong')}`,
              `/console/inbox?view=all&areaUnitId=${scope.otherWardId}&status=closed`,
              `/console/inbox?view=overdue`,
              `/console/inbox?view=all&from=2025-03-01&to=2025-03-31&contactKind=business`,
              `/console/inbox?view=all&status=pending_approval`,
            ];
        const searches = [...SEARCH_TERMS, ...codeSearches].map((q) => `/console/inbox?view=all&q=${encodeURIComponent(q)}`);

        const inboxSets: Array<{ name: string; paths: string[] }> = [
          { name: 'default view', paths: ['/console/inbox'] },
          { name: 'filtered views', paths: filtered },
          { name: 'searches', paths: searches },
        ];
        for (const set of inboxSets) {
          const r = await runSeries({
            name: `${role.login} inbox ${set.name}`,
            baseUrl,
            session,
            paths: set.paths,
            total: REQUESTS_PER_SERIES,
            concurrency: CONCURRENCY,
            warmup: WARMUP,
            check: inboxHasRows,
          });
          series.push({ ...r, role, kind: 'inbox' });
          console.log(`  ${r.name.padEnd(36)} p50 ${fmt(r.p50, 1)} ms  p95 ${fmt(r.p95, 1)} ms  p99 ${fmt(r.p99, 1)} ms`);
          if (set.paths.length > 1) console.log(`    slowest: ${describeSlowest(r)}`);
        }

        const caseIds = leader
          ? pick(scope.wardCases, REQUESTS_PER_SERIES, random).map((c) => c.id)
          : Array.from({ length: REQUESTS_PER_SERIES }, () => 1 + Math.floor(random() * MILLION_CASES));
        const r = await runSeries({
          name: `${role.login} case page`,
          baseUrl,
          session,
          paths: caseIds.map((id) => `/console/cases/${id}`),
          total: REQUESTS_PER_SERIES,
          concurrency: CONCURRENCY,
          warmup: WARMUP,
          check: (_path, body) => (body.includes('PA-') ? null : 'no case code on the page'),
        });
        series.push({ ...r, role, kind: 'case' });
        console.log(`  ${r.name.padEnd(36)} p50 ${fmt(r.p50, 1)} ms  p95 ${fmt(r.p95, 1)} ms  p99 ${fmt(r.p99, 1)} ms`);
      }
    } finally {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }

    const worst = (kind: 'inbox' | 'case') => Math.max(...series.filter((s) => s.kind === kind).map((s) => s.p95));
    const inbox = worst('inbox');
    const casePage = worst('case');
    const seedLine = data.reused
      ? `Seeding: reused (made ${data.seededAt} in ${fmt(data.seedMs / 1000, 0)} s).`
      : `Seeding: ${fmt(data.seedMs / 1000, 0)} s this run.`;
    return {
      figures: { inbox_p95_ms_1m: inbox, case_page_p95_ms_1m: casePage },
      notes: [
        ...data.description,
        seedLine,
        `App: \`npx tsx runtime/main.ts\` (startPakn) with ROLE=web, APP_MODE=demo, DATABASE_URL=${data.name}, pool as shipped; no worker, so no scheduler tick writes during the load. Client: ${CONCURRENCY} concurrent keep-alive fetches from the bench process, ${WARMUP} warm-up then ${REQUESTS_PER_SERIES} measured requests per series, full body read, any non-200 fails the run.`,
        `Officials: lanhdao = unit leader of Phường Hoàn Kiếm (${fmt(scope.wardCases.length)} cases in scope, lead or co-handling); dieuphoi = dispatcher (all ${fmt(MILLION_CASES)}). Inbox series: default view (leader: "Của đơn vị", dispatcher: "Chờ phân loại"), 5 filtered views in turn (status, category + date range, overdue, due soon, contact kind, ward), searches in turn (8 names/streets/problems + 20 case codes). Case pages: ${REQUESTS_PER_SERIES} random case ids in the official's scope.`,
        ...series.map(
          (s) =>
            `${s.name}: p50 ${fmt(s.p50, 1)} ms, p95 ${fmt(s.p95, 1)} ms, p99 ${fmt(s.p99, 1)} ms, max ${fmt(s.max, 1)} ms, ${fmt(s.throughput, 0)} req/s` +
            (s.kind === 'inbox' && s.slowest.length > 1 ? `; slowest requests: ${describeSlowest(s)}` : ''),
        ),
        `Figures: inbox_p95_ms_1m = worst p95 of the six inbox series (${fmt(inbox, 1)} ms); case_page_p95_ms_1m = worst of the two case-page series (${fmt(casePage, 1)} ms).`,
      ],
    };
  },
};

if (process.argv[1]?.endsWith('console-1m.bench.ts')) {
  const outcome = await consoleAt1mBench.run();
  console.log(JSON.stringify(outcome.figures, null, 2));
}
