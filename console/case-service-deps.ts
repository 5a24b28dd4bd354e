import type { AppDeps } from '../runtime/app.js';
import { loadWorkingCalendar } from '../workflows/calendar/calendar.repo.js';
import type { WorkingCalendar } from '../workflows/calendar/working-calendar.js';
import type { CaseServiceDeps } from '../workflows/cases/case-service.js';

/**
 * The calendar is read per request rather than cached: an admin's edit of a holiday must show in the next
 * SLA badge, and the table holds a few dozen exception rows.
 */
export function createCalendarLoader(deps: Pick<AppDeps, 'database'>): () => Promise<WorkingCalendar> {
  return () => loadWorkingCalendar(deps.database.db);
}

/** The workflows' case service dependencies, from the app's. */
export function createCaseServiceDeps(deps: Pick<AppDeps, 'database' | 'clock'>): CaseServiceDeps {
  return { db: deps.database.db, clock: deps.clock, loadCalendar: createCalendarLoader(deps) };
}
