import { describe, expect, it } from 'vitest';
import { DEFAULT_NUDGE_RULES } from '../../../db/seeds/seed-nudges.js';
import { findNudgeRuleProblem, fromOffsetWorkingDays, nudgeRuleProblemMessage, toOffsetWorkingDays } from '../../../workflows/nudges/nudge-rule-checks.js';
import type { NudgeRule } from '../../../workflows/nudges/nudge-rules.js';

const defaults = DEFAULT_NUDGE_RULES.map((r) => ({ ...r, repeatDaily: r.repeatDaily ?? false, active: r.active ?? true })) as NudgeRule[];

describe('nudge rules as an admin edits them', () => {
  it('converts the signed offset to a timing and back', () => {
    for (const offset of [-5, -1, 0, 1, 2, 7]) {
      const { timing, days } = fromOffsetWorkingDays(offset);
      expect(toOffsetWorkingDays(timing, days)).toBe(offset);
    }
    expect(fromOffsetWorkingDays(-2)).toEqual({ timing: 'before', days: 2 });
    expect(fromOffsetWorkingDays(0)).toEqual({ timing: 'due_day', days: 0 });
    expect(fromOffsetWorkingDays(1)).toEqual({ timing: 'overdue', days: 1 });
  });

  it('accepts every default rule against the others', () => {
    for (const rule of defaults) {
      expect(findNudgeRuleProblem(rule, defaults.filter((o) => o.code !== rule.code)), rule.code).toBeNull();
    }
  });

  it('refuses what the sweep would not do as the admin expects', () => {
    const others = defaults;
    expect(findNudgeRuleProblem({ step: 'answer', offsetWorkingDays: -3, repeatDaily: true, target: 'assignee', active: true }, others)?.code).toBe('repeat_needs_overdue');
    expect(findNudgeRuleProblem({ step: 'answer', offsetWorkingDays: 0, repeatDaily: true, target: 'assignee', active: true }, others)?.code).toBe('repeat_needs_overdue');
    expect(findNudgeRuleProblem({ step: 'triage', offsetWorkingDays: 1, repeatDaily: false, target: 'unit_leader', active: true }, others)?.code).toBe('triage_is_dispatchers');
    expect(findNudgeRuleProblem({ step: 'answer', offsetWorkingDays: -21, repeatDaily: false, target: 'assignee', active: true }, others)?.code).toBe('days_out_of_range');
    expect(findNudgeRuleProblem({ step: 'answer', offsetWorkingDays: 31, repeatDaily: false, target: 'assignee', active: true }, others)?.code).toBe('days_out_of_range');
    const twin = findNudgeRuleProblem({ step: 'answer', offsetWorkingDays: -2, repeatDaily: false, target: 'assignee', active: true }, others);
    expect(twin).toEqual({ code: 'duplicate', otherCode: 'answer-before-2' });
    expect(nudgeRuleProblemMessage(twin!)).toContain('mã answer-before-2');
    // Switched off, a twin sends nothing and may be kept.
    expect(findNudgeRuleProblem({ step: 'answer', offsetWorkingDays: -2, repeatDaily: false, target: 'assignee', active: false }, others)).toBeNull();
  });
});
