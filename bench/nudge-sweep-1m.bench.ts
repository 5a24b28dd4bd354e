import { performance } from 'node:perf_hooks';
import { openDatabase, type Db } from '../runtime/db.js';
import type { BenchModule } from './lib/results.js';
import { ensureMillionDatabase, MILLION_ANCHOR } from './lib/seed-million.js';
import { queryOnce } from './lib/services.js';
import { fmt, median } from './lib/stats.js';

/**
 * One SLA nudge sweep over the 1M-case database (issue 6): `sweepNudges(deps, now)` of workflows/nudges, run
 * in this process against `pakn_bench_1m` the way the scheduler tick runs it (a pg pool, the calendar and the
 * rules from the database). The module is loaded at run time so this benchmark reports a skip, not a crash,
 * while the sweep is not there.
 *
 * The measured tick is the heaviest of a working day: 08:00 on Monday (the data's anchor), when the reminders
 * of the day fall due at once (before-2/before-1/due-today mornings, every overdue case's daily repeat). Before
 * it, a sweep at Friday 17:00 stands in for the ticks of the previous days, so reminders sent earlier (one-off
 * escalations) are already in the outbox as they would be. Every outbox row a sweep writes is deleted at the
 * end, so the database stays as seeded.
 *
 * Each deletion is followed by a VACUUM of the outbox: with autovacuum off (as on the bench machine) the dead
 * rows of earlier runs, the same keys again and again, piled up in outbox_key_uq and made every run slower than
 * the one before it, for a reason no production outbox has.
 */

const SWEEP_MODULE = '../workflows/nudges/sweep-nudges.js';
const MEASURED_RUNS = 3;
/** The previous working day's last tick (Friday before the anchor Monday). */
const WARM_UP_AT = new Date('2026-11-20T17:00:00+07:00');

interface SweepOutcome {
  candidates: number;
  due: number;
  inserted: number;
}
type SweepFn = (deps: { db: Db }, now: Date) => Promise<SweepOutcome>;

async function loadSweep(): Promise<SweepFn | string> {
  try {
    const mod = (await import(SWEEP_MODULE)) as Record<string, unknown>;
    return typeof mod.sweepNudges === 'function' ? (mod.sweepNudges as SweepFn) : `${SWEEP_MODULE} has no sweepNudges export`;
  } catch (err) {
    return `${SWEEP_MODULE} could not be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

export const nudgeSweepAt1mBench: BenchModule = {
  name: 'nudge-1m',
  produces: ['nudge_sweep_ms_1m'],
  async run() {
    const sweep = await loadSweep();
    if (typeof sweep === 'string') {
      console.log(`  skipped: ${sweep}`);
      return { figures: {}, notes: [`Skipped: ${sweep}; nudge_sweep_ms_1m is not measured until workflows/nudges exports sweepNudges(deps, now).`] };
    }

    const data = await ensureMillionDatabase();
    const [open] = await queryOnce<{ running: number; overdue: number; awaiting: number }>(
      data.url,
      `select count(*) filter (where status in ('received', 'assigned', 'in_progress', 'pending_approval'))::int as running,
              count(*) filter (where status in ('received', 'assigned', 'in_progress', 'pending_approval') and answer_due_at < $1)::int as overdue,
              count(*) filter (where status = 'awaiting_info')::int as awaiting
       from cases where id <= 1000000`,
      [MILLION_ANCHOR],
    );
    const [{ maxId: startMaxId } = { maxId: 0 }] = await queryOnce<{ maxId: number }>(data.url, 'select coalesce(max(id), 0)::bigint as "maxId" from outbox');
    const deleteAfter = async (id: number) => {
      await queryOnce(data.url, 'delete from outbox where id > $1', [id]);
      await queryOnce(data.url, 'vacuum outbox');
    };

    const database = await openDatabase({ kind: 'pg', url: data.url });
    const timed = async (now: Date) => {
      const t = performance.now();
      const result = await sweep({ db: database.db }, now);
      return { ms: performance.now() - t, ...result };
    };
    try {
      const warmUp = await timed(WARM_UP_AT);
      const [{ maxId: afterWarmUp } = { maxId: startMaxId }] = await queryOnce<{ maxId: number }>(
        data.url,
        'select coalesce(max(id), 0)::bigint as "maxId" from outbox',
      );
      const runs: Array<Awaited<ReturnType<typeof timed>>> = [];
      for (let i = 0; i < MEASURED_RUNS; i++) {
        // Each measured run starts from the same outbox: what the warm-up left.
        if (i > 0) await deleteAfter(Number(afterWarmUp));
        runs.push(await timed(MILLION_ANCHOR));
        console.log(`  sweep at Monday 08:00 #${i + 1}: ${fmt(runs[i]!.ms, 0)} ms (${runs[i]!.candidates} candidates, ${runs[i]!.inserted} written)`);
      }
      const steady = await timed(new Date(MILLION_ANCHOR.getTime() + 60_000));
      const figure = median(runs.map((r) => r.ms));
      return {
        figures: { nudge_sweep_ms_1m: figure },
        notes: [
          ...data.description,
          `Open cases at the anchor: ${fmt(open?.running ?? 0)} with a running clock (${fmt(open?.overdue ?? 0)} past their answer date) + ${fmt(open?.awaiting ?? 0)} awaiting_info (clock stopped); default nudge rules (db/seeds/seed-nudges.ts).`,
          `sweepNudges(deps, now) in the bench process on a pg pool of 10 (as the worker; the sweep runs its big reads and its insert two statements at a time), calendar and rules read from the database each sweep.`,
          `Warm-up tick Friday 17:00: ${fmt(warmUp.ms, 0)} ms, ${warmUp.candidates} candidates, ${warmUp.due} due, ${warmUp.inserted} written.`,
          `Measured tick Monday 08:00 (the morning's reminders all due), ${MEASURED_RUNS} runs from the same outbox: ${runs.map((r) => `${fmt(r.ms, 0)} ms`).join(', ')} — ${runs[0]!.candidates} candidates, ${runs[0]!.due} due, ${runs[0]!.inserted} written; figure = median ${fmt(figure, 0)} ms.`,
          `Next tick 08:01 (everything due already sent): ${fmt(steady.ms, 0)} ms, ${steady.candidates} candidates, ${steady.due} due, ${steady.inserted} written.`,
        ],
      };
    } finally {
      await database.close();
      await deleteAfter(Number(startMaxId));
    }
  },
};

if (process.argv[1]?.endsWith('nudge-sweep-1m.bench.ts')) {
  const outcome = await nudgeSweepAt1mBench.run();
  console.log(JSON.stringify(outcome, null, 2));
}
