import { describe, expect, it } from 'vitest';
import { createWorkingCalendar, formatLocalIso } from '../../../workflows/calendar/working-calendar.js';
import {
  DEFAULT_SLA_RULES,
  dueAfter,
  pickSlaRule,
  type CasePriority,
  type SlaRule,
  type SlaStep,
} from '../../../workflows/sla/sla-rules.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const at = (iso: string): Date => new Date(iso);
const STEPS: SlaStep[] = ['triage', 'accept', 'answer', 'approval'];
const PRIORITIES: CasePriority[] = ['normal', 'urgent', 'complex'];

function makeRule(overrides: Partial<SlaRule> & Pick<SlaRule, 'code'>): SlaRule {
  return {
    step: 'answer',
    categoryId: null,
    priority: null,
    limitValue: 10,
    limitUnit: 'working_days',
    startEvent: 'received',
    legalSource: 'test',
    active: true,
    ...overrides,
  };
}

describe('DEFAULT_SLA_RULES', () => {
  const byCode = new Map(DEFAULT_SLA_RULES.map((rule) => [rule.code, rule]));

  it('has unique codes, all active and category-neutral', () => {
    expect(byCode.size).toBe(DEFAULT_SLA_RULES.length);
    for (const rule of DEFAULT_SLA_RULES) {
      expect(rule.active).toBe(true);
      expect(rule.categoryId).toBeNull();
      expect(Number.isInteger(rule.limitValue) && rule.limitValue > 0).toBe(true);
    }
  });

  it.each([
    ['triage-default', 'triage', null, 2, 'working_days'],
    ['accept-default', 'accept', null, 1, 'working_days'],
    ['answer-default', 'answer', null, 10, 'working_days'],
    ['answer-complex', 'answer', 'complex', 20, 'working_days'],
    ['answer-urgent', 'answer', 'urgent', 4, 'working_hours'],
    ['approval-default', 'approval', null, 1, 'working_days'],
  ])('%s: %s ≤ %s %s', (code, step, priority, limitValue, limitUnit) => {
    expect(byCode.get(code)).toMatchObject({ step, priority, limitValue, limitUnit });
  });

  it('cites the legal references in Vietnamese', () => {
    expect(byCode.get('triage-default')?.legalSource).toBe(
      'Mặc định của sản phẩm; tham chiếu NĐ 20/2008 Điều 9, TT 18/2018/TT-BCT Điều 13',
    );
    expect(byCode.get('answer-urgent')?.legalSource).toContain('QĐ 1207/QĐ-UBND');
    for (const rule of DEFAULT_SLA_RULES) expect(rule.legalSource).toMatch(/^Mặc định của sản phẩm/);
  });

  it('covers every step for every priority', () => {
    for (const step of STEPS) {
      for (const priority of PRIORITIES) {
        expect(pickSlaRule(DEFAULT_SLA_RULES, step, null, priority), `${step}/${priority}`).toBeDefined();
        expect(pickSlaRule(DEFAULT_SLA_RULES, step, 42, priority), `${step}/${priority}/42`).toBeDefined();
      }
    }
  });

  it('gives urgent cases hour-based triage, accept and approval windows', () => {
    expect(pickSlaRule(DEFAULT_SLA_RULES, 'triage', null, 'urgent')?.code).toBe('triage-urgent');
    expect(pickSlaRule(DEFAULT_SLA_RULES, 'accept', null, 'urgent')?.code).toBe('accept-urgent');
    expect(pickSlaRule(DEFAULT_SLA_RULES, 'approval', null, 'urgent')?.code).toBe('approval-urgent');
    expect(pickSlaRule(DEFAULT_SLA_RULES, 'triage', null, 'complex')?.code).toBe('triage-default');
  });
});

describe('pickSlaRule', () => {
  const rules: SlaRule[] = [
    makeRule({ code: 'answer-default', limitValue: 10 }),
    makeRule({ code: 'answer-urgent', priority: 'urgent', limitValue: 4, limitUnit: 'working_hours' }),
    makeRule({ code: 'answer-cat7', categoryId: 7, limitValue: 5 }),
    makeRule({ code: 'answer-cat7-urgent', categoryId: 7, priority: 'urgent', limitValue: 2, limitUnit: 'working_hours' }),
    makeRule({ code: 'answer-cat8-off', categoryId: 8, limitValue: 3, active: false }),
    makeRule({ code: 'triage-default', step: 'triage', limitValue: 2 }),
  ];

  it.each([
    [7, 'urgent', 'answer-cat7-urgent', 'category + priority'],
    [7, 'normal', 'answer-cat7', 'category'],
    [7, 'complex', 'answer-cat7', 'category beats a priority-less default'],
    [9, 'urgent', 'answer-urgent', 'priority'],
    [9, 'normal', 'answer-default', 'default'],
    [null, 'urgent', 'answer-urgent', 'no category: priority'],
    [null, 'normal', 'answer-default', 'no category: default'],
    [8, 'normal', 'answer-default', 'inactive category rule ignored'],
  ] as const)('category %s, %s → %s (%s)', (categoryId, priority, expected, _reason) => {
    expect(pickSlaRule(rules, 'answer', categoryId, priority)?.code).toBe(expected);
  });

  it('category beats priority', () => {
    const without = rules.filter((r) => r.code !== 'answer-cat7-urgent');
    expect(pickSlaRule(without, 'answer', 7, 'urgent')?.code).toBe('answer-cat7');
  });

  it('only looks at the requested step', () => {
    expect(pickSlaRule(rules, 'triage', 7, 'urgent')?.code).toBe('triage-default');
    expect(pickSlaRule(rules, 'accept', 7, 'urgent')).toBeUndefined();
  });

  it('returns undefined when every matching rule is inactive', () => {
    const off = rules.map((rule) => ({ ...rule, active: false }));
    expect(pickSlaRule(off, 'answer', null, 'normal')).toBeUndefined();
  });

  it('breaks ties between equally specific rules by code, whatever the row order', () => {
    const a = makeRule({ code: 'answer-a', limitValue: 3 });
    const b = makeRule({ code: 'answer-b', limitValue: 4 });
    expect(pickSlaRule([a, b], 'answer', null, 'normal')?.code).toBe('answer-a');
    expect(pickSlaRule([b, a], 'answer', null, 'normal')?.code).toBe('answer-a');
  });
});

describe('dueAfter', () => {
  it('counts working days for a day rule', () => {
    const rule = makeRule({ code: 'd', limitValue: 10 });
    expect(formatLocalIso(dueAfter(cal, rule, at('2026-02-13T16:00:00+07:00')))).toBe('2026-03-06T17:30:00+07:00');
  });

  it('counts working hours for an hour rule', () => {
    const rule = makeRule({ code: 'h', limitValue: 4, limitUnit: 'working_hours' });
    expect(formatLocalIso(dueAfter(cal, rule, at('2026-02-13T16:00:00+07:00')))).toBe('2026-02-23T10:30:00+07:00');
  });

  it('refuses an unknown unit instead of guessing', () => {
    const rule = { ...makeRule({ code: 'x' }), limitUnit: 'calendar_days' } as unknown as SlaRule;
    expect(() => dueAfter(cal, rule, at('2026-03-02T09:00:00+07:00'))).toThrow(/limit unit/);
  });
});
