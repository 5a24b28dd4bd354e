import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createWorkingCalendar,
  formatLocalIso,
  workingMsBetween,
} from '../../../workflows/calendar/working-calendar.js';
import {
  computeAcceptDue,
  computeInitialDueDates,
  DEFAULT_SLA_RULES,
  extendDue,
  recomputeOnTransfer,
  shiftForPause,
  SlaRuleMissingError,
  type CasePriority,
} from '../../../workflows/sla/sla-rules.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const rules = DEFAULT_SLA_RULES;
const at = (iso: string): Date => new Date(iso);
const iso = (date: Date | null): string | null => (date === null ? null : formatLocalIso(date));

describe('computeInitialDueDates', () => {
  const receivedAt = at('2026-02-13T16:00:00+07:00'); // Friday before Tết

  it('normal: triage 2 and answer 10 working days from receipt, no accept clock yet', () => {
    const due = computeInitialDueDates(cal, rules, { receivedAt, categoryId: 3, priority: 'normal' });
    expect({ triage: iso(due.triageDueAt), accept: due.acceptDueAt, answer: iso(due.answerDueAt) }).toEqual({
      triage: '2026-02-24T17:30:00+07:00',
      accept: null,
      answer: '2026-03-06T17:30:00+07:00',
    });
  });

  it('complex: answer 20 working days', () => {
    const due = computeInitialDueDates(cal, rules, { receivedAt, categoryId: null, priority: 'complex' });
    expect(iso(due.triageDueAt)).toBe('2026-02-24T17:30:00+07:00');
    expect(iso(due.answerDueAt)).toBe('2026-03-20T17:30:00+07:00');
  });

  it('urgent: answer 4 working hours, triage 1 working hour, both before Tết where the hours allow', () => {
    const due = computeInitialDueDates(cal, rules, { receivedAt, categoryId: null, priority: 'urgent' });
    expect(iso(due.triageDueAt)).toBe('2026-02-13T17:00:00+07:00');
    expect(iso(due.answerDueAt)).toBe('2026-02-23T10:30:00+07:00');
  });

  it('never puts the triage deadline after the answer deadline with the default rules', () => {
    const priority = fc.constantFrom<CasePriority>('normal', 'urgent', 'complex');
    const instant = fc.integer({ min: Date.parse('2025-12-01T00:00:00Z'), max: Date.parse('2027-01-31T00:00:00Z') });
    fc.assert(
      fc.property(instant, priority, (ms, p) => {
        const due = computeInitialDueDates(cal, rules, { receivedAt: new Date(ms), categoryId: null, priority: p });
        expect(due.triageDueAt.getTime()).toBeLessThanOrEqual(due.answerDueAt.getTime());
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('uses a category rule when one exists', () => {
    const withCategory = [
      ...rules,
      { ...rules[0]!, code: 'answer-cat5', step: 'answer' as const, categoryId: 5, limitValue: 3 },
    ];
    const due = computeInitialDueDates(cal, withCategory, { receivedAt, categoryId: 5, priority: 'normal' });
    expect(iso(due.answerDueAt)).toBe('2026-02-25T17:30:00+07:00');
  });

  it('throws SlaRuleMissingError when no active rule covers a step', () => {
    const noAnswer = rules.map((rule) => (rule.step === 'answer' ? { ...rule, active: false } : rule));
    expect(() => computeInitialDueDates(cal, noAnswer, { receivedAt, categoryId: 1, priority: 'normal' })).toThrow(
      SlaRuleMissingError,
    );
  });
});

describe('computeAcceptDue', () => {
  it('gives the unit 1 working day from assignment, skipping 30/4–3/5', () => {
    const due = computeAcceptDue(cal, rules, { assignedAt: at('2026-04-29T09:00:00+07:00'), categoryId: 1, priority: 'normal' });
    expect(iso(due)).toBe('2026-05-04T17:30:00+07:00');
  });

  it('gives an urgent case 1 working hour', () => {
    const due = computeAcceptDue(cal, rules, { assignedAt: at('2026-04-29T17:00:00+07:00'), categoryId: 1, priority: 'urgent' });
    expect(iso(due)).toBe('2026-05-04T08:30:00+07:00');
  });
});

describe('recomputeOnTransfer', () => {
  it('opens a fresh accept window for the new unit, skipping Quốc khánh', () => {
    const { acceptDueAt } = recomputeOnTransfer(cal, rules, {
      transferredAt: at('2026-08-28T15:00:00+07:00'),
      categoryId: 2,
      priority: 'normal',
    });
    expect(iso(acceptDueAt)).toBe('2026-09-03T17:30:00+07:00');
  });

  it('returns only the accept due date: the answer due date stays as computed from receipt', () => {
    const result = recomputeOnTransfer(cal, rules, {
      transferredAt: at('2026-03-02T09:00:00+07:00'),
      categoryId: null,
      priority: 'normal',
    });
    expect(Object.keys(result)).toEqual(['acceptDueAt']);
  });
});

describe('shiftForPause (awaiting_info stops the clock)', () => {
  it('across Tết: 24 working hours paused push the answer due 3 working days', () => {
    // Received Mon 09/02 10:00 → answer due Mon 02/03 17:30 (Tết 14–22/02 skipped).
    const { answerDueAt } = computeInitialDueDates(cal, rules, {
      receivedAt: at('2026-02-09T10:00:00+07:00'),
      categoryId: null,
      priority: 'normal',
    });
    expect(iso(answerDueAt)).toBe('2026-03-02T17:30:00+07:00');
    // Paused Thu 12/02 10:00 → resumed Tue 24/02 10:00: 6 h + 8 h + (Tết: 0) + 8 h + 2 h = 24 h.
    const shifted = shiftForPause(cal, answerDueAt, at('2026-02-12T10:00:00+07:00'), at('2026-02-24T10:00:00+07:00'));
    expect(iso(shifted)).toBe('2026-03-05T17:30:00+07:00');
  });

  it('a pause that lies entirely inside Tết costs nothing', () => {
    const due = at('2026-03-02T17:30:00+07:00');
    const shifted = shiftForPause(cal, due, at('2026-02-14T09:00:00+07:00'), at('2026-02-22T20:00:00+07:00'));
    expect(iso(shifted)).toBe('2026-03-02T17:30:00+07:00');
    expect(shifted).not.toBe(due);
  });

  it('a pause of part of a day moves the due date by working hours, into the next working day', () => {
    // Mon 02/03 16:00 → Tue 03/03 10:00 = 1.5 h + 2 h.
    const shifted = shiftForPause(cal, at('2026-03-06T17:30:00+07:00'), at('2026-03-02T16:00:00+07:00'), at('2026-03-03T10:00:00+07:00'));
    expect(iso(shifted)).toBe('2026-03-09T11:30:00+07:00');
  });

  it('moves an urgent hour-based due date within the day', () => {
    const shifted = shiftForPause(cal, at('2026-02-23T10:30:00+07:00'), at('2026-02-23T09:00:00+07:00'), at('2026-02-23T09:45:00+07:00'));
    expect(iso(shifted)).toBe('2026-02-23T11:15:00+07:00');
  });

  it('keeps an overdue case exactly as late as before the pause', () => {
    const due = at('2026-03-02T17:30:00+07:00');
    const shifted = shiftForPause(cal, due, at('2026-03-04T08:00:00+07:00'), at('2026-03-05T08:00:00+07:00'));
    expect(iso(shifted)).toBe('2026-03-03T17:30:00+07:00');
  });

  it('refuses an Invalid Date even when no working time was paused', () => {
    expect(() => shiftForPause(cal, new Date(Number.NaN), at('2026-03-07T10:00:00+07:00'), at('2026-03-07T11:00:00+07:00'))).toThrow(
      RangeError,
    );
  });

  it('refuses a resume before the pause', () => {
    expect(() =>
      shiftForPause(cal, at('2026-03-06T17:30:00+07:00'), at('2026-03-03T10:00:00+07:00'), at('2026-03-02T10:00:00+07:00')),
    ).toThrow(RangeError);
  });

  it('shifts by exactly the working time paused (property)', () => {
    const instant = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') });
    fc.assert(
      fc.property(instant, instant, fc.integer({ min: 0, max: 30 * 86_400_000 }), (dueMs, pausedMs, lengthMs) => {
        const due = new Date(dueMs);
        const pausedAt = new Date(pausedMs);
        const resumedAt = new Date(pausedMs + lengthMs);
        const shifted = shiftForPause(cal, due, pausedAt, resumedAt);
        expect(shifted.getTime()).toBeGreaterThanOrEqual(due.getTime());
        expect(workingMsBetween(cal, due, shifted)).toBe(workingMsBetween(cal, pausedAt, resumedAt));
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});

describe('extendDue', () => {
  it('adds working days after the current due day (complex case: 10 + 10 = 20)', () => {
    expect(iso(extendDue(cal, at('2026-03-06T17:30:00+07:00'), 10))).toBe('2026-03-20T17:30:00+07:00');
  });

  it('skips Quốc khánh', () => {
    expect(iso(extendDue(cal, at('2026-08-28T17:30:00+07:00'), 2))).toBe('2026-09-04T17:30:00+07:00');
  });

  it('ends an extended hour-based due date at the close of the n-th working day after', () => {
    expect(iso(extendDue(cal, at('2026-02-23T10:30:00+07:00'), 1))).toBe('2026-02-24T17:30:00+07:00');
  });

  it('extends a due date that was paused across Tết', () => {
    const paused = shiftForPause(cal, at('2026-03-02T17:30:00+07:00'), at('2026-02-12T10:00:00+07:00'), at('2026-02-24T10:00:00+07:00'));
    expect(iso(extendDue(cal, paused, 5))).toBe('2026-03-12T17:30:00+07:00');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %s extra days', (extra) => {
    expect(() => extendDue(cal, at('2026-03-06T17:30:00+07:00'), extra)).toThrow(RangeError);
  });
});
