import { DAY_MS, formatDayNumber, startOfLocalDay, VN_OFFSET_MS } from '../calendar/local-time.js';
import { addWorkingDays, isWorkingDay, workingDaysBetween, type WorkingCalendar } from '../calendar/working-calendar.js';

/**
 * A working calendar unrolled over a span of local days (day numbers: days since 1970-01-01 in +07:00), so
 * the sweep answers "is it a working day", "k working days from here" and "working days between" with an
 * array read each. Ten thousand cases times six rules made the string/Date arithmetic of the calendar
 * functions the bulk of a sweep; this table is built once per sweep from those same functions, so the two
 * cannot disagree. Days outside the span are still answered, the slow way.
 */
export interface WorkingDayIndex {
  readonly calendar: WorkingCalendar;
  /** First and last day number covered (inclusive). */
  readonly first: number;
  readonly last: number;
  /** 1 for a working day, at `day - first`. */
  readonly working: Uint8Array;
  /** Working days in [first, first + i), for i in 0 … last − first + 1. */
  readonly rankBefore: Int32Array;
  /** The working days of the span, ascending: rankBefore turns a day into a position here. */
  readonly workingDays: Int32Array;
}

/** The local day number of an instant (epoch ms). */
export function dayOf(ms: number): number {
  return Math.floor((ms + VN_OFFSET_MS) / DAY_MS);
}

/** Epoch ms of `offsetMs` after local midnight of `day`. */
export function instantOn(day: number, offsetMs: number): number {
  return startOfLocalDay(day) + offsetMs;
}

export function createWorkingDayIndex(calendar: WorkingCalendar, first: number, last: number): WorkingDayIndex {
  if (!Number.isInteger(first) || !Number.isInteger(last) || last < first) throw new RangeError(`Invalid day span ${first}…${last}`);
  const size = last - first + 1;
  const working = new Uint8Array(size);
  const days: number[] = [];
  // Hop from working day to working day with the calendar's own "1 working day later" (it ends on that day):
  // one call per working day, where asking day by day would cost a date string per day.
  for (let day = nextWorkingDay(calendar, first - 1); day <= last; day = nextWorkingDay(calendar, day)) {
    working[day - first] = 1;
    days.push(day);
  }
  const rankBefore = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) rankBefore[i + 1] = rankBefore[i]! + working[i]!;
  return { calendar, first, last, working, rankBefore, workingDays: Int32Array.from(days) };
}

function nextWorkingDay(calendar: WorkingCalendar, day: number): number {
  return dayOf(addWorkingDays(calendar, new Date(startOfLocalDay(day)), 1).getTime());
}

export function isWorkingDayNumber(ix: WorkingDayIndex, day: number): boolean {
  if (day >= ix.first && day <= ix.last) return ix.working[day - ix.first] === 1;
  return isWorkingDay(ix.calendar, formatDayNumber(day));
}

/** The day `n` working days after (n > 0) or before (n < 0) `day`; 0 is `day` itself, working or not. */
export function shiftWorkingDayNumber(ix: WorkingDayIndex, day: number, n: number): number {
  if (n > 0 && day >= ix.first - 1 && day <= ix.last) {
    const at = ix.rankBefore[day + 1 - ix.first]! + n - 1;
    if (at < ix.workingDays.length) return ix.workingDays[at]!;
  } else if (n < 0 && day >= ix.first && day <= ix.last + 1) {
    const at = ix.rankBefore[day - ix.first]! + n;
    if (at >= 0) return ix.workingDays[at]!;
  } else if (n === 0) {
    return day;
  }
  return shiftOutsideSpan(ix, day, n);
}

function shiftOutsideSpan(ix: WorkingDayIndex, day: number, n: number): number {
  const step = n < 0 ? -1 : 1;
  let current = day;
  // A year of days off in a row cannot happen with a sane calendar; the bound keeps a broken one from hanging.
  for (let left = Math.abs(n), guard = 0; left > 0; guard++) {
    if (guard > 366 + Math.abs(n) * 7) throw new Error(`No working day found near ${formatDayNumber(day)}`);
    current += step;
    if (isWorkingDayNumber(ix, current)) left--;
  }
  return current;
}

/** workingDaysBetween of the calendar (working days after `from`'s day up to and including `to`'s), on day numbers. */
export function workingDaysBetweenDays(ix: WorkingDayIndex, from: number, to: number): number {
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  if (lo === hi) return 0;
  if (lo + 1 >= ix.first && hi <= ix.last) {
    const count = ix.rankBefore[hi + 1 - ix.first]! - ix.rankBefore[lo + 1 - ix.first]!;
    // -0 would break Object.is-based equality with workingDaysBetween's answer.
    return from < to || count === 0 ? count : -count;
  }
  return workingDaysBetween(ix.calendar, new Date(startOfLocalDay(from)), new Date(startOfLocalDay(to)));
}
