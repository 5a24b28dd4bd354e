import { describe, expect, it } from 'vitest';
import {
  createWorkingCalendar,
  formatLocalIso,
  formatVnDate,
  formatVnDateTime,
  isWorkingDay,
  localDay,
  nextWorkingMoment,
  workingDaysBetween,
  workingMsBetween,
} from '../../../workflows/calendar/working-calendar.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const at = (iso: string): Date => new Date(iso);
const HOUR = 3_600_000;

describe('createWorkingCalendar', () => {
  it('refuses malformed or impossible days', () => {
    expect(() => createWorkingCalendar([{ day: '2026-2-1', working: false, reason: 'x' }])).toThrow(RangeError);
    expect(() => createWorkingCalendar([{ day: '2026-02-30', working: false, reason: 'x' }])).toThrow(RangeError);
    expect(() => createWorkingCalendar([{ day: '2026-13-01', working: false, reason: 'x' }])).toThrow(RangeError);
  });

  it('refuses a day listed twice', () => {
    const row = { day: '2026-05-04', working: false, reason: 'x' };
    expect(() => createWorkingCalendar([row, { ...row, working: true }])).toThrow(/listed twice/);
  });

  it('refuses empty, reversed, overlapping or malformed sessions', () => {
    expect(() => createWorkingCalendar([], { sessions: [] })).toThrow(RangeError);
    expect(() => createWorkingCalendar([], { sessions: [{ start: '12:00', end: '08:00' }] })).toThrow(/ends before/);
    expect(() =>
      createWorkingCalendar([], {
        sessions: [
          { start: '08:00', end: '12:30' },
          { start: '12:00', end: '17:00' },
        ],
      }),
    ).toThrow(/overlaps/);
    expect(() => createWorkingCalendar([], { sessions: [{ start: '8:00', end: '12:00' }] })).toThrow(RangeError);
    expect(() => createWorkingCalendar([], { sessions: [{ start: '08:60', end: '12:00' }] })).toThrow(RangeError);
    expect(() => createWorkingCalendar([], { sessions: [{ start: '08:00', end: '24:01' }] })).toThrow(RangeError);
  });

  it('accepts sessions given out of order', () => {
    const custom = createWorkingCalendar([], {
      sessions: [
        { start: '13:00', end: '17:00' },
        { start: '07:30', end: '11:30' },
      ],
    });
    expect(nextWorkingMoment(custom, at('2026-06-01T05:00:00+07:00'))).toEqual(at('2026-06-01T07:30:00+07:00'));
    expect(workingMsBetween(custom, at('2026-06-01T00:00:00+07:00'), at('2026-06-02T00:00:00+07:00'))).toBe(8 * HOUR);
  });
});

describe('isWorkingDay', () => {
  it.each([
    ['2026-01-01', false, 'Tết Dương lịch (Thursday)'],
    ['2026-01-02', false, 'swapped-off Friday'],
    ['2026-01-05', true, 'ordinary Monday'],
    ['2026-01-10', true, 'make-up Saturday'],
    ['2026-01-11', false, 'ordinary Sunday'],
    ['2026-01-17', false, 'ordinary Saturday'],
    ['2026-02-13', true, 'Friday before Tết'],
    ['2026-02-16', false, 'Tết Monday'],
    ['2026-02-20', false, 'Tết Friday'],
    ['2026-02-23', true, 'first day back after Tết'],
    ['2026-04-27', false, 'nghỉ bù Giỗ Tổ'],
    ['2026-04-30', false, 'Ngày Chiến thắng'],
    ['2026-05-01', false, 'Quốc tế lao động'],
    ['2026-08-22', true, 'make-up Saturday for Quốc khánh'],
    ['2026-08-31', false, 'swapped-off Monday'],
    ['2026-09-01', false, 'Quốc khánh adjacent day'],
    ['2026-09-02', false, 'Quốc khánh'],
    ['2026-09-03', true, 'Thursday after Quốc khánh'],
  ])('%s → %s (%s)', (day, expected) => {
    expect(isWorkingDay(cal, day)).toBe(expected);
  });

  it('applies only the weekend rule outside the table', () => {
    expect(isWorkingDay(cal, '2027-01-01')).toBe(true); // Friday: no 2027 rows loaded
    expect(isWorkingDay(cal, '2027-01-02')).toBe(false);
    expect(isWorkingDay(cal, '2025-09-02')).toBe(true); // Tuesday, not in the 2026 table
    expect(isWorkingDay(cal, '1969-12-31')).toBe(true); // Wednesday, before the epoch
    expect(isWorkingDay(cal, '1969-12-28')).toBe(false); // Sunday
  });

  it('lets the table override a weekday to working or a weekend to off explicitly', () => {
    const custom = createWorkingCalendar([
      { day: '2026-06-01', working: true, reason: 'redundant' },
      { day: '2026-06-06', working: true, reason: 'make-up' },
    ]);
    expect(isWorkingDay(custom, '2026-06-01')).toBe(true);
    expect(isWorkingDay(custom, '2026-06-06')).toBe(true);
    expect(workingDaysBetween(custom, at('2026-05-31T12:00:00+07:00'), at('2026-06-07T12:00:00+07:00'))).toBe(6);
  });

  it('refuses a malformed day', () => {
    expect(() => isWorkingDay(cal, '2026/01/01')).toThrow(RangeError);
  });
});

describe('local time (fixed +07:00)', () => {
  it('maps an instant to its Hà Nội day, across the UTC date line', () => {
    expect(localDay(at('2026-02-13T16:59:59.999Z'))).toBe('2026-02-13');
    expect(localDay(at('2026-02-13T17:00:00Z'))).toBe('2026-02-14');
    expect(localDay(at('2025-12-31T17:00:00Z'))).toBe('2026-01-01');
  });

  it('formats instants for people and for machines', () => {
    const due = at('2026-03-06T10:30:00Z');
    expect(formatLocalIso(due)).toBe('2026-03-06T17:30:00+07:00');
    expect(formatVnDate(due)).toBe('06/03/2026');
    expect(formatVnDateTime(due)).toBe('17:30 06/03/2026');
    expect(formatLocalIso(at('2026-01-01T00:00:00.045+07:00'))).toBe('2026-01-01T00:00:00.045+07:00');
    expect(formatVnDateTime(at('2025-12-31T17:05:00Z'))).toBe('00:05 01/01/2026');
  });

  it('round-trips formatLocalIso through Date parsing', () => {
    const instant = at('2026-08-22T01:02:03.004Z');
    expect(new Date(formatLocalIso(instant)).getTime()).toBe(instant.getTime());
  });

  it('refuses an Invalid Date', () => {
    expect(() => localDay(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => nextWorkingMoment(cal, new Date('nope'))).toThrow(RangeError);
  });
});

describe('nextWorkingMoment', () => {
  it.each([
    ['inside the morning session', '2026-03-02T09:15:00+07:00', '2026-03-02T09:15:00+07:00'],
    ['at a session start', '2026-03-02T08:00:00+07:00', '2026-03-02T08:00:00+07:00'],
    ['before the morning session', '2026-03-02T06:00:00+07:00', '2026-03-02T08:00:00+07:00'],
    ['at noon (sessions are half-open)', '2026-03-02T12:00:00+07:00', '2026-03-02T13:30:00+07:00'],
    ['during the lunch break', '2026-03-02T12:45:00+07:00', '2026-03-02T13:30:00+07:00'],
    ['one ms before the close', '2026-03-02T17:29:59.999+07:00', '2026-03-02T17:29:59.999+07:00'],
    ['at the close', '2026-03-02T17:30:00+07:00', '2026-03-03T08:00:00+07:00'],
    ['Friday evening → Monday', '2026-03-06T20:00:00+07:00', '2026-03-09T08:00:00+07:00'],
    ['Friday before Tết → after Tết', '2026-02-13T18:00:00+07:00', '2026-02-23T08:00:00+07:00'],
    ['Friday evening → make-up Saturday', '2026-01-09T19:00:00+07:00', '2026-01-10T08:00:00+07:00'],
    ['on a holiday morning', '2026-09-02T09:00:00+07:00', '2026-09-03T08:00:00+07:00'],
  ])('%s', (_label, input, expected) => {
    expect(formatLocalIso(nextWorkingMoment(cal, at(input)))).toBe(formatLocalIso(at(expected)));
  });

  it('returns a copy, never the caller’s Date', () => {
    const inside = at('2026-03-02T09:15:00+07:00');
    expect(nextWorkingMoment(cal, inside)).not.toBe(inside);
  });
});

describe('workingMsBetween', () => {
  it('counts only time inside sessions', () => {
    expect(workingMsBetween(cal, at('2026-03-02T07:00:00+07:00'), at('2026-03-02T19:00:00+07:00'))).toBe(8 * HOUR);
    expect(workingMsBetween(cal, at('2026-03-02T11:00:00+07:00'), at('2026-03-02T14:00:00+07:00'))).toBe(1.5 * HOUR);
    expect(workingMsBetween(cal, at('2026-03-02T12:10:00+07:00'), at('2026-03-02T13:20:00+07:00'))).toBe(0);
  });

  it('skips Tết and weekends', () => {
    // Fri 13/02 16:00 → 17:30 is 1.5 h; 14–22/02 off; Mon 23/02 08:00 → 11:30 is 3.5 h.
    expect(workingMsBetween(cal, at('2026-02-13T16:00:00+07:00'), at('2026-02-23T11:30:00+07:00'))).toBe(5 * HOUR);
  });

  it('counts the make-up Saturday', () => {
    expect(workingMsBetween(cal, at('2026-01-09T17:30:00+07:00'), at('2026-01-12T08:00:00+07:00'))).toBe(8 * HOUR);
  });

  it('adds whole working days in the middle of a long span', () => {
    // All of 2026: 261 Mon–Fri days, 13 listed weekdays off (1–2/1, 16–20/2, 27/4, 30/4, 1/5, 31/8, 1–2/9), 2 make-up Saturdays.
    const days2026 = 261 - 13 + 2;
    expect(workingMsBetween(cal, at('2026-01-01T00:00:00+07:00'), at('2027-01-01T00:00:00+07:00'))).toBe(days2026 * 8 * HOUR);
  });

  it('is negative when `to` is before `from`, and exactly 0 (not -0) when nothing is worked', () => {
    expect(workingMsBetween(cal, at('2026-03-02T11:00:00+07:00'), at('2026-03-02T09:00:00+07:00'))).toBe(-2 * HOUR);
    expect(workingMsBetween(cal, at('2026-03-08T11:00:00+07:00'), at('2026-03-07T09:00:00+07:00'))).toBe(0);
  });
});

describe('workingDaysBetween', () => {
  it.each([
    ['same day', '2026-03-02T08:00:00+07:00', '2026-03-02T23:00:00+07:00', 0],
    ['next working day', '2026-03-02T17:30:00+07:00', '2026-03-03T08:00:00+07:00', 1],
    ['over a weekend', '2026-03-06T10:00:00+07:00', '2026-03-09T10:00:00+07:00', 1],
    ['across Tết', '2026-02-13T10:00:00+07:00', '2026-03-06T10:00:00+07:00', 10],
    ['onto the make-up Saturday', '2026-01-09T10:00:00+07:00', '2026-01-10T10:00:00+07:00', 1],
    ['ends on a day off', '2026-03-06T10:00:00+07:00', '2026-03-08T10:00:00+07:00', 0],
    ['backwards', '2026-03-06T10:00:00+07:00', '2026-03-03T10:00:00+07:00', -3],
    ['backwards from a Sunday', '2026-03-08T10:00:00+07:00', '2026-03-05T10:00:00+07:00', -1],
    ['backwards across Tết', '2026-02-23T10:00:00+07:00', '2026-02-13T10:00:00+07:00', -1],
    ['uses the local day, not the UTC day', '2026-03-02T23:30:00+07:00', '2026-03-03T00:30:00+07:00', 1],
  ])('%s', (_label, from, to, expected) => {
    expect(workingDaysBetween(cal, at(from), at(to))).toBe(expected);
  });

  it('counts 250 working days in 2026 and 261 in 2027 (no 2027 rows loaded)', () => {
    expect(workingDaysBetween(cal, at('2025-12-31T12:00:00+07:00'), at('2026-12-31T12:00:00+07:00'))).toBe(250);
    expect(workingDaysBetween(cal, at('2026-12-31T12:00:00+07:00'), at('2027-12-31T12:00:00+07:00'))).toBe(261);
  });
});
