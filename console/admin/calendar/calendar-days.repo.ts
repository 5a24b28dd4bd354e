import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { calendarDays } from '../../../db/schema.js';
import type { Db } from '../../../runtime/db.js';

export type CalendarDayRow = typeof calendarDays.$inferSelect;

export async function listCalendarDaysOfYear(db: Db, year: number): Promise<CalendarDayRow[]> {
  return db
    .select()
    .from(calendarDays)
    .where(and(gte(calendarDays.day, `${year}-01-01`), lt(calendarDays.day, `${year + 1}-01-01`)))
    .orderBy(asc(calendarDays.day));
}

export interface CalendarDayValues {
  working: boolean;
  reason: string;
  source: string | null;
}

/** false when the day already has a row (the admin edits that row instead). */
export async function insertCalendarDay(db: Db, day: string, values: CalendarDayValues): Promise<boolean> {
  const rows = await db.insert(calendarDays).values({ day, ...values }).onConflictDoNothing().returning({ day: calendarDays.day });
  return rows.length > 0;
}

export async function updateCalendarDay(db: Db, day: string, values: CalendarDayValues): Promise<boolean> {
  const rows = await db.update(calendarDays).set(values).where(eq(calendarDays.day, day)).returning({ day: calendarDays.day });
  return rows.length > 0;
}

export async function deleteCalendarDay(db: Db, day: string): Promise<boolean> {
  const rows = await db.delete(calendarDays).where(eq(calendarDays.day, day)).returning({ day: calendarDays.day });
  return rows.length > 0;
}
