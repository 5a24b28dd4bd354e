import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  addWorkingHours,
  createWorkingCalendar,
  formatLocalIso,
  isWorkingDay,
  localDay,
  nextWorkingMoment,
  workingDaysBetween,
  workingMsBetween,
} from '../../../workflows/calendar/working-calendar.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

/**
 * Properties over instants from late 2025 to early 2027, so runs cross the table's edges. A fixed seed
 * keeps every run identical; the oracles below use Intl and date strings, not the fixed-offset code under
 * test, so a wrong offset or a wrong prefix sum shows up as a disagreement.
 */
const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const RUNS = { seed: 20260213, numRuns: 400 } as const;
const HOUR = 3_600_000;

const exceptions = new Map(CALENDAR_2026_DAYS.map((row) => [row.day, row.working]));
const intlDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Ho_Chi_Minh',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

function oracleDay(at: Date): string {
  return intlDay.format(at);
}

function oracleIsWorking(day: string): boolean {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return exceptions.get(day) ?? (weekday !== 0 && weekday !== 6);
}

function oracleNextDay(day: string): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function oracleSessions(day: string): [number, number][] {
  return [
    [Date.parse(`${day}T08:00:00+07:00`), Date.parse(`${day}T12:00:00+07:00`)],
    [Date.parse(`${day}T13:30:00+07:00`), Date.parse(`${day}T17:30:00+07:00`)],
  ];
}

// `0 - x` rather than `-x` below: the oracles must not produce -0, which toBe() tells apart from 0.
function oracleWorkingMs(from: Date, to: Date): number {
  if (to < from) return 0 - oracleWorkingMs(to, from);
  let total = 0;
  for (let day = oracleDay(from); day <= oracleDay(to); day = oracleNextDay(day)) {
    if (!oracleIsWorking(day)) continue;
    for (const [start, end] of oracleSessions(day)) {
      total += Math.max(0, Math.min(end, to.getTime()) - Math.max(start, from.getTime()));
    }
  }
  return total;
}

function oracleWorkingDays(from: Date, to: Date): number {
  const a = oracleDay(from);
  const b = oracleDay(to);
  if (a > b) return 0 - oracleWorkingDays(to, from);
  let count = 0;
  for (let day = oracleNextDay(a); day <= b; day = oracleNextDay(day)) if (oracleIsWorking(day)) count++;
  return count;
}

function isInsideClosedSession(at: Date): boolean {
  const day = oracleDay(at);
  return oracleIsWorking(day) && oracleSessions(day).some(([s, e]) => at.getTime() >= s && at.getTime() <= e);
}

const FROM = Date.parse('2025-11-01T00:00:00+07:00');
const TO = Date.parse('2027-03-01T00:00:00+07:00');
const BOUNDARY_TIMES = ['00:00', '07:59', '08:00', '11:59', '12:00', '13:29', '13:30', '17:29', '17:30', '23:59'];

/** Half the instants are random, half sit on a session edge (± 0–1 ms) where off-by-one bugs live. */
const instant = fc.oneof(
  fc.integer({ min: FROM, max: TO }).map((ms) => new Date(ms)),
  fc
    .tuple(fc.integer({ min: 0, max: 485 }), fc.constantFrom(...BOUNDARY_TIMES), fc.constantFrom(-1, 0, 0, 1))
    .map(([dayOffset, time, jitter]) => {
      const day = new Date(FROM + dayOffset * 86_400_000 + 7 * HOUR).toISOString().slice(0, 10);
      return new Date(Date.parse(`${day}T${time}:00+07:00`) + jitter);
    }),
);
const workingDayCount = fc.integer({ min: 0, max: 60 });
/** Whole minutes, as people enter them, and arbitrary milliseconds. */
const hourCount = fc.oneof(
  fc.integer({ min: 0, max: 200 * 60 }).map((minutes) => minutes / 60),
  fc.integer({ min: 0, max: 200 * HOUR }).map((ms) => ms / HOUR),
);

describe('calendar properties (2026 table, fixed seed)', () => {
  it('localDay agrees with Intl for Asia/Ho_Chi_Minh, and formatLocalIso parses back to the instant', () => {
    fc.assert(
      fc.property(instant, (at) => {
        expect(localDay(at)).toBe(oracleDay(at));
        expect(new Date(formatLocalIso(at)).getTime()).toBe(at.getTime());
      }),
      RUNS,
    );
  });

  it('addWorkingDays ends a working day at 17:30, the n-th working day after the start day', () => {
    fc.assert(
      fc.property(instant, workingDayCount, (start, n) => {
        const due = addWorkingDays(cal, start, n);
        const day = localDay(due);
        expect(isWorkingDay(cal, day)).toBe(true);
        expect(oracleIsWorking(day)).toBe(true);
        expect(formatLocalIso(due)).toBe(`${day}T17:30:00+07:00`);
        if (n > 0) expect(oracleWorkingDays(start, due)).toBe(n);
      }),
      RUNS,
    );
  });

  it('addWorkingDays is monotone in n, strictly from n = 1', () => {
    fc.assert(
      fc.property(instant, workingDayCount, (start, n) => {
        const earlier = addWorkingDays(cal, start, n).getTime();
        const later = addWorkingDays(cal, start, n + 1).getTime();
        if (n === 0) expect(later).toBeGreaterThanOrEqual(earlier);
        else expect(later).toBeGreaterThan(earlier);
      }),
      RUNS,
    );
  });

  it('workingDaysBetween(start, addWorkingDays(start, n)) === n (n = 0 from a day off counts that next day)', () => {
    fc.assert(
      fc.property(instant, workingDayCount, (start, n) => {
        const between = workingDaysBetween(cal, start, addWorkingDays(cal, start, n));
        const startsOnDayOff = !isWorkingDay(cal, localDay(start));
        expect(between).toBe(n === 0 && startsOnDayOff ? 1 : n);
      }),
      RUNS,
    );
  });

  it('addWorkingHours round-trips through workingMsBetween and stops at the first such instant', () => {
    fc.assert(
      fc.property(instant, hourCount, (start, hours) => {
        const due = addWorkingHours(cal, start, hours);
        const target = Math.round(hours * HOUR);
        expect(workingMsBetween(cal, start, due)).toBe(target);
        expect(due.getTime()).toBeGreaterThanOrEqual(start.getTime());
        expect(isInsideClosedSession(due)).toBe(true);
        if (target > 0) expect(workingMsBetween(cal, start, new Date(due.getTime() - 1))).toBe(target - 1);
      }),
      RUNS,
    );
  });

  it('nextWorkingMoment is idempotent, never earlier, inside a session, and skips no working time', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const next = nextWorkingMoment(cal, at);
        expect(next.getTime()).toBeGreaterThanOrEqual(at.getTime());
        expect(nextWorkingMoment(cal, next).getTime()).toBe(next.getTime());
        expect(workingMsBetween(cal, at, next)).toBe(0);
        // Half-open sessions: the instant is working time, so one more ms is worked.
        expect(workingMsBetween(cal, next, new Date(next.getTime() + 1))).toBe(1);
      }),
      RUNS,
    );
  });

  it('workingMsBetween agrees with a day-by-day oracle, is antisymmetric and additive', () => {
    fc.assert(
      fc.property(instant, instant, instant, (a, b, c) => {
        const ab = workingMsBetween(cal, a, b);
        expect(ab).toBe(oracleWorkingMs(a, b));
        expect(workingMsBetween(cal, b, a)).toBe(ab === 0 ? 0 : -ab);
        expect(ab + workingMsBetween(cal, b, c)).toBe(workingMsBetween(cal, a, c));
      }),
      RUNS,
    );
  });

  it('workingDaysBetween agrees with a day-by-day oracle and is antisymmetric', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        const ab = workingDaysBetween(cal, a, b);
        expect(ab).toBe(oracleWorkingDays(a, b));
        expect(workingDaysBetween(cal, b, a)).toBe(ab === 0 ? 0 : -ab);
      }),
      RUNS,
    );
  });
});
