import { describe, expect, it } from 'vitest';
import {
  addWorkingHours,
  createWorkingCalendar,
  formatLocalIso,
  MAX_WORKING_HOURS,
} from '../../../workflows/calendar/working-calendar.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const at = (iso: string): Date => new Date(iso);
const addHours = (start: string, hours: number): string => formatLocalIso(addWorkingHours(cal, at(start), hours));

describe('addWorkingHours — acceptance', () => {
  it('4 working hours from Fri 13/02 16:00: 1.5 h on Friday, 2.5 h after Tết → Mon 23/02 10:30', () => {
    // 08:00 + 2.5 h is 10:30. The brief listed 11:30, which is what 5 h gives (next test).
    expect(addHours('2026-02-13T16:00:00+07:00', 4)).toBe('2026-02-23T10:30:00+07:00');
  });

  it('5 working hours from Fri 13/02 16:00: 1.5 h on Friday, 3.5 h after Tết → Mon 23/02 11:30', () => {
    expect(addHours('2026-02-13T16:00:00+07:00', 5)).toBe('2026-02-23T11:30:00+07:00');
  });
});

describe('addWorkingHours — sessions', () => {
  it.each([
    ['inside the morning', '2026-03-02T09:00:00+07:00', 2, '2026-03-02T11:00:00+07:00'],
    ['runs out exactly at noon → noon, not 13:30', '2026-03-02T09:00:00+07:00', 3, '2026-03-02T12:00:00+07:00'],
    ['crosses the lunch break', '2026-03-02T11:00:00+07:00', 2, '2026-03-02T14:30:00+07:00'],
    ['starts during lunch', '2026-03-02T12:30:00+07:00', 1, '2026-03-02T14:30:00+07:00'],
    ['starts before opening', '2026-03-02T06:00:00+07:00', 0.5, '2026-03-02T08:30:00+07:00'],
    ['runs out exactly at the close', '2026-03-02T08:00:00+07:00', 8, '2026-03-02T17:30:00+07:00'],
    ['starts at the close → next morning', '2026-03-02T17:30:00+07:00', 1, '2026-03-03T09:00:00+07:00'],
    ['Friday night → Monday', '2026-03-06T22:00:00+07:00', 4, '2026-03-09T12:00:00+07:00'],
    ['uses the make-up Saturday', '2026-01-09T17:00:00+07:00', 1, '2026-01-10T08:30:00+07:00'],
    ['skips Quốc khánh', '2026-08-28T16:30:00+07:00', 2, '2026-09-03T09:00:00+07:00'],
    ['three full days', '2026-03-02T08:00:00+07:00', 24, '2026-03-04T17:30:00+07:00'],
    ['fractional minutes', '2026-03-02T08:00:00+07:00', 1 / 60, '2026-03-02T08:01:00+07:00'],
  ])('%s', (_label, start, hours, expected) => {
    expect(addHours(start, hours)).toBe(expected);
  });

  it('0 hours gives the moment counting would start', () => {
    expect(addHours('2026-03-02T09:10:00+07:00', 0)).toBe('2026-03-02T09:10:00+07:00');
    expect(addHours('2026-03-06T18:00:00+07:00', 0)).toBe('2026-03-09T08:00:00+07:00');
  });

  it('follows custom sessions', () => {
    const custom = createWorkingCalendar([], { sessions: [{ start: '07:00', end: '11:00' }, { start: '13:00', end: '17:00' }] });
    expect(formatLocalIso(addWorkingHours(custom, at('2026-03-02T10:00:00+07:00'), 2))).toBe('2026-03-02T14:00:00+07:00');
  });
});

describe('addWorkingHours — bounds', () => {
  it.each([-0.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_WORKING_HOURS + 1])('refuses %s hours', (hours) => {
    expect(() => addWorkingHours(cal, at('2026-03-02T09:00:00+07:00'), hours)).toThrow(RangeError);
  });

  it('handles the maximum (12 500 working days) without running away', () => {
    const due = addWorkingHours(cal, at('2026-01-05T08:00:00+07:00'), MAX_WORKING_HOURS);
    expect(formatLocalIso(due).slice(11)).toBe('17:30:00+07:00');
    expect(due.getUTCFullYear()).toBeGreaterThan(2070);
  });
});
