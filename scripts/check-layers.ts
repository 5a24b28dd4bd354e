/**
 * The build's guard on the architecture: fails on an import cycle, on workflows/ reaching a transport
 * (bot/, console/, a Zalo or SMTP client), on db/ reaching up into the domain, and on product code
 * importing tests.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SOURCE_DIRS = ['bot', 'console', 'workflows', 'db', 'runtime', 'scripts', 'bench'];

interface Rule {
  from: RegExp;
  forbidden: RegExp;
  why: string;
}

const RULES: Rule[] = [
  { from: /^workflows\//, forbidden: /^(bot|console)\//, why: 'workflows/ knows no transport (ARCHITECTURE.md §1)' },
  { from: /^workflows\//, forbidden: /^pkg:(nodemailer|smtp-server|axios|bullmq|ioredis|fastify|@fastify\/.*)$/, why: 'workflows/ never calls Zalo, SMTP, queues or HTTP' },
  { from: /^workflows\//, forbidden: /^runtime\/(mail|jobs|app|start|main|parts)/, why: 'workflows/ gets transports passed in, never imports them' },
  { from: /^db\//, forbidden: /^(bot|console|workflows)\//, why: 'dependencies point bot/console → workflows → db' },
  { from: /^(bot|console|workflows|db|runtime|scripts|bench)\//, forbidden: /^test\//, why: 'nothing imports from test/' },
];

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    // bench/out holds the benchmarks' run logs and scratch files (git-ignored), not project code.
    if (entry === 'node_modules' || entry === 'public' || full.endsWith(join('bench', 'out'))) return [];
    if (statSync(full).isDirectory()) return listFiles(full);
    return /\.(ts|tsx)$/.test(entry) && !entry.endsWith('.d.ts') ? [full] : [];
  });
}

const IMPORT_RE = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function importsOf(file: string): Array<{ target: string; typeOnly: boolean }> {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ target: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[3] ?? m[4];
    if (!spec) continue;
    const typeOnly = Boolean(m[2]);
    if (spec.startsWith('.')) {
      const base = resolve(dirname(file), spec).replace(/\.js$/, '');
      const candidates = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')];
      const hit = candidates.find((c) => existsSync(c));
      out.push({ target: relative(root, hit ?? `${base}.ts`), typeOnly });
    } else if (!spec.startsWith('node:')) {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      out.push({ target: `pkg:${pkg}`, typeOnly });
    }
  }
  return out;
}

const files = SOURCE_DIRS.flatMap((d) => listFiles(join(root, d))).map((f) => relative(root, f));
const graph = new Map<string, string[]>();
const problems: string[] = [];

for (const file of files) {
  const imports = importsOf(join(root, file));
  for (const imp of imports) {
    for (const rule of RULES) {
      if (rule.from.test(file) && rule.forbidden.test(imp.target)) {
        problems.push(`${file} imports ${imp.target.replace(/^pkg:/, '')}: ${rule.why}`);
      }
    }
  }
  // Type-only imports vanish at run time, so they cannot form a load-order cycle.
  graph.set(file, imports.filter((i) => !i.typeOnly && !i.target.startsWith('pkg:')).map((i) => i.target));
}

// Tarjan's strongly connected components: any component with more than one file is a cycle.
let index = 0;
const indices = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];
function connect(v: string) {
  indices.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!indices.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
  }
  if (low.get(v) === indices.get(v)) {
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  }
}
for (const v of graph.keys()) if (!indices.has(v)) connect(v);
for (const c of cycles) problems.push(`import cycle: ${c.join(' → ')}`);

if (problems.length > 0) {
  console.error(`Layer check failed (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`Layer check passed: ${files.length} files, no cycles, no forbidden imports.`);
