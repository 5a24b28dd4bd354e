import { describe, expect, it } from 'vitest';
import { DEFAULT_NUDGE_RULES } from '../../../db/seeds/seed-nudges.js';
import { createWorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import type { NudgeRule } from '../../../workflows/nudges/nudge-rules.js';
import { findCurrentStep, planNudges, type NudgeCase } from '../../../workflows/nudges/plan-nudges.js';
import { deferToSendWindow, DEFAULT_SEND_WINDOW, shiftWorkingDays } from '../../../workflows/nudges/send-window.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

const cal = createWorkingCalendar(CALENDAR_2026_DAYS);
const at = (local: string): Date => new Date(`${local}+07:00`);
const RULES: NudgeRule[] = DEFAULT_NUDGE_RULES.map((r) => ({
  code: r.code,
  step: r.step,
  offsetWorkingDays: r.offsetWorkingDays,
  repeatDaily: r.repeatDaily ?? false,
  target: r.target,
  active: r.active ?? true,
}));

function makeCase(overrides: Partial<NudgeCase> = {}): NudgeCase {
  return {
    id: 42,
    code: 'PA-2026-000042',
    status: 'in_progress',
    responsibleUnitId: 7,
    assigneeId: 70,
    receivedAt: at('2026-02-23T09:00:00'),
    triageDueAt: at('2026-02-25T17:30:00'),
    acceptDueAt: at('2026-02-24T17:30:00'),
    // Wed 04/03 17:30: ten working days after Wed 11/02 across Tết.
    answerDueAt: at('2026-03-04T17:30:00'),
    stepStartedAt: at('2026-02-24T09:00:00'),
    details: { excerpt: 'Đèn đường hỏng', unitName: 'Phường Hoàn Kiếm', assigneeName: 'Trần Văn Chuyên' },
    ...overrides,
  };
}

/** The key without its step occurrence (`@<start>-<due>`), which the tests below leave to 'reminder identity'. */
const withoutOccurrence = (key: string) => key.replace(/@[0-9a-z]+-[0-9a-z]+/, '');
const keysAt = (c: NudgeCase, local: string) => planNudges(c, RULES, cal, at(local)).map((n) => withoutOccurrence(n.key));

describe('send window', () => {
  it.each([
    ['a weekday afternoon stays', '2026-03-03T14:00:00', '2026-03-03T14:00:00'],
    ['before the morning hour waits for it', '2026-03-03T06:10:00', '2026-03-03T08:00:00'],
    ['17:30 is after hours: next working morning', '2026-03-06T17:30:00', '2026-03-09T08:00:00'],
    ['Friday night skips the weekend', '2026-02-27T22:00:00', '2026-03-02T08:00:00'],
    ['the eve of Tết waits until Monday 23/02', '2026-02-13T17:30:00.001', '2026-02-23T08:00:00'],
    ['mùng 1 Tết', '2026-02-17T10:00:00', '2026-02-23T08:00:00'],
    ['the make-up Saturday 10/01 is a working day', '2026-01-10T09:00:00', '2026-01-10T09:00:00'],
  ])('%s', (_label, input, expected) => {
    expect(deferToSendWindow(cal, DEFAULT_SEND_WINDOW, at(input))).toEqual(at(expected));
  });

  it('shifts by working days over weekends and Tết, both ways', () => {
    expect(shiftWorkingDays(cal, '2026-02-13', 1)).toBe('2026-02-23');
    expect(shiftWorkingDays(cal, '2026-02-23', -1)).toBe('2026-02-13');
    expect(shiftWorkingDays(cal, '2026-03-04', -2)).toBe('2026-03-02');
    expect(shiftWorkingDays(cal, '2026-01-12', -1)).toBe('2026-01-10');
    expect(shiftWorkingDays(cal, '2026-03-04', 0)).toBe('2026-03-04');
  });
});

describe('findCurrentStep', () => {
  it('follows the badge: the earlier of the step date and the answer date; nothing while paused or done', () => {
    const c = makeCase();
    expect(findCurrentStep({ ...c, status: 'received' })).toEqual({ step: 'triage', dueAt: c.triageDueAt });
    expect(findCurrentStep({ ...c, status: 'received', answerDueAt: at('2026-02-24T10:00:00') })).toEqual({ step: 'triage', dueAt: at('2026-02-24T10:00:00') });
    expect(findCurrentStep({ ...c, status: 'assigned' })).toEqual({ step: 'accept', dueAt: c.acceptDueAt });
    expect(findCurrentStep(c)).toEqual({ step: 'answer', dueAt: c.answerDueAt });
    expect(findCurrentStep({ ...c, status: 'pending_approval' })).toEqual({ step: 'approval', dueAt: c.answerDueAt });
    expect(findCurrentStep({ ...c, status: 'awaiting_info' })).toBeNull();
    expect(findCurrentStep({ ...c, status: 'answered' })).toBeNull();
  });
});

describe('planNudges', () => {
  const c = makeCase();

  it('reminds the assignee 2 and 1 working days ahead and on the morning of the due day', () => {
    expect(keysAt(c, '2026-03-02T07:59:00')).toEqual([]);
    expect(keysAt(c, '2026-03-02T08:00:00')).toEqual(['nudge:42:answer-before-2:answer']);
    expect(keysAt(c, '2026-03-03T08:00:00')).toEqual(['nudge:42:answer-before-1:answer']);
    expect(keysAt(c, '2026-03-04T08:00:00')).toEqual(['nudge:42:answer-due-today:answer']);
    const [n] = planNudges(c, RULES, cal, at('2026-03-02T08:00:00'));
    expect(n).toMatchObject({
      recipient: { type: 'official', officialId: 70 },
      template: 'nudge-upcoming',
      caseId: 42,
      data: { caseCode: 'PA-2026-000042', stepLabel: 'trả lời', slaText: 'còn 2 ngày làm việc', dueDate: '17:30 04/03/2026' },
    });
  });

  it('a before-reminder lives only on its own working day, and never once the case is due', () => {
    // Missed on Monday (worker down): not at night, and Tuesday's reminder replaces it in the morning.
    expect(keysAt(c, '2026-03-02T17:29:00')).toEqual(['nudge:42:answer-before-2:answer']);
    expect(keysAt(c, '2026-03-02T22:00:00')).toEqual([]);
    expect(keysAt(c, '2026-03-03T07:00:00')).toEqual([]);
    expect(keysAt(c, '2026-03-03T09:00:00')).toEqual(['nudge:42:answer-before-1:answer']);
    expect(keysAt(c, '2026-03-04T17:29:00')).toEqual(['nudge:42:answer-due-today:answer']);
    expect(keysAt(c, '2026-03-04T17:31:00')).toEqual([]);
  });

  it('skips reminders that fell due before the step started (the assignment itself told the date)', () => {
    const late = makeCase({ stepStartedAt: at('2026-03-03T10:00:00') });
    expect(keysAt(late, '2026-03-03T10:30:00')).toEqual([]);
    expect(keysAt(late, '2026-03-04T08:00:00')).toEqual(['nudge:42:answer-due-today:answer']);
  });

  it('once overdue: at once (deferred to the next working morning), then every working morning; escalates', () => {
    expect(keysAt(c, '2026-03-04T21:00:00')).toEqual([]);
    expect(keysAt(c, '2026-03-05T08:00:00')).toEqual(['nudge:42:answer-overdue:answer:2026-03-05', 'nudge:42:answer-escalate-leader:answer']);
    expect(keysAt(c, '2026-03-06T08:00:00')).toEqual([
      'nudge:42:answer-overdue:answer:2026-03-06',
      'nudge:42:answer-escalate-leader:answer',
      'nudge:42:answer-escalate-dispatchers:answer',
    ]);
    // Nothing at night or at the weekend; Monday morning repeats it.
    expect(keysAt(c, '2026-03-06T20:00:00')).toEqual([]);
    expect(keysAt(c, '2026-03-07T10:00:00')).toEqual([]);
    expect(keysAt(c, '2026-03-09T08:00:00')).toContain('nudge:42:answer-overdue:answer:2026-03-09');
    const escalation = planNudges(c, RULES, cal, at('2026-03-06T08:00:00')).find((n) => n.ruleCode === 'answer-escalate-dispatchers');
    expect(escalation).toMatchObject({
      recipient: { type: 'dispatchers' },
      template: 'nudge-escalation',
      data: { slaText: 'quá hạn 2 ngày làm việc', overdueDays: 2, assigneeName: 'Trần Văn Chuyên', unitName: 'Phường Hoàn Kiếm' },
    });
    const leader = planNudges(c, RULES, cal, at('2026-03-05T08:00:00')).find((n) => n.ruleCode === 'answer-escalate-leader');
    expect(leader?.recipient).toEqual({ type: 'unit', unitId: 7, roles: ['unit_leader'] });
  });

  it('an hour-based due date is overdue at once, the same afternoon', () => {
    const urgent = makeCase({ answerDueAt: at('2026-03-02T09:30:00'), stepStartedAt: at('2026-03-02T08:45:00') });
    expect(keysAt(urgent, '2026-03-02T09:30:00')).toEqual([]);
    expect(keysAt(urgent, '2026-03-02T09:31:00')).toEqual(['nudge:42:answer-overdue:answer:2026-03-02', 'nudge:42:answer-escalate-leader:answer']);
    // Escalation to the dispatchers counts working days after the due day.
    expect(keysAt(urgent, '2026-03-04T08:00:00')).toContain('nudge:42:answer-escalate-dispatchers:answer');
    expect(keysAt(urgent, '2026-03-03T16:00:00')).not.toContain('nudge:42:answer-escalate-dispatchers:answer');
  });

  it('a case that reaches a step already late: overdue at once, escalation after the grace of the new owner', () => {
    const approval = makeCase({ status: 'pending_approval', stepStartedAt: at('2026-03-06T10:00:00') });
    expect(keysAt(approval, '2026-03-06T10:30:00')).toEqual(['nudge:42:approval-overdue:approval:2026-03-06']);
    expect(keysAt(approval, '2026-03-09T08:00:00')).toEqual(['nudge:42:approval-overdue:approval:2026-03-09']);
    expect(keysAt(approval, '2026-03-10T08:00:00')).toEqual([
      'nudge:42:approval-overdue:approval:2026-03-10',
      'nudge:42:approval-escalate-dispatchers:approval',
    ]);
    expect(planNudges(approval, RULES, cal, at('2026-03-06T10:30:00'))[0]?.recipient).toEqual({ type: 'unit', unitId: 7, roles: ['unit_leader'] });
  });

  it('defers over Tết: a triage due on the eve of Tết is chased on Monday 23/02', () => {
    const triage = makeCase({
      status: 'received',
      responsibleUnitId: null,
      assigneeId: null,
      receivedAt: at('2026-02-11T09:00:00'),
      stepStartedAt: at('2026-02-11T09:00:00'),
      triageDueAt: at('2026-02-13T17:30:00'),
    });
    expect(keysAt(triage, '2026-02-11T08:00:00')).toEqual([]);
    expect(keysAt(triage, '2026-02-12T08:00:00')).toEqual(['nudge:42:triage-before-1:triage']);
    expect(keysAt(triage, '2026-02-13T08:00:00')).toEqual(['nudge:42:triage-due-today:triage']);
    for (const day of ['14', '15', '16', '17', '18', '19', '20', '21', '22']) {
      expect(keysAt(triage, `2026-02-${day}T09:00:00`)).toEqual([]);
    }
    expect(keysAt(triage, '2026-02-23T08:00:00')).toEqual(['nudge:42:triage-overdue:triage:2026-02-23']);
    expect(planNudges(triage, RULES, cal, at('2026-02-23T08:00:00'))[0]).toMatchObject({
      recipient: { type: 'dispatchers' },
      template: 'nudge-overdue',
      data: { slaText: 'quá hạn 1 ngày làm việc' },
    });
  });

  it('nobody assigned: the answer reminders go to the unit leaders; no unit: leader rules are skipped', () => {
    const unassigned = makeCase({ assigneeId: null });
    expect(planNudges(unassigned, RULES, cal, at('2026-03-02T08:00:00'))[0]?.recipient).toEqual({ type: 'unit', unitId: 7, roles: ['unit_leader'] });
    const noUnit = makeCase({ assigneeId: null, responsibleUnitId: null });
    expect(keysAt(noUnit, '2026-03-05T08:00:00')).toEqual([]);
  });

  it('inactive rules and paused or finished cases send nothing', () => {
    const inactive = RULES.map((r) => ({ ...r, active: false }));
    expect(planNudges(c, inactive, cal, at('2026-03-05T08:00:00'))).toEqual([]);
    expect(keysAt(makeCase({ status: 'awaiting_info' }), '2026-03-05T08:00:00')).toEqual([]);
    expect(keysAt(makeCase({ status: 'closed' }), '2026-03-05T08:00:00')).toEqual([]);
  });

  it('uses the configured morning hour', () => {
    const keys = planNudges(c, RULES, cal, at('2026-03-02T08:00:00'), { window: { morning: '09:00', evening: '17:30' } }).map((n) => n.key);
    expect(keys).toEqual([]);
    expect(planNudges(c, RULES, cal, at('2026-03-02T09:00:00'), { window: { morning: '09:00', evening: '17:30' } })[0]?.occursAt).toEqual(
      at('2026-03-02T09:00:00'),
    );
  });
});

describe('reminder identity: one key per rule and step occurrence', () => {
  const c = makeCase();
  const keys = (x: NudgeCase, local: string) => planNudges(x, RULES, cal, at(local)).map((n) => n.key);
  const b36 = (local: string) => at(local).getTime().toString(36);

  it('names the step with when it began and when it falls due', () => {
    expect(keys(c, '2026-03-02T08:00:00')).toEqual([`nudge:42:answer-before-2:answer@${b36('2026-02-24T09:00:00')}-${b36('2026-03-04T17:30:00')}`]);
    expect(keys(c, '2026-03-05T08:00:00')[0]).toBe(`nudge:42:answer-overdue:answer@${b36('2026-02-24T09:00:00')}-${b36('2026-03-04T17:30:00')}:2026-03-05`);
    // Without a known start the receipt stands in, as it does for deciding.
    expect(keys(makeCase({ stepStartedAt: null }), '2026-03-02T08:00:00')).toEqual([
      `nudge:42:answer-before-2:answer@${b36('2026-02-23T09:00:00')}-${b36('2026-03-04T17:30:00')}`,
    ]);
  });

  it('the same occurrence gives the same keys all day, whoever plans it', () => {
    expect(keys(c, '2026-03-06T16:59:00')).toEqual(keys(c, '2026-03-06T08:00:00'));
    expect(keys({ ...c, details: {} }, '2026-03-06T10:00:00')).toEqual(keys(c, '2026-03-06T08:00:00'));
  });

  it('a transfer starts the accept step over: the new unit gets its own keys, even with an unchanged due date', () => {
    // The answer date (Wed 04/03) is earlier than either accept date, so the step's date does not move.
    const atA = makeCase({ status: 'assigned', assigneeId: null, acceptDueAt: at('2026-03-05T17:30:00'), stepStartedAt: at('2026-02-24T09:00:00') });
    const atB = { ...atA, responsibleUnitId: 8, acceptDueAt: at('2026-03-06T17:30:00'), stepStartedAt: at('2026-03-03T09:00:00') };
    const forA = planNudges(atA, RULES, cal, at('2026-03-04T08:00:00'));
    const forB = planNudges(atB, RULES, cal, at('2026-03-04T08:00:00'));
    expect(forA.map((n) => [withoutOccurrence(n.key), n.recipient])).toEqual([['nudge:42:accept-due-today:accept', { type: 'unit', unitId: 7, roles: ['unit_leader'] }]]);
    expect(forB.map((n) => [withoutOccurrence(n.key), n.recipient])).toEqual([['nudge:42:accept-due-today:accept', { type: 'unit', unitId: 8, roles: ['unit_leader'] }]]);
    expect(forB[0]?.key).not.toBe(forA[0]?.key);
  });

  it('a return to the dispatchers and an extension are new occurrences too', () => {
    // Returned on Thu 05/03 at 10:00 with the triage date long past: overdue at once, under a key of its own.
    const returned = makeCase({ status: 'received', responsibleUnitId: null, assigneeId: null, triageDueAt: at('2026-02-25T17:30:00'), stepStartedAt: at('2026-03-05T10:00:00') });
    const earlier = { ...returned, stepStartedAt: at('2026-02-23T09:00:00') };
    const [afterReturn] = keys(returned, '2026-03-05T10:30:00');
    expect(withoutOccurrence(afterReturn!)).toBe('nudge:42:triage-overdue:triage:2026-03-05');
    expect(keys(earlier, '2026-03-05T10:30:00')).not.toContain(afterReturn);

    // Extended from Wed 04/03 to Wed 11/03: the countdown to the new date is told again.
    const extended = makeCase({ answerDueAt: at('2026-03-11T17:30:00') });
    expect(keys(c, '2026-03-02T08:00:00').map(withoutOccurrence)).toEqual(['nudge:42:answer-before-2:answer']);
    expect(keys(extended, '2026-03-09T08:00:00').map(withoutOccurrence)).toEqual(['nudge:42:answer-before-2:answer']);
    expect(keys(extended, '2026-03-09T08:00:00')).not.toEqual(keys(c, '2026-03-02T08:00:00'));
  });
});
