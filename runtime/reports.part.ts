import { loadWorkingCalendar } from '../workflows/calendar/calendar.repo.js';
import { localDay } from '../workflows/calendar/working-calendar.js';
import { sweepDigests, type DigestOptions } from '../workflows/nudges/daily-digest.js';
import { sweepNudges } from '../workflows/nudges/sweep-nudges.js';
import { ensureObligations } from '../workflows/reports/report-obligations.js';
import { sweepReportReminders } from '../workflows/reports/report-reminders.js';
import type { AppDeps } from './app.js';
import { relayOutbox } from './outbox/outbox.js';
import type { ProductPart } from './start.js';

export interface ReportsPartOptions {
  digest?: Partial<DigestOptions>;
}

/**
 * Deadlines that reach people without anyone opening the console: case nudges and escalations every tick,
 * the morning digest, report obligations for the current and next period, report reminders and the list of
 * units that missed a deadline. Every write is an outbox row with a stable key, so several workers, a
 * restart or a repeated tick never send anything twice; the once-a-day duties are also remembered per
 * process so they cost one pass a day, not one a minute.
 */
export function createReportsPart(options: ReportsPartOptions = {}): ProductPart {
  let obligationsDoneFor: string | undefined;
  let digestsDoneFor: string | undefined;

  async function runDuty<T>(deps: AppDeps, duty: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      // One broken duty (e.g. a regime row an operator mistyped) must not stop the others.
      deps.logger.error({ err, duty }, 'deadline duty failed');
      return undefined;
    }
  }

  return {
    name: 'reports',
    // Its HTTP routes (POST /api/v1/report-submissions, GET /api/v1/indicators) are part of the documented JSON
    // API: console/api/api.part.ts.
    tick: async (deps, now) => {
      const db = deps.database.db;
      const calendar = await loadWorkingCalendar(db);
      const loadCalendar = async () => calendar;
      const today = localDay(now);
      const consoleUrl = `${deps.config.publicBaseUrl}/console`;
      let written = 0;

      const nudges = await runDuty(deps, 'nudges', () => sweepNudges({ db, loadCalendar }, now));
      written += nudges?.inserted ?? 0;

      if (digestsDoneFor !== today) {
        const digests = await runDuty(deps, 'digests', () => sweepDigests({ db, loadCalendar, consoleUrl, options: options.digest }, now));
        if (digests && !digests.skipped) digestsDoneFor = today;
        written += digests?.inserted ?? 0;
      }

      if (obligationsDoneFor !== today) {
        const obligations = await runDuty(deps, 'report-obligations', () => ensureObligations(db, now, { calendar }));
        if (obligations) {
          obligationsDoneFor = today;
          if (obligations.created > 0) deps.logger.info({ created: obligations.created }, 'report obligations created');
        }
      }

      const reminders = await runDuty(deps, 'report-reminders', () => sweepReportReminders({ db, loadCalendar, consoleUrl }, now));
      written += reminders?.inserted ?? 0;

      // The scheduler relays at the start of the next tick anyway; relaying now saves officials a minute.
      if (written > 0) await relayOutbox(db, deps.jobs, now);
    },
  };
}

export const reportsPart: ProductPart = createReportsPart();
