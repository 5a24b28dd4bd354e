import { eq } from 'drizzle-orm';
import { settings } from '../db/schema.js';
import { loadWorkingCalendar } from '../workflows/calendar/calendar.repo.js';
import { localDay } from '../workflows/calendar/working-calendar.js';
import { closeUnratedCases } from '../workflows/cases/case-service.js';
import { retrainFromDatabase } from '../workflows/classifier/retrain-classifier.js';
import type { AppDeps } from './app.js';
import { fitClassifierInThread } from './classifier-thread.js';
import type { Db } from './db.js';
import type { ProductPart } from './start.js';

/**
 * Local hours (Asia/Ho_Chi_Minh) of the nightly classifier retrain, once per day. Only at night: training takes
 * the CPU for seconds, and a process started in the day must not spend its first minutes on it (suggestions use
 * the last stored model, or the built-in one, until the night comes).
 */
export const NIGHTLY_RETRAIN_HOUR = 2;
export const NIGHTLY_RETRAIN_UNTIL_HOUR = 5;
const VN_OFFSET_HOURS = 7;

/** Claims a once-a-day duty for `day`; false when another process (or an earlier tick) already did it. */
async function claimDaily(db: Db, duty: string, day: string, now: Date): Promise<boolean> {
  const key = `daily:${duty}`;
  const [row] = await db.select().from(settings).where(eq(settings.key, key));
  if (row?.value === day) return false;
  const updated = row
    ? await db.update(settings).set({ value: day, updatedAt: now }).where(eq(settings.key, key)).returning()
    : await db.insert(settings).values({ key, value: day, updatedAt: now }).onConflictDoNothing().returning();
  return updated.length > 0;
}

export async function runHousekeeping(deps: AppDeps, now: Date): Promise<void> {
  const db = deps.database.db;
  const closed = await closeUnratedCases({ db, clock: deps.clock, loadCalendar: () => loadWorkingCalendar(db) }, now);
  if (closed.closedCaseIds.length > 0) deps.logger.info({ closed: closed.closedCaseIds.length }, 'closed answered cases without a rating');

  const localHour = (now.getUTCHours() + VN_OFFSET_HOURS) % 24;
  const atNight = localHour >= NIGHTLY_RETRAIN_HOUR && localHour < NIGHTLY_RETRAIN_UNTIL_HOUR;
  if (atNight && (await claimDaily(db, 'classifier-retrain', localDay(now), now))) {
    const metrics = await retrainFromDatabase(db, now, { fit: fitClassifierInThread });
    deps.logger.info({ metrics }, 'classifier retrained');
  }
}

/** Periodic duties of the case workflows: auto-closing unrated answers, the nightly classifier retrain. */
export const housekeepingPart: ProductPart = { name: 'housekeeping', tick: runHousekeeping };
