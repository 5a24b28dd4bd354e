import { describe, expect, it } from 'vitest';
import { createWorkingCalendar, formatLocalIso } from '../../../workflows/calendar/working-calendar.js';
import {
  computeReportDueAt,
  findCurrentPeriod,
  findLatestDuePeriod,
  findPeriodByKey,
  generatePeriods,
  normalisePeriodKey,
} from '../../../workflows/reports/report-periods.js';
import { ZCutoffRule, ZDeadlineRule, type ReportFrequency, type TDeadlineRule } from '../../../workflows/reports/reporting-regime.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const nd09 = ZCutoffRule.parse({});
const regime = (frequency: ReportFrequency, deadlineRule: TDeadlineRule = { type: 'working_days_after_cutoff', days: 2 }) => ({
  frequency,
  cutoffRule: nd09,
  deadlineRule,
});
const windows = (frequency: ReportFrequency, year: number) => generatePeriods(regime(frequency), year).map((p) => `${p.key} ${p.start}→${p.end} ${p.label}`);
const due = (rule: TDeadlineRule, end: string) => formatLocalIso(computeReportDueAt(rule, { end }, cal));

describe('generatePeriods: ND 09/2019 cut-off windows', () => {
  it('monthly: 15th of the previous month → 14th, across the year end', () => {
    const months = windows('monthly', 2026);
    expect(months).toHaveLength(12);
    expect(months[0]).toBe('2026-01 2025-12-15→2026-01-14 Tháng 1/2026');
    expect(months[1]).toBe('2026-02 2026-01-15→2026-02-14 Tháng 2/2026');
    expect(months[2]).toBe('2026-03 2026-02-15→2026-03-14 Tháng 3/2026');
    expect(months[11]).toBe('2026-12 2026-11-15→2026-12-14 Tháng 12/2026');
  });

  it('quarterly: 15th of the month before the quarter → 14th of its last month', () => {
    expect(windows('quarterly', 2026)).toEqual([
      '2026-Q1 2025-12-15→2026-03-14 Quý I/2026',
      '2026-Q2 2026-03-15→2026-06-14 Quý II/2026',
      '2026-Q3 2026-06-15→2026-09-14 Quý III/2026',
      '2026-Q4 2026-09-15→2026-12-14 Quý IV/2026',
    ]);
  });

  it('six, nine months and the year start on 15/12 of the year before', () => {
    expect(windows('six_month', 2026)).toEqual(['2026-H1 2025-12-15→2026-06-14 6 tháng đầu năm 2026']);
    expect(generatePeriods({ frequency: 'six_month', cutoffRule: { type: 'nd09_2019', includeSecondHalf: true } }, 2026).map((p) => `${p.start}→${p.end}`)).toEqual([
      '2025-12-15→2026-06-14',
      '2026-06-15→2026-12-14',
    ]);
    expect(windows('nine_month', 2026)).toEqual(['2026-9M 2025-12-15→2026-09-14 9 tháng năm 2026']);
    expect(windows('annual', 2026)).toEqual(['2026 2025-12-15→2026-12-14 Năm 2026']);
    expect(windows('annual', 2027)).toEqual(['2027 2026-12-15→2027-12-14 Năm 2027']);
  });

  it('ad hoc regimes have no calendar: their periods are requested', () => {
    expect(generatePeriods(regime('ad_hoc'), 2026)).toEqual([]);
  });

  it('a calendar cut-off counts whole months', () => {
    const cutoffRule = ZCutoffRule.parse({ type: 'calendar' });
    expect(generatePeriods({ frequency: 'monthly', cutoffRule }, 2026)[1]).toMatchObject({ start: '2026-02-01', end: '2026-02-28' });
    expect(generatePeriods({ frequency: 'quarterly', cutoffRule }, 2026)[0]).toMatchObject({ start: '2026-01-01', end: '2026-03-31' });
    expect(generatePeriods({ frequency: 'annual', cutoffRule }, 2026)[0]).toMatchObject({ start: '2026-01-01', end: '2026-12-31' });
  });
});

describe('computeReportDueAt: working-day aware deadlines', () => {
  const twoDays: TDeadlineRule = { type: 'working_days_after_cutoff', days: 2 };

  it('n working days after the cut-off, ending at 17:30', () => {
    // Cut-off Wed 14/01/2026 → Thu 15, Fri 16.
    expect(due(twoDays, '2026-01-14')).toBe('2026-01-16T17:30:00+07:00');
    // Cut-off Sat 14/02/2026, the first day of Tết: Mon 23 and Tue 24/02.
    expect(due(twoDays, '2026-02-14')).toBe('2026-02-24T17:30:00+07:00');
    // Cut-off Sun 14/12/2025 (no 2025 exceptions): Mon 15 and Tue 16/12/2025.
    expect(due(twoDays, '2025-12-14')).toBe('2025-12-16T17:30:00+07:00');
    // Zero days: the cut-off day itself when it is a working day, else the next one.
    expect(due({ type: 'working_days_after_cutoff', days: 0 }, '2026-02-14')).toBe('2026-02-23T17:30:00+07:00');
  });

  it('a fixed day of the month moves to the next working day, also across Tết and the new year', () => {
    expect(due({ type: 'fixed_day_of_month', day: 20, monthOffset: 0 }, '2026-03-14')).toBe('2026-03-20T17:30:00+07:00');
    // 20/06/2026 is a Saturday.
    expect(due({ type: 'fixed_day_of_month', day: 20, monthOffset: 0 }, '2026-06-14')).toBe('2026-06-22T17:30:00+07:00');
    // 16/02/2026 is in Tết: Monday 23/02.
    expect(due({ type: 'fixed_day_of_month', day: 16, monthOffset: 0 }, '2026-02-14')).toBe('2026-02-23T17:30:00+07:00');
    // December's report due on the 1st of the next month: 01/01 and 02/01/2026 are off, then a weekend.
    expect(due({ type: 'fixed_day_of_month', day: 1, monthOffset: 1 }, '2025-12-14')).toBe('2026-01-05T17:30:00+07:00');
    // Day 31 in a 30-day month is its last day (30/09/2026, a Wednesday).
    expect(due({ type: 'fixed_day_of_month', day: 31, monthOffset: 0 }, '2026-09-14')).toBe('2026-09-30T17:30:00+07:00');
  });

  it('every frequency of 2026 with the seeded rules', () => {
    const monthly = regime('monthly');
    expect(generatePeriods(monthly, 2026).map((p) => formatLocalIso(computeReportDueAt(monthly.deadlineRule, p, cal)).slice(0, 10))).toEqual([
      '2026-01-16',
      '2026-02-24',
      '2026-03-17',
      '2026-04-16',
      '2026-05-18',
      '2026-06-16',
      '2026-07-16',
      '2026-08-18',
      '2026-09-16',
      '2026-10-16',
      '2026-11-17',
      '2026-12-16',
    ]);
    const quarterly = regime('quarterly', { type: 'working_days_after_cutoff', days: 3 });
    expect(generatePeriods(quarterly, 2026).map((p) => formatLocalIso(computeReportDueAt(quarterly.deadlineRule, p, cal)).slice(0, 10))).toEqual([
      '2026-03-18',
      '2026-06-17',
      '2026-09-17',
      '2026-12-17',
    ]);
    expect(findPeriodByKey(regime('six_month'), cal, '2026-H1')?.dueAt).toEqual(new Date('2026-06-16T17:30:00+07:00'));
    expect(findPeriodByKey(regime('nine_month'), cal, '2026-9M')?.dueAt).toEqual(new Date('2026-09-16T17:30:00+07:00'));
    expect(findPeriodByKey(regime('annual', { type: 'working_days_after_cutoff', days: 3 }), cal, '2026')?.dueAt).toEqual(new Date('2026-12-17T17:30:00+07:00'));
  });

  it('rejects impossible rules at the edge', () => {
    expect(ZDeadlineRule.safeParse({ type: 'fixed_day_of_month', day: 32 }).success).toBe(false);
    expect(ZDeadlineRule.safeParse({ type: 'working_days_after_cutoff', days: -1 }).success).toBe(false);
    expect(ZDeadlineRule.parse({ type: 'fixed_day_of_month', day: 5 })).toEqual({ type: 'fixed_day_of_month', day: 5, monthOffset: 0 });
    expect(ZCutoffRule.safeParse({ type: 'lunar' }).success).toBe(false);
  });
});

describe('current and latest periods', () => {
  const monthly = regime('monthly');

  it('the current period is the first whose due day is today or later', () => {
    const onDueDay = findCurrentPeriod(monthly, cal, new Date('2026-01-16T16:00:00+07:00'));
    expect([onDueDay?.current.key, onDueDay?.next?.key]).toEqual(['2026-01', '2026-02']);
    expect(findCurrentPeriod(monthly, cal, new Date('2026-01-16T20:00:00+07:00'))?.current.key).toBe('2026-01');
    expect(findCurrentPeriod(monthly, cal, new Date('2026-01-17T08:00:00+07:00'))?.current.key).toBe('2026-02');
    // During Tết the February report (due 24/02) is current.
    expect(findCurrentPeriod(monthly, cal, new Date('2026-02-18T10:00:00+07:00'))?.current.key).toBe('2026-02');
    // Late December: January of the next year.
    expect(findCurrentPeriod(monthly, cal, new Date('2026-12-20T10:00:00+07:00'))?.current.key).toBe('2027-01');
    const annual = regime('annual', { type: 'working_days_after_cutoff', days: 3 });
    expect(findCurrentPeriod(annual, cal, new Date('2026-01-05T10:00:00+07:00'))?.current.key).toBe('2026');
  });

  it('the latest due period is the one whose submissions can be judged', () => {
    expect(findLatestDuePeriod(monthly, cal, new Date('2026-01-16T09:00:00+07:00'))?.key).toBe('2026-01');
    expect(findLatestDuePeriod(monthly, cal, new Date('2026-01-15T09:00:00+07:00'))?.key).toBe('2025-12');
  });
});

describe('normalisePeriodKey', () => {
  it.each([
    ['2026-01', '2026-01'],
    ['2026-1', '2026-01'],
    ['01/2026', '2026-01'],
    ['T1/2026', '2026-01'],
    ['tháng 1/2026', '2026-01'],
    ['Q1/2026', '2026-Q1'],
    ['quý II/2026', '2026-Q2'],
    ['2026-q3', '2026-Q3'],
    ['6T/2026', '2026-H1'],
    ['2026-H2', '2026-H2'],
    ['9 tháng 2026', '2026-9M'],
    ['năm 2026', '2026'],
    ['2026', '2026'],
  ])('%s → %s', (input, key) => {
    expect(normalisePeriodKey(input)).toBe(key);
  });

  it('gives up on nonsense', () => {
    expect(normalisePeriodKey('13/2026')).toBeUndefined();
    expect(normalisePeriodKey('hôm qua')).toBeUndefined();
  });
});
