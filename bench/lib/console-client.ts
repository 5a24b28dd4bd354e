import { performance } from 'node:perf_hooks';
import { percentile } from './stats.js';

/** A logged-in console session and a bounded, fixed-concurrency load loop measuring each request. */

export interface ConsoleSession {
  login: string;
  cookie: string;
}

function mergeCookies(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

/** Logs in as a browser does: GET the form (session cookie + CSRF token), POST the credentials, keep the new cookie. */
export async function loginToConsole(baseUrl: string, login: string, password: string): Promise<ConsoleSession> {
  const jar = new Map<string, string>();
  const form = await fetch(`${baseUrl}/console/login`, { redirect: 'manual' });
  mergeCookies(jar, form);
  const html = await form.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (form.status !== 200 || !csrf) throw new Error(`GET /console/login: ${form.status}, CSRF token ${csrf ? 'found' : 'missing'}`);
  const posted = await fetch(`${baseUrl}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body: new URLSearchParams({ login, password, _csrf: csrf }).toString(),
  });
  mergeCookies(jar, posted);
  await posted.arrayBuffer();
  if (posted.status !== 303 && posted.status !== 302) throw new Error(`POST /console/login as ${login}: ${posted.status} (expected a redirect)`);
  const session = { login, cookie: cookieHeader(jar) };
  const inbox = await fetch(`${baseUrl}/console/inbox`, { headers: { cookie: session.cookie }, redirect: 'manual' });
  await inbox.arrayBuffer();
  if (inbox.status !== 200) throw new Error(`logged in as ${login} but /console/inbox answered ${inbox.status}`);
  return session;
}

export interface SeriesResult {
  name: string;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** Requests per second over the measured part. */
  throughput: number;
  /** The paths with the highest median, for the notes (which request shapes make the tail). */
  slowest: Array<{ path: string; p50: number; n: number }>;
}

/**
 * `total` requests after `warmup` unmeasured ones, `concurrency` at a time (each worker sends its next request
 * when the previous answered), paths taken in turn from `paths`. Any status other than 200, or a body failing
 * `check`, fails the series: a fast error page must never pass for a fast page.
 */
export async function runSeries(options: {
  name: string;
  baseUrl: string;
  session: ConsoleSession;
  paths: readonly string[];
  total: number;
  concurrency: number;
  warmup: number;
  check?: (path: string, body: string) => string | null;
}): Promise<SeriesResult> {
  const { baseUrl, session, paths } = options;
  if (paths.length === 0) throw new Error(`${options.name}: no paths`);
  const fetchOne = async (path: string): Promise<number> => {
    const t = performance.now();
    const res = await fetch(`${baseUrl}${path}`, { headers: { cookie: session.cookie }, redirect: 'manual' });
    const body = await res.text();
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`${options.name}: GET ${path} answered ${res.status}`);
    const problem = options.check?.(path, body);
    if (problem) throw new Error(`${options.name}: GET ${path}: ${problem}`);
    return ms;
  };

  let next = 0;
  const byPath = new Map<string, number[]>();
  const run = async (count: number, record: number[] | null) => {
    next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const path = paths[i % paths.length]!;
        const ms = await fetchOne(path);
        if (record) {
          record.push(ms);
          byPath.set(path, [...(byPath.get(path) ?? []), ms]);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  };

  await run(options.warmup, null);
  const samples: number[] = [];
  const t0 = performance.now();
  await run(options.total, samples);
  const elapsedS = (performance.now() - t0) / 1000;
  return {
    name: options.name,
    requests: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    throughput: samples.length / elapsedS,
    slowest: [...byPath]
      .map(([path, values]) => ({ path, p50: percentile(values, 50), n: values.length }))
      .sort((a, b) => b.p50 - a.p50)
      .slice(0, 3),
  };
}

/** Small deterministic PRNG (mulberry32), so two runs ask for the same cases. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
