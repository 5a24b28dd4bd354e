import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDayNumber, parseDayNumber } from '../../../workflows/calendar/local-time.js';
import { createWorkingCalendar, isWorkingDay, workingDaysBetween } from '../../../workflows/calendar/working-calendar.js';
import { deferInstantToSendWindow, deferToSendWindow, DEFAULT_SEND_WINDOW, parseSendWindow, shiftWorkingDays } from '../../../workflows/nudges/send-window.js';
import {
  createWorkingDayIndex,
  dayOf,
  isWorkingDayNumber,
  shiftWorkingDayNumber,
  workingDaysBetweenDays,
} from '../../../workflows/nudges/working-day-index.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

/**
 * The index is only a faster way to ask the calendar, so the calendar's own string/Date functions are the
 * oracle: days from late 2025 to early 2027 against an index over Jan–Mar 2026 (Tết, the make-up Saturday),
 * so that half the questions fall outside the table and take the slow way.
 */
const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const ix = createWorkingDayIndex(cal, parseDayNumber('2026-01-01'), parseDayNumber('2026-03-31'));
const RUNS = { seed: 20260217, numRuns: 500 } as const;
const anyDay = fc.integer({ min: parseDayNumber('2025-11-01'), max: parseDayNumber('2027-02-28') });
const DAY_MS = 86_400_000;

describe('working-day index', () => {
  it('knows the working days of the table: Tết off, the make-up Saturday 10/01 on', () => {
    expect(isWorkingDayNumber(ix, parseDayNumber('2026-02-17'))).toBe(false);
    expect(isWorkingDayNumber(ix, parseDayNumber('2026-01-10'))).toBe(true);
    expect(isWorkingDayNumber(ix, parseDayNumber('2026-02-23'))).toBe(true);
    expect(formatDayNumber(shiftWorkingDayNumber(ix, parseDayNumber('2026-02-13'), 1))).toBe('2026-02-23');
    expect(formatDayNumber(shiftWorkingDayNumber(ix, parseDayNumber('2026-02-23'), -1))).toBe('2026-02-13');
    expect(workingDaysBetweenDays(ix, parseDayNumber('2026-02-13'), parseDayNumber('2026-02-23'))).toBe(1);
    // Backwards across Tết: no working day in between, and 0 rather than -0 (toBe tells them apart).
    expect(workingDaysBetweenDays(ix, parseDayNumber('2026-02-20'), parseDayNumber('2026-02-14'))).toBe(0);
  });

  it('answers like the calendar, inside and outside its span', () => {
    fc.assert(
      fc.property(anyDay, fc.integer({ min: -25, max: 25 }), (day, n) => {
        const text = formatDayNumber(day);
        expect(isWorkingDayNumber(ix, day)).toBe(isWorkingDay(cal, text));
        expect(formatDayNumber(shiftWorkingDayNumber(ix, day, n))).toBe(shiftWorkingDays(cal, text, n));
      }),
      RUNS,
    );
  });

  it('counts working days between two days like workingDaysBetween, sign included', () => {
    fc.assert(
      fc.property(anyDay, anyDay, (a, b) => {
        const expected = workingDaysBetween(cal, new Date(a * DAY_MS), new Date(b * DAY_MS));
        expect(Object.is(workingDaysBetweenDays(ix, a, b), expected)).toBe(true);
      }),
      RUNS,
    );
  });

  it('defers to the send window like deferToSendWindow', () => {
    const window = parseSendWindow(DEFAULT_SEND_WINDOW);
    fc.assert(
      fc.property(anyDay, fc.integer({ min: 0, max: DAY_MS - 1 }), (day, offset) => {
        const at = day * DAY_MS - 7 * 3_600_000 + offset;
        expect(dayOf(at)).toBe(day);
        expect(deferInstantToSendWindow(ix, window, at)).toBe(deferToSendWindow(cal, DEFAULT_SEND_WINDOW, new Date(at)).getTime());
      }),
      RUNS,
    );
  });

  it('refuses a span that ends before it starts', () => {
    expect(() => createWorkingDayIndex(cal, 20_500, 20_499)).toThrow(RangeError);
  });
});
