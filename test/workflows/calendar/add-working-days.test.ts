import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  createWorkingCalendar,
  formatLocalIso,
  MAX_WORKING_DAYS,
} from '../../../workflows/calendar/working-calendar.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const at = (iso: string): Date => new Date(iso);
const addDays = (start: string, n: number): string => formatLocalIso(addWorkingDays(cal, at(start), n));

describe('addWorkingDays — acceptance (DOMAIN.md §5, 2026 calendar)', () => {
  it('10 working days from Fri 13/02 16:00 skip Tết 14–22/02 and end Fri 06/03 17:30', () => {
    expect(addDays('2026-02-13T16:00:00+07:00', 10)).toBe('2026-03-06T17:30:00+07:00');
  });

  it('5 working days from Fri 24/04 skip Giỗ Tổ, nghỉ bù, 30/4 and 1/5 and end Wed 06/05', () => {
    expect(addDays('2026-04-24T10:00:00+07:00', 5)).toBe('2026-05-06T17:30:00+07:00');
  });

  it('1 working day from Fri 09/01 ends on the make-up Saturday 10/01', () => {
    expect(addDays('2026-01-09T10:00:00+07:00', 1)).toBe('2026-01-10T17:30:00+07:00');
  });

  it('2 working days from Fri 21/08 count the make-up Saturday 22/08 and end Mon 24/08', () => {
    expect(addDays('2026-08-21T10:00:00+07:00', 2)).toBe('2026-08-24T17:30:00+07:00');
  });
});

describe('addWorkingDays — counting rules', () => {
  it('starts the day after the start instant’s local day, whatever the hour', () => {
    expect(addDays('2026-03-02T00:00:00+07:00', 1)).toBe('2026-03-03T17:30:00+07:00');
    expect(addDays('2026-03-02T23:59:59+07:00', 1)).toBe('2026-03-03T17:30:00+07:00');
    // 2026-03-02T23:30+07:00 is still 2 March in UTC too; 2026-03-02T18:00Z is 3 March locally.
    expect(addDays('2026-03-02T18:00:00Z', 1)).toBe('2026-03-04T17:30:00+07:00');
  });

  it('from a day off, the first counted day is the next working one', () => {
    expect(addDays('2026-03-07T10:00:00+07:00', 1)).toBe('2026-03-09T17:30:00+07:00'); // Saturday
    expect(addDays('2026-02-17T10:00:00+07:00', 1)).toBe('2026-02-23T17:30:00+07:00'); // mùng 1 Tết
  });

  it('skips Quốc khánh 29/08–02/09 after the make-up Saturday', () => {
    // Sat 22 (1), Mon 24–Fri 28 (2–6), 29/08–02/09 off, Thu 03/09 (7).
    expect(addDays('2026-08-21T10:00:00+07:00', 7)).toBe('2026-09-03T17:30:00+07:00');
  });

  it('crosses into a year with no table rows using the weekend rule', () => {
    expect(addDays('2026-12-30T10:00:00+07:00', 3)).toBe('2027-01-04T17:30:00+07:00');
  });

  it('n = 0 ends the start day when it is a working day, even after hours', () => {
    expect(addDays('2026-03-02T09:00:00+07:00', 0)).toBe('2026-03-02T17:30:00+07:00');
    expect(addDays('2026-03-02T21:00:00+07:00', 0)).toBe('2026-03-02T17:30:00+07:00');
  });

  it('n = 0 on a day off ends the next working day', () => {
    expect(addDays('2026-03-07T10:00:00+07:00', 0)).toBe('2026-03-09T17:30:00+07:00');
    expect(addDays('2026-02-14T10:00:00+07:00', 0)).toBe('2026-02-23T17:30:00+07:00');
  });

  it('ends at the last session of a custom calendar', () => {
    const custom = createWorkingCalendar(CALENDAR_2026_DAYS, {
      sessions: [
        { start: '07:30', end: '11:30' },
        { start: '13:00', end: '17:00' },
      ],
    });
    expect(formatLocalIso(addWorkingDays(custom, at('2026-02-13T16:00:00+07:00'), 10))).toBe('2026-03-06T17:00:00+07:00');
  });

  it('does not mutate its input', () => {
    const start = at('2026-02-13T16:00:00+07:00');
    addWorkingDays(cal, start, 10);
    expect(start.toISOString()).toBe('2026-02-13T09:00:00.000Z');
  });
});

describe('addWorkingDays — bounds', () => {
  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_WORKING_DAYS + 1])('refuses n = %s', (n) => {
    expect(() => addWorkingDays(cal, at('2026-03-02T09:00:00+07:00'), n)).toThrow(RangeError);
  });

  it('accepts the maximum and lands on a weekday ten years on', () => {
    const due = addWorkingDays(cal, at('2026-01-05T09:00:00+07:00'), MAX_WORKING_DAYS);
    expect(due.getUTCFullYear()).toBe(2040);
    expect(formatLocalIso(due).slice(11)).toBe('17:30:00+07:00');
  });

  it('terminates on a calendar where a whole year is off', () => {
    const days = [];
    for (let d = Date.UTC(2027, 0, 1); d < Date.UTC(2028, 0, 1); d += 86_400_000) {
      days.push({ day: new Date(d).toISOString().slice(0, 10), working: false, reason: 'test' });
    }
    const closed = createWorkingCalendar(days);
    expect(formatLocalIso(addWorkingDays(closed, at('2026-12-31T10:00:00+07:00'), 1))).toBe('2028-01-03T17:30:00+07:00');
  });

  it('refuses an Invalid Date', () => {
    expect(() => addWorkingDays(cal, new Date(Number.NaN), 1)).toThrow(RangeError);
  });
});
