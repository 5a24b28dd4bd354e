import { describe, expect, it } from 'vitest';
import { createWorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import type { Actor, Role } from '../../../workflows/cases/actor.js';
import { ZCaseCommand, type CaseCommand, type CaseCommandType } from '../../../workflows/cases/case-commands.js';
import { CASE_ERROR_CODES, caseErrorMessage, type CaseErrorCode } from '../../../workflows/cases/case-errors.js';
import { listAllowedCommands } from '../../../workflows/cases/case-permissions.js';
import type { CaseState, TransitionContext, UnitInfo } from '../../../workflows/cases/case-state.js';
import { CASE_STATUSES, CASE_STATUS_LABELS, type CaseStatus } from '../../../workflows/cases/case-status.js';
import { REFUSAL_REASONS, REFUSAL_REASON_TEXTS } from '../../../workflows/cases/refusal-reasons.js';
import { transition } from '../../../workflows/cases/transition.js';
import { DEFAULT_SLA_RULES } from '../../../workflows/sla/sla-rules.js';
import { CALENDAR_2026_DAYS } from '../../fixtures/calendar-2026.js';

// ───────────────────────────── fixture ─────────────────────────────

const UNIT_A = 10;
const UNIT_B = 20;
const UNIT_C = 30;
const HANDLER_OF: Record<number, number> = { [UNIT_A]: 1001, [UNIT_B]: 2001 };
const CONTACT = 100;
const OTHER_CONTACT = 200;
const MERGE_TARGET = 999;
/** makeCase's cases are of category 5; recategorise moves them here. */
const OTHER_CATEGORY = 6;

const calendar = createWorkingCalendar(CALENDAR_2026_DAYS);
const NOW = new Date('2026-03-10T03:00:00Z'); // Tue 10/03/2026 10:00 in Hà Nội

const units: UnitInfo[] = [
  { id: UNIT_A, name: 'Sở Xây dựng', requiresApproval: true, active: true },
  { id: UNIT_B, name: 'Sở Y tế', requiresApproval: true, active: true },
  { id: UNIT_C, name: 'Sở Công Thương', requiresApproval: true, active: true },
];

function makeContext(overrides: Partial<TransitionContext> = {}): TransitionContext {
  return {
    calendar,
    slaRules: DEFAULT_SLA_RULES,
    units,
    officials: [
      { id: 1001, unitId: UNIT_A, roles: ['handler'], active: true },
      { id: 2001, unitId: UNIT_B, roles: ['handler'], active: true },
    ],
    mergeTarget: { id: MERGE_TARGET, code: 'PA-2026-000999', status: 'in_progress' },
    category: { id: OTHER_CATEGORY, name: 'Giao thông', active: true },
    mergedCases: [],
    contactNames: ['Nguyễn Văn An'],
    ...overrides,
  };
}

/** A case in `status` whose lead unit is `lead`, with the fields that status implies. */
function makeCase(status: CaseStatus, lead: number, coUnitIds: number[] = []): CaseState {
  const answered = ['answered', 'closed'].includes(status);
  return {
    id: 1,
    code: 'PA-2026-000001',
    status,
    version: 3,
    channel: 'zalo',
    contactId: CONTACT,
    contactKind: 'citizen',
    categoryId: 5,
    priority: 'normal',
    description: 'Ổ gà lớn trước nhà số 12 ngõ 3 phố Huế, gọi 0912 345 678 (Nguyễn Văn An).',
    address: 'ngõ 3 phố Huế',
    areaUnitId: 70,
    responsibleUnitId: lead,
    coUnitIds,
    assigneeId: ['in_progress', 'awaiting_info', 'pending_approval', 'answered', 'closed'].includes(status) ? HANDLER_OF[lead] ?? null : null,
    mergedIntoId: status === 'merged' ? MERGE_TARGET : null,
    refusalReason: status === 'refused' ? 'noi_dung_khong_ro' : null,
    receivedAt: new Date('2026-03-02T02:00:00Z'),
    triageDueAt: new Date('2026-03-04T10:30:00Z'),
    acceptDueAt: status === 'received' ? null : new Date('2026-03-05T10:30:00Z'),
    answerDueAt: new Date('2026-03-16T10:30:00Z'),
    pausedAt: status === 'awaiting_info' ? new Date('2026-03-09T02:00:00Z') : null,
    extensionCount: 0,
    answerText: ['pending_approval', 'answered', 'closed'].includes(status) ? 'Đã vá ổ gà ngày 09/03/2026.' : null,
    answerDraftedBy: ['pending_approval', 'answered', 'closed'].includes(status) ? HANDLER_OF[lead] ?? null : null,
    answerApprovedBy: null,
    answeredAt: answered ? new Date('2026-02-20T02:00:00Z') : null,
    answeredOnTime: answered ? true : null,
    closedAt: status === 'closed' ? new Date('2026-03-01T02:00:00Z') : null,
    rating: null,
    reopenCount: 0,
    publishedAt: null,
    publicTitle: null,
    publicQuestion: null,
    publicAnswer: null,
  };
}

/** A valid command of each type for the case, so any refusal comes from the rules, not from the input. */
function validCommand(type: CaseCommandType, c: CaseState): CaseCommand {
  const handlerId = HANDLER_OF[c.responsibleUnitId ?? UNIT_A] ?? 1001;
  switch (type) {
    case 'assign':
      return { type, unitId: UNIT_A };
    case 'accept':
      return { type, handlerId };
    case 'assign_handler':
      return { type, handlerId };
    case 'return':
      return { type, reason: 'Không thuộc lĩnh vực của đơn vị' };
    case 'refuse':
      return { type, reason: 'noi_dung_khong_ro' };
    case 'merge':
      return { type, intoCaseId: MERGE_TARGET };
    case 'recategorise':
      return { type, categoryId: OTHER_CATEGORY };
    case 'transfer':
      return { type, unitId: UNIT_C, reason: 'Thuộc thẩm quyền Sở Công Thương' };
    case 'request_info':
      return { type, question: 'Ông/Bà cho biết số nhà cụ thể?' };
    case 'provide_info':
      return { type, text: 'Trước số 12' };
    case 'draft_answer':
      return { type, text: 'Đã vá ổ gà.' };
    case 'approve':
      return { type };
    case 'send_back':
      return { type, comment: 'Bổ sung ngày hoàn thành' };
    case 'rate':
      return { type, rating: 'hai_long' };
    case 'auto_close':
      return { type, afterDays: 7 };
    case 'request_extension':
      return { type, reason: 'Cần khảo sát hiện trường', extraWorkingDays: 5 };
    case 'grant_extension':
      return { type, reason: 'Đồng ý gia hạn', extraWorkingDays: 5 };
    case 'add_note':
      return { type, text: 'Đã gọi điện cho công dân' };
    case 'publish':
      return { type };
  }
}

// ───────────────────────────── the expected table (ARCHITECTURE.md §3, written out by hand) ─────────────────────────────

type Reach = 'any' | 'lead' | 'lead_or_co';
interface Expectation {
  from: CaseStatus[];
  roles: Partial<Record<Role, Reach>>;
  citizen?: true;
  system?: true;
  /** Status after success; 'same' = unchanged. */
  to: CaseStatus | 'same';
}
const HELD: CaseStatus[] = ['assigned', 'in_progress', 'awaiting_info', 'pending_approval'];
const EXPECTED: Record<CaseCommandType, Expectation> = {
  assign: { from: ['received'], roles: { dispatcher: 'any', admin: 'any' }, system: true, to: 'assigned' },
  accept: { from: ['assigned'], roles: { handler: 'lead', unit_leader: 'lead', admin: 'any' }, to: 'in_progress' },
  assign_handler: { from: ['in_progress', 'awaiting_info', 'pending_approval'], roles: { unit_leader: 'lead', admin: 'any' }, to: 'same' },
  return: { from: ['assigned'], roles: { unit_leader: 'lead', admin: 'any' }, to: 'received' },
  refuse: { from: ['received'], roles: { dispatcher: 'any', admin: 'any' }, to: 'refused' },
  merge: { from: ['received'], roles: { dispatcher: 'any', admin: 'any' }, to: 'merged' },
  recategorise: { from: ['received'], roles: { dispatcher: 'any', admin: 'any' }, to: 'same' },
  transfer: { from: HELD, roles: { dispatcher: 'any', admin: 'any' }, to: 'assigned' },
  request_info: { from: ['in_progress'], roles: { handler: 'lead', unit_leader: 'lead', admin: 'any' }, to: 'awaiting_info' },
  provide_info: { from: ['awaiting_info'], roles: { handler: 'lead', unit_leader: 'lead', admin: 'any' }, citizen: true, to: 'in_progress' },
  draft_answer: { from: ['in_progress'], roles: { handler: 'lead', unit_leader: 'lead', admin: 'any' }, to: 'pending_approval' },
  approve: { from: ['pending_approval'], roles: { unit_leader: 'lead', admin: 'any' }, to: 'answered' },
  send_back: { from: ['pending_approval'], roles: { unit_leader: 'lead', admin: 'any' }, to: 'in_progress' },
  rate: { from: ['answered'], roles: { admin: 'any' }, citizen: true, to: 'closed' },
  auto_close: { from: ['answered'], roles: {}, system: true, to: 'closed' },
  request_extension: { from: HELD, roles: { unit_leader: 'lead', admin: 'any' }, to: 'same' },
  grant_extension: { from: HELD, roles: { dispatcher: 'any', admin: 'any' }, to: 'same' },
  add_note: {
    from: [...CASE_STATUSES],
    roles: { handler: 'lead_or_co', unit_leader: 'lead_or_co', dispatcher: 'any', admin: 'any' },
    to: 'same',
  },
  publish: { from: ['answered', 'closed'], roles: { dispatcher: 'any', admin: 'any' }, to: 'same' },
};

type Relation = 'lead' | 'co' | 'other';
interface ActorCase {
  label: string;
  actor: Actor;
  relation: Relation;
}
const ROLES: Role[] = ['dispatcher', 'handler', 'unit_leader', 'admin', 'viewer'];
const ACTOR_CASES: ActorCase[] = [
  ...ROLES.flatMap((role) =>
    (['lead', 'co', 'other'] as Relation[]).map((relation) => ({
      label: `${role} (${relation === 'lead' ? 'own unit' : relation === 'co' ? 'co-handling unit' : 'other unit'})`,
      actor: { type: 'official' as const, officialId: 500, unitId: UNIT_A, roles: [role] },
      relation,
    })),
  ),
  { label: 'citizen (own case)', actor: { type: 'citizen', contactId: CONTACT }, relation: 'lead' },
  { label: 'citizen (someone else’s case)', actor: { type: 'citizen', contactId: OTHER_CONTACT }, relation: 'other' },
  { label: 'system', actor: { type: 'system' }, relation: 'other' },
];

function caseFor(status: CaseStatus, actorCase: ActorCase): CaseState {
  if (actorCase.actor.type !== 'official') return makeCase(status, UNIT_B);
  if (actorCase.relation === 'lead') return makeCase(status, UNIT_A);
  if (actorCase.relation === 'co') return makeCase(status, UNIT_B, [UNIT_A]);
  return makeCase(status, UNIT_B);
}

function expectedOutcome(type: CaseCommandType, actorCase: ActorCase, status: CaseStatus): 'ok' | CaseErrorCode {
  const rule = EXPECTED[type];
  const { actor, relation } = actorCase;
  if (actor.type === 'citizen') {
    if (relation === 'other') return 'not_found';
    if (!rule.citizen) return 'forbidden';
  } else if (actor.type === 'system') {
    if (!rule.system) return 'forbidden';
  } else {
    const role = actor.roles[0] as Role;
    const global = role === 'dispatcher' || role === 'admin';
    if (!global && relation === 'other') return 'not_found';
    const reach = rule.roles[role];
    const granted = reach === 'any' || (reach === 'lead' && relation === 'lead') || (reach === 'lead_or_co' && relation !== 'other');
    if (!granted) return 'forbidden';
  }
  return rule.from.includes(status) ? 'ok' : 'invalid_transition';
}

describe('transition: permission × status matrix', () => {
  const types = Object.keys(EXPECTED) as CaseCommandType[];
  for (const type of types) {
    describe(type, () => {
      it.each(ACTOR_CASES)('$label', (actorCase) => {
        const mismatches: string[] = [];
        for (const status of CASE_STATUSES) {
          const c = caseFor(status, actorCase);
          const result = transition(c, validCommand(type, c), actorCase.actor, NOW, makeContext());
          const expected = expectedOutcome(type, actorCase, status);
          const actual = result.ok ? 'ok' : result.error.code;
          if (actual !== expected) {
            mismatches.push(`${status}: expected ${expected}, got ${actual}${result.ok ? '' : ` (${result.error.message})`}`);
            continue;
          }
          if (result.ok) {
            const to = EXPECTED[type].to === 'same' ? status : EXPECTED[type].to;
            if (result.next.status !== to) mismatches.push(`${status}: went to ${result.next.status}, expected ${to}`);
            if (result.next.version !== c.version + 1) mismatches.push(`${status}: version not bumped`);
            if (result.events.length !== 1) mismatches.push(`${status}: ${result.events.length} events`);
            const [event] = result.events;
            if (event?.fromStatus !== status || event?.toStatus !== to) mismatches.push(`${status}: event ${event?.fromStatus}→${event?.toStatus}`);
          }
        }
        expect(mismatches).toEqual([]);
      });
    });
  }

  it('covers every command of the schema', () => {
    expect(ZCaseCommand.options.map((o) => o.shape.type.value).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('listAllowedCommands agrees with transition for a unit leader on an in_progress case', () => {
    const leader: Actor = { type: 'official', officialId: 7, unitId: UNIT_A, roles: ['unit_leader'] };
    expect(listAllowedCommands(leader, makeCase('in_progress', UNIT_A)).sort()).toEqual(
      ['add_note', 'assign_handler', 'draft_answer', 'request_extension', 'request_info'].sort(),
    );
  });

  it('an official with several roles gets the union (dispatcher who is also a handler in VPUB)', () => {
    const both: Actor = { type: 'official', officialId: 8, unitId: UNIT_A, roles: ['dispatcher', 'handler'] };
    const c = makeCase('in_progress', UNIT_A);
    expect(transition(c, validCommand('draft_answer', c), both, NOW, makeContext()).ok).toBe(true);
    expect(transition(c, validCommand('transfer', c), both, NOW, makeContext()).ok).toBe(true);
  });

  it('an official without any role sees nothing', () => {
    const nobody: Actor = { type: 'official', officialId: 9, unitId: UNIT_A, roles: [] };
    const c = makeCase('in_progress', UNIT_A);
    const result = transition(c, validCommand('add_note', c), nobody, NOW, makeContext());
    expect(result.ok ? 'ok' : result.error.code).toBe('not_found');
  });
});

// ───────────────────────────── inputs and effects ─────────────────────────────

const dispatcher: Actor = { type: 'official', officialId: 1, unitId: 1, roles: ['dispatcher'] };
const leaderA: Actor = { type: 'official', officialId: 11, unitId: UNIT_A, roles: ['unit_leader'] };
const handlerA: Actor = { type: 'official', officialId: 1001, unitId: UNIT_A, roles: ['handler'] };
const citizen: Actor = { type: 'citizen', contactId: CONTACT };
const system: Actor = { type: 'system' };

function run(c: CaseState, command: CaseCommand, actor: Actor, ctx: Partial<TransitionContext> = {}, now = NOW) {
  return transition(c, command, actor, now, makeContext(ctx));
}

function errorCode(result: ReturnType<typeof transition>): string {
  return result.ok ? 'ok' : result.error.code;
}

describe('transition: required inputs', () => {
  it.each([
    ['return', makeCase('assigned', UNIT_A), { type: 'return', reason: '  ' }, leaderA],
    ['transfer', makeCase('in_progress', UNIT_A), { type: 'transfer', unitId: UNIT_C, reason: '' }, dispatcher],
    ['refuse', makeCase('received', UNIT_A), { type: 'refuse', reason: '' }, dispatcher],
    ['send_back', makeCase('pending_approval', UNIT_A), { type: 'send_back', comment: ' ' }, leaderA],
    ['request_extension', makeCase('in_progress', UNIT_A), { type: 'request_extension', reason: '', extraWorkingDays: 3 }, leaderA],
    ['grant_extension', makeCase('in_progress', UNIT_A), { type: 'grant_extension', reason: '', extraWorkingDays: 3 }, dispatcher],
  ] as Array<[string, CaseState, CaseCommand, Actor]>)('%s without a reason → missing_reason', (_name, c, command, actor) => {
    expect(errorCode(run(c, command, actor))).toBe('missing_reason');
  });

  it.each([
    ['request_info', makeCase('in_progress', UNIT_A), { type: 'request_info', question: '' }, handlerA],
    ['provide_info', makeCase('awaiting_info', UNIT_A), { type: 'provide_info', text: ' ' }, citizen],
    ['draft_answer', makeCase('in_progress', UNIT_A), { type: 'draft_answer', text: '' }, handlerA],
    ['approve with empty text', makeCase('pending_approval', UNIT_A), { type: 'approve', text: ' ' }, leaderA],
    ['add_note', makeCase('in_progress', UNIT_A), { type: 'add_note', text: '' }, handlerA],
  ] as Array<[string, CaseState, CaseCommand, Actor]>)('%s without text → missing_text', (_name, c, command, actor) => {
    expect(errorCode(run(c, command, actor))).toBe('missing_text');
  });

  it('refuses a refusal reason outside the closed list', () => {
    expect(errorCode(run(makeCase('received', UNIT_A), { type: 'refuse', reason: 'khong_thich' }, dispatcher))).toBe('invalid_refusal_reason');
  });

  it('assign/transfer to an unknown or inactive unit → unknown_unit; transfer to the same unit → same_unit', () => {
    const inactive = [...units, { id: 40, name: 'Đã giải thể', requiresApproval: true, active: false }];
    expect(errorCode(run(makeCase('received', UNIT_A), { type: 'assign', unitId: 12345 }, dispatcher))).toBe('unknown_unit');
    expect(errorCode(run(makeCase('received', UNIT_A), { type: 'assign', unitId: 40 }, dispatcher, { units: inactive }))).toBe('unknown_unit');
    expect(errorCode(run(makeCase('received', UNIT_A), { type: 'assign', unitId: UNIT_A, coUnitIds: [12345] }, dispatcher))).toBe('unknown_unit');
    expect(errorCode(run(makeCase('in_progress', UNIT_A), { type: 'transfer', unitId: UNIT_A, reason: 'x' }, dispatcher))).toBe('same_unit');
  });

  it('accept: given handler must be an active handler of the unit; without one the auto pick is used', () => {
    const c = makeCase('assigned', UNIT_A);
    expect(errorCode(run(c, { type: 'accept', handlerId: 2001 }, leaderA))).toBe('unknown_handler');
    expect(errorCode(run(c, { type: 'accept' }, leaderA))).toBe('no_handler_available');
    const auto = run(c, { type: 'accept' }, leaderA, { autoHandlerId: 1001 });
    expect(auto.ok && auto.next.assigneeId).toBe(1001);
    expect(auto.ok && auto.events[0]?.payload).toEqual({ handlerId: 1001, auto: true });
    const inactive = run(c, { type: 'accept', handlerId: 1001 }, leaderA, {
      officials: [{ id: 1001, unitId: UNIT_A, roles: ['handler'], active: false }],
    });
    expect(errorCode(inactive)).toBe('unknown_handler');
  });

  it('merge: target must exist, differ from the case and still be usable', () => {
    const c = makeCase('received', UNIT_A);
    expect(errorCode(run(c, { type: 'merge', intoCaseId: MERGE_TARGET }, dispatcher, { mergeTarget: null }))).toBe('invalid_merge_target');
    expect(errorCode(run(c, { type: 'merge', intoCaseId: 1 }, dispatcher, { mergeTarget: { id: 1, code: c.code, status: 'received' } }))).toBe(
      'invalid_merge_target',
    );
    expect(
      errorCode(run(c, { type: 'merge', intoCaseId: MERGE_TARGET }, dispatcher, { mergeTarget: { id: MERGE_TARGET, code: 'x', status: 'merged' } })),
    ).toBe('invalid_merge_target');
  });

  it('recategorise: the category must exist, be in use and differ from the current one; due dates stay', () => {
    const c = makeCase('received', UNIT_A);
    const command = { type: 'recategorise', categoryId: OTHER_CATEGORY } as const;
    expect(errorCode(run(c, command, dispatcher, { category: null }))).toBe('unknown_category');
    expect(errorCode(run(c, command, dispatcher, { category: { id: OTHER_CATEGORY, name: 'Giao thông', active: false } }))).toBe('unknown_category');
    expect(errorCode(run(c, { type: 'recategorise', categoryId: 5 }, dispatcher, { category: { id: 5, name: 'Cũ', active: true } }))).toBe('same_category');
    const result = run(c, command, dispatcher);
    expect(result.ok && result.next.categoryId).toBe(OTHER_CATEGORY);
    expect(result.ok && [result.next.triageDueAt, result.next.answerDueAt]).toEqual([c.triageDueAt, c.answerDueAt]);
    expect(result.ok && result.events[0]).toMatchObject({ action: 'recategorised', payload: { fromCategoryId: 5, toCategoryId: OTHER_CATEGORY, toCategoryName: 'Giao thông' } });
    expect(result.ok && result.intents).toEqual([]);
  });

  it('request_info needs a contact to ask', () => {
    expect(errorCode(run({ ...makeCase('in_progress', UNIT_A), contactId: null }, { type: 'request_info', question: 'Số nhà?' }, handlerA))).toBe(
      'no_contact',
    );
  });

  it('grant_extension needs exactly one of extra days / new date, later than the current due date', () => {
    const c = makeCase('in_progress', UNIT_A);
    const both = { type: 'grant_extension', reason: 'ok', extraWorkingDays: 2, newDueAt: new Date('2026-04-01T10:30:00Z') } as const;
    expect(errorCode(run(c, both, dispatcher))).toBe('invalid_extension');
    expect(errorCode(run(c, { type: 'grant_extension', reason: 'ok' }, dispatcher))).toBe('invalid_extension');
    expect(errorCode(run(c, { type: 'grant_extension', reason: 'ok', newDueAt: new Date('2026-03-10T10:30:00Z') }, dispatcher))).toBe(
      'invalid_extension',
    );
    const byDate = run(c, { type: 'grant_extension', reason: 'ok', newDueAt: new Date('2026-04-01T10:30:00Z') }, dispatcher);
    expect(byDate.ok && byDate.next.answerDueAt).toEqual(new Date('2026-04-01T10:30:00Z'));
    expect(byDate.ok && byDate.next.extensionCount).toBe(1);
  });

  it('auto_close only after the configured days', () => {
    const c = { ...makeCase('answered', UNIT_A), answeredAt: new Date('2026-03-05T02:00:00Z') };
    expect(errorCode(run(c, { type: 'auto_close', afterDays: 7 }, system))).toBe('too_early_to_close');
    expect(errorCode(run(c, { type: 'auto_close', afterDays: 7 }, system, {}, new Date('2026-03-12T02:00:00Z')))).toBe('ok');
  });
});

describe('transition: effects', () => {
  it('assign sets the unit, co-units and accept due date (1 working day), tells the citizen and the units', () => {
    const result = run(makeCase('received', UNIT_A), { type: 'assign', unitId: UNIT_A, coUnitIds: [UNIT_B, UNIT_A, UNIT_B] }, dispatcher);
    if (!result.ok) throw new Error(result.error.code);
    expect(result.next.responsibleUnitId).toBe(UNIT_A);
    expect(result.next.coUnitIds).toEqual([UNIT_B]);
    // Tue 10/03 10:00 + 1 working day = Wed 11/03 17:30 (+07).
    expect(result.next.acceptDueAt).toEqual(new Date('2026-03-11T10:30:00Z'));
    expect(result.intents.map((i) => [i.template, i.to])).toEqual([
      ['case-assigned', { type: 'contact', contactId: CONTACT }],
      ['official-case-assigned', { type: 'unit', unitId: UNIT_A, roles: ['unit_leader', 'handler'] }],
      ['official-case-co-assigned', { type: 'unit', unitId: UNIT_B, roles: ['unit_leader', 'handler'] }],
    ]);
    expect(result.intents[0]?.data).toMatchObject({ caseCode: 'PA-2026-000001', unitName: 'Sở Xây dựng', answerDueDate: '16/03/2026' });
    expect(result.intents.every((i) => i.key.startsWith('case:1:v4:'))).toBe(true);
  });

  it('refuse tells the citizen the reason in Vietnamese', () => {
    const result = run(makeCase('received', UNIT_A), { type: 'refuse', reason: 'khieu_nai_to_cao' }, dispatcher);
    if (!result.ok) throw new Error(result.error.code);
    expect(result.next.refusalReason).toBe('khieu_nai_to_cao');
    expect(result.intents).toHaveLength(1);
    expect(result.intents[0]?.template).toBe('case-refused');
    expect(result.intents[0]?.data.reasonText).toBe(REFUSAL_REASON_TEXTS.khieu_nai_to_cao.citizenText);
  });

  it('merge tells the citizen which case carries on', () => {
    const result = run(makeCase('received', UNIT_A), { type: 'merge', intoCaseId: MERGE_TARGET }, dispatcher);
    expect(result.ok && result.next.mergedIntoId).toBe(MERGE_TARGET);
    expect(result.ok && result.intents[0]?.data.mergedIntoCode).toBe('PA-2026-000999');
  });

  it('request_info pauses and sends the question; provide_info resumes and shifts the answer due date', () => {
    const asked = run(makeCase('in_progress', UNIT_A), { type: 'request_info', question: 'Số nhà cụ thể?' }, handlerA);
    if (!asked.ok) throw new Error(asked.error.code);
    expect(asked.next.pausedAt).toEqual(NOW);
    expect(asked.intents[0]).toMatchObject({ template: 'case-awaiting-info', data: { question: 'Số nhà cụ thể?' } });
    // Paused Tue 10:00 → Wed 10:00 = 8 working hours = one working day more.
    const answered = run(asked.next, { type: 'provide_info', text: 'Số 12' }, citizen, {}, new Date('2026-03-11T03:00:00Z'));
    if (!answered.ok) throw new Error(answered.error.code);
    expect(answered.next.pausedAt).toBeNull();
    expect(answered.next.answerDueAt).toEqual(new Date('2026-03-17T10:30:00Z'));
    expect(answered.intents[0]).toMatchObject({ template: 'official-info-provided', to: { type: 'official', officialId: 1001 } });
  });

  it('draft_answer goes straight to answered when the unit needs no approval, freezing answeredOnTime', () => {
    const noApproval = units.map((u) => ({ ...u, requiresApproval: false }));
    const result = run(makeCase('in_progress', UNIT_A), { type: 'draft_answer', text: 'Đã xử lý.' }, handlerA, { units: noApproval });
    if (!result.ok) throw new Error(result.error.code);
    expect(result.next.status).toBe('answered');
    expect(result.events.map((e) => e.action)).toEqual(['answered']);
    expect(result.next.answeredOnTime).toBe(true);
    expect(result.intents[0]).toMatchObject({ template: 'case-answered', data: { answerText: 'Đã xử lý.' } });
    expect(result.intents[0]?.data.ratingOptions).toEqual([
      { value: 'hai_long', label: 'Hài lòng' },
      { value: 'chap_nhan', label: 'Chấp nhận' },
      { value: 'chua_hai_long', label: 'Chưa hài lòng' },
    ]);
  });

  it('approve after the due date is frozen as late; senders of merged cases get the answer too', () => {
    const late = new Date('2026-03-17T03:00:00Z');
    const result = run(makeCase('pending_approval', UNIT_A), { type: 'approve' }, leaderA, {
      mergedCases: [
        { id: 50, code: 'PA-2026-000050', contactId: 300 },
        { id: 51, code: 'PA-2026-000051', contactId: null },
      ],
    }, late);
    if (!result.ok) throw new Error(result.error.code);
    expect(result.next).toMatchObject({ status: 'answered', answeredOnTime: false, answerApprovedBy: 11, answeredAt: late });
    expect(result.intents.map((i) => i.to)).toEqual([
      { type: 'contact', contactId: CONTACT },
      { type: 'contact', contactId: 300 },
    ]);
    expect(result.intents[1]?.data).toMatchObject({ caseCode: 'PA-2026-000050', mergedIntoCode: 'PA-2026-000001' });
  });

  it('"chưa hài lòng" reopens once with a fresh answer period; the second time it closes', () => {
    const first = run(makeCase('answered', UNIT_A), { type: 'rate', rating: 'chua_hai_long' }, citizen);
    if (!first.ok) throw new Error(first.error.code);
    expect(first.next).toMatchObject({ status: 'in_progress', reopenCount: 1, responsibleUnitId: UNIT_A, assigneeId: 1001 });
    expect(first.events[0]?.action).toBe('reopened');
    expect(first.next.answerDueAt).toEqual(new Date('2026-03-24T10:30:00Z')); // 10 working days after Tue 10/03
    const second = run({ ...first.next, status: 'answered' }, { type: 'rate', rating: 'chua_hai_long' }, citizen);
    expect(second.ok && second.next).toMatchObject({ status: 'closed', rating: 'chua_hai_long', reopenCount: 1 });
  });

  it('transfer from awaiting_info credits the pause, restarts the accept clock and keeps the answer due date', () => {
    const c = makeCase('awaiting_info', UNIT_A); // paused Mon 09/03 09:00
    const result = run(c, { type: 'transfer', unitId: UNIT_B, reason: 'Thuộc ngành y tế' }, dispatcher);
    if (!result.ok) throw new Error(result.error.code);
    expect(result.next).toMatchObject({ status: 'assigned', responsibleUnitId: UNIT_B, assigneeId: null, pausedAt: null, answerText: null });
    expect(result.next.acceptDueAt).toEqual(new Date('2026-03-11T10:30:00Z'));
    // Paused Mon 09:00 → Tue 10:00 = 7 + 2 = 9 working hours added to Mon 16/03 17:30 → Wed 18/03 09:00.
    expect(result.next.answerDueAt).toEqual(new Date('2026-03-18T02:00:00Z'));
  });

  it('publish masks the sender’s name, phone and house number', () => {
    const result = run(makeCase('answered', UNIT_A), { type: 'publish', title: 'Ổ gà phố Huế' }, dispatcher);
    if (!result.ok) throw new Error(result.error.code);
    expect(result.next.publicQuestion).toBe('Ổ gà lớn trước ngõ 3 phố Huế, gọi [SĐT đã ẩn] (N.V.A.).');
    expect(result.next.publicAnswer).toBe('Đã vá ổ gà ngày 09/03/2026.');
    expect(result.next.publishedAt).toEqual(NOW);
    expect(JSON.stringify(result.events[0]?.payload)).not.toContain('0912');
  });

  it('notes change nothing but the version and carry the author’s unit', () => {
    const c = makeCase('in_progress', UNIT_B, [UNIT_A]);
    const result = run(c, { type: 'add_note', text: 'Phối hợp kiểm tra ngày 12/03' }, handlerA);
    if (!result.ok) throw new Error(result.error.code);
    expect({ ...result.next, version: c.version }).toEqual(c);
    expect(result.events[0]?.payload).toEqual({ text: 'Phối hợp kiểm tra ngày 12/03', unitId: UNIT_A });
    expect(result.intents).toEqual([]);
  });
});

describe('labels and messages', () => {
  it('every error code has a Vietnamese message', () => {
    for (const code of CASE_ERROR_CODES) expect(caseErrorMessage(code)).toMatch(/\p{L}{2,}/u);
    expect(caseErrorMessage('stale_version')).toContain('người khác cập nhật');
  });

  it('every status and refusal reason has a label', () => {
    expect(CASE_STATUS_LABELS.received).toBe('Đã tiếp nhận (chờ phân loại)');
    expect(CASE_STATUS_LABELS.closed).toBe('Hoàn thành');
    for (const reason of REFUSAL_REASONS) expect(REFUSAL_REASON_TEXTS[reason].citizenText.length).toBeGreaterThan(20);
  });

  it('ZCaseCommand parses payloads at the edge', () => {
    expect(ZCaseCommand.parse({ type: 'grant_extension', reason: ' ok ', newDueAt: '2026-04-01T10:30:00Z' })).toEqual({
      type: 'grant_extension',
      reason: 'ok',
      newDueAt: new Date('2026-04-01T10:30:00Z'),
    });
    expect(ZCaseCommand.safeParse({ type: 'rate', rating: 'tuyet_voi' }).success).toBe(false);
    expect(ZCaseCommand.safeParse({ type: 'fly' }).success).toBe(false);
  });
});
