import { calendarDays } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import { createWorkingCalendar, type WorkingCalendar } from './working-calendar.js';

/** The admin-editable calendar table as a WorkingCalendar; pass the open transaction when inside one. */
export async function loadWorkingCalendar(q: Queryable): Promise<WorkingCalendar> {
  return createWorkingCalendar(await q.select().from(calendarDays));
}
