import {
  MINUTE_MS,
  parseDayNumber,
  readTime,
  startOfLocalDay,
  toLocalDayNumber,
  weekdayOfDayNumber,
} from './local-time.js';

export { formatLocalIso, formatVnDate, formatVnDateTime, localDay } from './local-time.js';

/** One row of the `calendar_days` table: an exception to the Mon–Fri rule (DOMAIN.md §5). */
export interface CalendarDay {
  day: string;
  working: boolean;
  reason: string;
  source?: string | null;
}

export interface WorkingSession {
  start: string;
  end: string;
}

export interface WorkingCalendarOptions {
  sessions?: WorkingSession[];
}

/** Opaque to callers: build it with createWorkingCalendar and pass it back to the functions here. */
export interface WorkingCalendar {
  readonly exceptions: ReadonlyMap<number, boolean>;
  /** Exception days in ascending order, with prefix sums of how each shifts the Mon–Fri count. */
  readonly exceptionDays: readonly number[];
  readonly exceptionDeltaPrefix: readonly number[];
  /** Offsets from local midnight, ascending and disjoint. */
  readonly sessions: readonly { readonly startMs: number; readonly endMs: number }[];
  readonly workingMsPerDay: number;
  /** Upper bound on consecutive days off, so every forward scan has a provable end. */
  readonly maxDaysOffInARow: number;
}

export const DEFAULT_WORKING_SESSIONS: readonly WorkingSession[] = [
  { start: '08:00', end: '12:00' },
  { start: '13:30', end: '17:30' },
];

/** Ten years of working days or ~50 years of working hours: anything larger is a bug upstream. */
export const MAX_WORKING_DAYS = 3650;
export const MAX_WORKING_HOURS = 100_000;

const HOUR_MS = 60 * MINUTE_MS;

export function createWorkingCalendar(days: CalendarDay[], options: WorkingCalendarOptions = {}): WorkingCalendar {
  const sessions = parseSessions(options.sessions ?? DEFAULT_WORKING_SESSIONS);

  const exceptions = new Map<number, boolean>();
  for (const row of days) {
    const dayNumber = parseDayNumber(row.day);
    // The table has the day as its primary key; two rows for one day mean the input was assembled wrongly.
    if (exceptions.has(dayNumber)) throw new RangeError(`Calendar day ${row.day} is listed twice`);
    exceptions.set(dayNumber, row.working);
  }

  const exceptionDays = [...exceptions.keys()].sort((a, b) => a - b);
  const exceptionDeltaPrefix = [0];
  let sum = 0;
  for (const dayNumber of exceptionDays) {
    sum += Number(exceptions.get(dayNumber)) - Number(isWeekdayNumber(dayNumber));
    exceptionDeltaPrefix.push(sum);
  }

  // L consecutive days hold at least 5·⌊L/7⌋ weekdays, each of which would need its own exception row
  // to be off, so no run of days off is longer than 1.4·E + 7.
  const maxDaysOffInARow = 2 * exceptionDays.length + 8;

  return {
    exceptions,
    exceptionDays,
    exceptionDeltaPrefix,
    sessions,
    workingMsPerDay: sessions.reduce((total, s) => total + (s.endMs - s.startMs), 0),
    maxDaysOffInARow,
  };
}

export function isWorkingDay(cal: WorkingCalendar, day: string): boolean {
  return isWorkingDayNumber(cal, parseDayNumber(day));
}

/**
 * DOMAIN.md §5: the period starts the day after `start`'s local day, counts working days only, and ends
 * when the last session of the n-th working day ends. n = 0 means "by the end of today" — the end of the
 * start day's sessions when that day is working (even if `start` is already past it), else the end of the
 * next working day.
 */
export function addWorkingDays(cal: WorkingCalendar, start: Date, n: number): Date {
  assertCount(n, MAX_WORKING_DAYS, 'Working days');
  const startDay = toLocalDayNumber(start);
  let day = startDay;
  if (n === 0) {
    if (!isWorkingDayNumber(cal, day)) day = findNextWorkingDayNumber(cal, day);
  } else {
    for (let counted = 0; counted < n; counted++) day = findNextWorkingDayNumber(cal, day);
  }
  return new Date(endOfWorkingDay(cal, day));
}

/**
 * Counting starts at `start`, or at the next session start when `start` falls outside one. When the hours
 * run out exactly at a session's end the result is that end (12:00 or 17:30), not the next session's start.
 */
export function addWorkingHours(cal: WorkingCalendar, start: Date, hours: number): Date {
  if (!Number.isFinite(hours) || hours < 0 || hours > MAX_WORKING_HOURS) {
    throw new RangeError(`Working hours must be between 0 and ${MAX_WORKING_HOURS}, got ${hours}`);
  }
  let remaining = Math.round(hours * HOUR_MS);
  let cursor = nextWorkingMoment(cal, start).getTime();
  let day = toLocalDayNumber(new Date(cursor));

  const maxDays = Math.ceil(remaining / cal.workingMsPerDay) + 1;
  for (let visited = 0; visited <= maxDays; visited++) {
    const midnight = startOfLocalDay(day);
    for (const session of cal.sessions) {
      const sessionEnd = midnight + session.endMs;
      if (sessionEnd <= cursor) continue;
      const from = Math.max(cursor, midnight + session.startMs);
      const available = sessionEnd - from;
      if (remaining <= available) return new Date(from + remaining);
      remaining -= available;
    }
    day = findNextWorkingDayNumber(cal, day);
    cursor = startOfLocalDay(day);
  }
  throw new Error('addWorkingHours did not converge');
}

/** Working time inside sessions on working days between the two instants; negative when `to` < `from`. */
export function workingMsBetween(cal: WorkingCalendar, from: Date, to: Date): number {
  const a = readTime(from);
  const b = readTime(to);
  return b >= a ? measureWorkingMs(cal, a, b) : negate(measureWorkingMs(cal, b, a));
}

/**
 * Whole working days after `from`'s local day up to and including `to`'s local day; negative when `to`'s
 * day is earlier. Same day → 0. Drives the badges "còn 2 ngày làm việc" / "quá hạn 3 ngày làm việc".
 */
export function workingDaysBetween(cal: WorkingCalendar, from: Date, to: Date): number {
  const a = toLocalDayNumber(from);
  const b = toLocalDayNumber(to);
  if (a < b) return countWorkingDays(cal, a + 1, b);
  if (a > b) return negate(countWorkingDays(cal, b + 1, a));
  return 0;
}

/** Sessions are half-open: at 12:00 or 17:30 the official has stopped, so the answer is the next start. */
export function nextWorkingMoment(cal: WorkingCalendar, at: Date): Date {
  const time = readTime(at);
  const day = toLocalDayNumber(at);
  if (isWorkingDayNumber(cal, day)) {
    const midnight = startOfLocalDay(day);
    for (const session of cal.sessions) {
      if (time < midnight + session.startMs) return new Date(midnight + session.startMs);
      if (time < midnight + session.endMs) return new Date(time);
    }
  }
  return new Date(startOfWorkingDay(cal, findNextWorkingDayNumber(cal, day)));
}

/** -0 would make `Object.is`-based equality (and therefore tests and memo keys) disagree with 0. */
function negate(value: number): number {
  return value === 0 ? 0 : -value;
}

function isWeekdayNumber(dayNumber: number): boolean {
  const weekday = weekdayOfDayNumber(dayNumber);
  return weekday !== 0 && weekday !== 6;
}

function isWorkingDayNumber(cal: WorkingCalendar, dayNumber: number): boolean {
  return cal.exceptions.get(dayNumber) ?? isWeekdayNumber(dayNumber);
}

function findNextWorkingDayNumber(cal: WorkingCalendar, dayNumber: number): number {
  for (let step = 1; step <= cal.maxDaysOffInARow; step++) {
    if (isWorkingDayNumber(cal, dayNumber + step)) return dayNumber + step;
  }
  throw new Error(`No working day within ${cal.maxDaysOffInARow} days after day ${dayNumber}`);
}

function startOfWorkingDay(cal: WorkingCalendar, dayNumber: number): number {
  return startOfLocalDay(dayNumber) + firstSession(cal).startMs;
}

function endOfWorkingDay(cal: WorkingCalendar, dayNumber: number): number {
  return startOfLocalDay(dayNumber) + lastSession(cal).endMs;
}

function firstSession(cal: WorkingCalendar): { startMs: number; endMs: number } {
  const session = cal.sessions[0];
  if (!session) throw new Error('Working calendar has no sessions');
  return session;
}

function lastSession(cal: WorkingCalendar): { startMs: number; endMs: number } {
  const session = cal.sessions[cal.sessions.length - 1];
  if (!session) throw new Error('Working calendar has no sessions');
  return session;
}

/** `a` ≤ `b`, both epoch ms. */
function measureWorkingMs(cal: WorkingCalendar, a: number, b: number): number {
  const firstDay = toLocalDayNumber(new Date(a));
  const lastDay = toLocalDayNumber(new Date(b));
  if (firstDay === lastDay) return measureWorkingMsOnDay(cal, firstDay, a, b);
  return (
    measureWorkingMsOnDay(cal, firstDay, a, Number.POSITIVE_INFINITY) +
    countWorkingDays(cal, firstDay + 1, lastDay - 1) * cal.workingMsPerDay +
    measureWorkingMsOnDay(cal, lastDay, Number.NEGATIVE_INFINITY, b)
  );
}

function measureWorkingMsOnDay(cal: WorkingCalendar, dayNumber: number, from: number, to: number): number {
  if (!isWorkingDayNumber(cal, dayNumber)) return 0;
  const midnight = startOfLocalDay(dayNumber);
  let total = 0;
  for (const session of cal.sessions) {
    const overlap = Math.min(to, midnight + session.endMs) - Math.max(from, midnight + session.startMs);
    if (overlap > 0) total += overlap;
  }
  return total;
}

// Weekdays among the first r days counted from a Thursday (1970-01-01): Thu Fri Sat Sun Mon Tue.
const WEEKDAYS_IN_PARTIAL_WEEK = [0, 1, 2, 2, 2, 3, 4] as const;

/** Mon–Fri days in [0, dayNumber), negative for days before 1970; a prefix sum over all days. */
function countWeekdaysBefore(dayNumber: number): number {
  const weeks = Math.floor(dayNumber / 7);
  return weeks * 5 + (WEEKDAYS_IN_PARTIAL_WEEK[dayNumber - weeks * 7] ?? 0);
}

/** Working days in [first, last] in O(log E), so long spans cost nothing and need no loop bound. */
function countWorkingDays(cal: WorkingCalendar, first: number, last: number): number {
  if (first > last) return 0;
  const weekdays = countWeekdaysBefore(last + 1) - countWeekdaysBefore(first);
  const lo = findLowerBound(cal.exceptionDays, first);
  const hi = findLowerBound(cal.exceptionDays, last + 1);
  return weekdays + (cal.exceptionDeltaPrefix[hi] ?? 0) - (cal.exceptionDeltaPrefix[lo] ?? 0);
}

function findLowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? Number.POSITIVE_INFINITY) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function assertCount(n: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(`${what} must be a whole number between 0 and ${max}, got ${n}`);
  }
}

const CLOCK_PATTERN = /^(\d{2}):(\d{2})$/;

function parseClock(value: string): number {
  const match = CLOCK_PATTERN.exec(value);
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
  if (!match || Number(match[2]) > 59 || !(minutes <= 24 * 60)) {
    throw new RangeError(`Invalid session time "${value}": expected HH:MM between 00:00 and 24:00`);
  }
  return minutes * MINUTE_MS;
}

function parseSessions(input: readonly WorkingSession[]): { startMs: number; endMs: number }[] {
  if (input.length === 0) throw new RangeError('A working calendar needs at least one session');
  const sessions = input
    .map((s) => ({ startMs: parseClock(s.start), endMs: parseClock(s.end), label: `${s.start}-${s.end}` }))
    .sort((a, b) => a.startMs - b.startMs);
  let previousEnd = 0;
  for (const session of sessions) {
    if (session.endMs <= session.startMs) throw new RangeError(`Session ${session.label} ends before it starts`);
    if (session.startMs < previousEnd) throw new RangeError(`Session ${session.label} overlaps the previous one`);
    previousEnd = session.endMs;
  }
  return sessions.map(({ startMs, endMs }) => ({ startMs, endMs }));
}
