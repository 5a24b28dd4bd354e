import { describe, expect, it } from 'vitest';
import { createWorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import { slaBadge } from '../../../workflows/sla/sla-rules.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const at = (iso: string): Date => new Date(iso);
const FRI_DUE = at('2026-03-06T17:30:00+07:00');

describe('slaBadge', () => {
  it('shows nothing without a due date', () => {
    expect(slaBadge(cal, null, at('2026-03-02T09:00:00+07:00'))).toEqual({ state: 'none', text: '' });
  });

  it.each([
    ['Mon, four working days left', '2026-03-02T09:00:00+07:00', 'ok', 'còn 4 ngày làm việc'],
    ['Wed, two left', '2026-03-04T10:00:00+07:00', 'ok', 'còn 2 ngày làm việc'],
    ['Thu, one left → due soon', '2026-03-05T10:00:00+07:00', 'due_soon', 'còn 1 ngày làm việc'],
    ['the due day', '2026-03-06T08:00:00+07:00', 'due_soon', 'hạn hôm nay'],
    ['the due instant itself is on time', '2026-03-06T17:30:00+07:00', 'due_soon', 'hạn hôm nay'],
    ['one ms late, same evening', '2026-03-06T17:30:00.001+07:00', 'overdue', 'đã quá hạn'],
    ['the weekend after: late but no working day lost yet', '2026-03-08T10:00:00+07:00', 'overdue', 'đã quá hạn'],
    ['Monday after', '2026-03-09T08:00:00+07:00', 'overdue', 'quá hạn 1 ngày làm việc'],
    ['Wednesday after', '2026-03-11T10:00:00+07:00', 'overdue', 'quá hạn 3 ngày làm việc'],
  ])('due Fri 06/03 17:30, seen %s', (_label, now, state, text) => {
    expect(slaBadge(cal, FRI_DUE, at(now))).toEqual({ state, text });
  });

  it('counts working days, not calendar days, across Tết', () => {
    // Ten calendar days apart, one working day.
    expect(slaBadge(cal, at('2026-02-23T17:30:00+07:00'), at('2026-02-13T10:00:00+07:00'))).toEqual({
      state: 'due_soon',
      text: 'còn 1 ngày làm việc',
    });
    expect(slaBadge(cal, at('2026-02-13T17:30:00+07:00'), at('2026-02-23T09:00:00+07:00'))).toEqual({
      state: 'overdue',
      text: 'quá hạn 1 ngày làm việc',
    });
  });

  it('counts the make-up Saturday', () => {
    expect(slaBadge(cal, at('2026-01-12T17:30:00+07:00'), at('2026-01-09T10:00:00+07:00'))).toEqual({
      state: 'ok',
      text: 'còn 2 ngày làm việc',
    });
  });

  it('seen on a Saturday, a Monday due date is one working day away', () => {
    expect(slaBadge(cal, at('2026-03-09T17:30:00+07:00'), at('2026-03-07T10:00:00+07:00'))).toEqual({
      state: 'due_soon',
      text: 'còn 1 ngày làm việc',
    });
  });

  it('an hour-based due date later today reads "hạn hôm nay"', () => {
    expect(slaBadge(cal, at('2026-02-23T10:30:00+07:00'), at('2026-02-23T08:15:00+07:00'))).toEqual({
      state: 'due_soon',
      text: 'hạn hôm nay',
    });
  });

  it('a hand-entered due date on a day off still leaves at least one working day', () => {
    expect(slaBadge(cal, at('2026-03-08T12:00:00+07:00'), at('2026-03-06T10:00:00+07:00'))).toEqual({
      state: 'due_soon',
      text: 'còn 1 ngày làm việc',
    });
  });
});
