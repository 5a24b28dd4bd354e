import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseEvents, caseUnits, cases, officials, outbox } from '../../../db/schema.js';
import { createFakeClock, type FakeClock } from '../../../runtime/clock.js';
import { addWorkingDays } from '../../../workflows/calendar/working-calendar.js';
import type { Actor } from '../../../workflows/cases/actor.js';
import type { CaseCommand } from '../../../workflows/cases/case-commands.js';
import {
  closeUnratedCases,
  createCase,
  getCaseForActor,
  listCaseEventsForActor,
  listCasesForActor,
  runCaseCommand,
  type CaseServiceDeps,
  type TCreateCaseInput,
} from '../../../workflows/cases/case-service.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../../helpers/db.js';
import {
  createDbCalendarLoader,
  seedCalendar2026,
  seedCategory,
  seedContact,
  seedOfficial,
  seedOrg,
  seedRoutingRule,
  seedUnit,
  type SeededOrg,
} from '../../helpers/seed-org.js';

/** Hà Nội local time → instant. */
const vn = (local: string) => new Date(`${local}+07:00`);

describe.each(DRIVERS)('case service on %s', (driver) => {
  let database: TestDatabase;
  let clock: FakeClock;
  let deps: CaseServiceDeps;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    await seedCalendar2026(database.db);
    clock = createFakeClock(vn('2026-03-02T09:00:00'));
    deps = { db: database.db, clock, loadCalendar: createDbCalendarLoader(database.db) };
  });
  afterAll(async () => database?.destroy());

  const db = () => database.db;

  async function newCase(org: SeededOrg, overrides: Partial<TCreateCaseInput> = {}) {
    return createCase(deps, {
      channel: 'zalo',
      contact: { id: org.contactId },
      contactKind: 'citizen',
      categoryId: org.categories.unrouted,
      description: 'Ổ gà lớn trước cửa nhà, xe máy đi qua rất nguy hiểm',
      areaUnitId: org.units.ward,
      ...overrides,
    });
  }

  async function currentVersion(caseId: number): Promise<number> {
    const [row] = await db().select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    if (!row) throw new Error(`case ${caseId} missing`);
    return row.version;
  }

  async function act(caseId: number, actor: Actor, command: CaseCommand) {
    return runCaseCommand(deps, { caseId, command, actor, expectedVersion: await currentVersion(caseId) });
  }

  async function mustAct(caseId: number, actor: Actor, command: CaseCommand) {
    const result = await act(caseId, actor, command);
    if (!result.ok) throw new Error(`${command.type} refused: ${result.error.code}`);
    return result.case;
  }

  async function eventsOf(caseId: number) {
    return db().select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.id));
  }

  async function outboxOf(caseId: number) {
    return db().select().from(outbox).where(eq(outbox.caseId, caseId)).orderBy(asc(outbox.id));
  }

  it('happy path: received → assigned → in_progress → pending_approval → answered → closed, one event per step', async () => {
    const org = await seedOrg(db());
    const { dispatcher, leaderA, handlerA } = org.officials;
    const citizen: Actor = { type: 'citizen', contactId: org.contactId };

    clock.set(vn('2026-03-02T09:00:00')); // Monday
    const created = await newCase(org);
    const id = created.case.id;
    expect(created.case.code).toMatch(/^PA-2026-\d{6}$/);
    expect(created.case.status).toBe('received');
    expect(created.routing).toBeNull();
    // Triage 2 working days → Wed 04/03 17:30; answer 10 working days → Mon 16/03 17:30.
    expect(created.dueDates).toEqual({
      triageDueAt: vn('2026-03-04T17:30:00'),
      acceptDueAt: null,
      answerDueAt: vn('2026-03-16T17:30:00'),
    });
    const received = await outboxOf(id);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      kind: 'notify',
      template: 'case-received',
      recipient: { type: 'contact', contactId: org.contactId },
      status: 'pending',
    });
    expect(received[0]?.data).toMatchObject({ caseCode: created.case.code, answerDueDate: '16/03/2026', receivedDate: '02/03/2026' });

    clock.set(vn('2026-03-02T10:00:00'));
    const assigned = await mustAct(id, dispatcher.actor, { type: 'assign', unitId: org.units.a, coUnitIds: [org.units.b] });
    expect(assigned).toMatchObject({ status: 'assigned', responsibleUnitId: org.units.a, coUnitIds: [org.units.b] });
    expect(assigned.acceptDueAt).toEqual(vn('2026-03-03T17:30:00'));
    const unitRows = await db().select().from(caseUnits).where(eq(caseUnits.caseId, id)).orderBy(asc(caseUnits.unitId));
    expect(unitRows.map((r) => [r.unitId, r.role])).toEqual([
      [org.units.a, 'lead'],
      [org.units.b, 'co'],
    ]);

    clock.set(vn('2026-03-03T08:30:00'));
    const accepted = await mustAct(id, leaderA.actor, { type: 'accept' });
    expect(accepted).toMatchObject({ status: 'in_progress', assigneeId: handlerA.id });
    const [handlerRow] = await db().select().from(officials).where(eq(officials.id, handlerA.id));
    expect(handlerRow?.lastAssignedAt).toEqual(vn('2026-03-03T08:30:00'));

    clock.set(vn('2026-03-05T14:00:00'));
    const drafted = await mustAct(id, handlerA.actor, { type: 'draft_answer', text: 'Đã vá ổ gà ngày 05/03/2026.', templateName: 'da-khac-phuc' });
    expect(drafted).toMatchObject({ status: 'pending_approval', answerDraftedBy: handlerA.id });

    clock.set(vn('2026-03-06T09:00:00'));
    const answered = await mustAct(id, leaderA.actor, { type: 'approve' });
    expect(answered).toMatchObject({ status: 'answered', answeredOnTime: true, answerApprovedBy: leaderA.id });
    expect(answered.answeredAt).toEqual(vn('2026-03-06T09:00:00'));

    clock.set(vn('2026-03-06T20:00:00'));
    const closed = await mustAct(id, citizen, { type: 'rate', rating: 'hai_long' });
    expect(closed).toMatchObject({ status: 'closed', rating: 'hai_long', version: 6 });

    const events = await eventsOf(id);
    expect(events.map((e) => [e.action, e.fromStatus, e.toStatus, e.actorType])).toEqual([
      ['received', null, 'received', 'citizen'],
      ['assigned', 'received', 'assigned', 'official'],
      ['accepted', 'assigned', 'in_progress', 'official'],
      ['answer_drafted', 'in_progress', 'pending_approval', 'official'],
      ['approved', 'pending_approval', 'answered', 'official'],
      ['rated', 'answered', 'closed', 'citizen'],
    ]);
    expect(events[2]?.actorId).toBe(String(leaderA.id));

    const templates = (await outboxOf(id)).map((r) => r.template);
    expect(templates).toEqual([
      'case-received',
      'case-assigned',
      'official-case-assigned',
      'official-case-co-assigned',
      'official-handler-assigned',
      'official-answer-to-approve',
      'case-answered',
    ]);
    const answerMessage = (await outboxOf(id)).find((r) => r.template === 'case-answered');
    expect(answerMessage?.data).toMatchObject({ answerText: 'Đã vá ổ gà ngày 05/03/2026.' });
    expect((answerMessage?.data.ratingOptions as unknown[]).length).toBe(3);
  });

  it("a new case's answer due date is addWorkingDays(cal, receivedAt, 10) under the default rule", async () => {
    const org = await seedOrg(db());
    const calendar = await deps.loadCalendar();
    for (const local of ['2026-04-24T18:00:00', '2026-02-13T16:00:00', '2026-08-21T11:00:00']) {
      clock.set(vn(local));
      const created = await newCase(org);
      expect(created.case.answerDueAt).toEqual(addWorkingDays(calendar, vn(local), 10));
      expect(created.case.triageDueAt).toEqual(addWorkingDays(calendar, vn(local), 2));
    }
  });

  it('auto-routes at creation when a rule matches: assigned event, accept due date, unit notified', async () => {
    const org = await seedOrg(db());
    clock.set(vn('2026-03-02T09:00:00'));
    const byRule = await newCase(org, { categoryId: org.categories.routed });
    expect(byRule.case).toMatchObject({ status: 'assigned', responsibleUnitId: org.units.a, version: 2 });
    expect(byRule.routing).toMatchObject({ source: 'rule', unitId: org.units.a });
    expect(byRule.dueDates.acceptDueAt).toEqual(vn('2026-03-03T17:30:00'));
    const events = await eventsOf(byRule.case.id);
    expect(events.map((e) => [e.action, e.actorType])).toEqual([
      ['received', 'citizen'],
      ['assigned', 'system'],
    ]);
    expect(events[1]?.payload).toMatchObject({ unitId: org.units.a, ruleId: expect.any(Number) });
    expect((await outboxOf(byRule.case.id)).map((r) => r.template)).toEqual(['case-received', 'case-assigned', 'official-case-assigned']);

    const byArea = await newCase(org, { categoryId: org.categories.byArea });
    expect(byArea.case).toMatchObject({ status: 'assigned', responsibleUnitId: org.units.ward });

    const noArea = await newCase(org, { categoryId: org.categories.byArea, areaUnitId: null });
    expect(noArea.case.status).toBe('received');
  });

  it('numbers cases per local year: PA-YYYY-NNNNNN, restarting on 1 January in Hà Nội', async () => {
    const org = await seedOrg(db());
    clock.set(new Date('2027-12-31T16:59:00Z')); // 23:59 local on 31/12/2027
    const last = await newCase(org);
    clock.set(new Date('2027-12-31T17:01:00Z')); // 00:01 local on 01/01/2028
    const first = await newCase(org);
    const second = await newCase(org);
    expect(last.case.code).toBe('PA-2027-000001');
    expect(first.case.code).toBe('PA-2028-000001');
    expect(second.case.code).toBe('PA-2028-000002');
  });

  it('unit scope: a handler of unit A can neither read nor change a case of unit B', async () => {
    const org = await seedOrg(db());
    clock.set(vn('2026-03-02T09:00:00'));
    const created = await newCase(org);
    const id = created.case.id;
    await mustAct(id, org.officials.dispatcher.actor, { type: 'assign', unitId: org.units.b });

    const handlerA = org.officials.handlerA.actor;
    expect(await getCaseForActor(deps, id, handlerA)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await act(id, handlerA, { type: 'accept', handlerId: org.officials.handlerA.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await act(id, handlerA, { type: 'add_note', text: 'xem thử' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const listed = await listCasesForActor(deps, handlerA, { categoryId: org.categories.unrouted });
    expect(listed.items.map((c) => c.id)).not.toContain(id);

    // The same answer for a case that does not exist at all.
    expect(await getCaseForActor(deps, 987_654_321, handlerA)).toMatchObject({ ok: false, error: { code: 'not_found' } });

    // Unit B sees it; unit A's viewer does not; the dispatcher does.
    expect((await getCaseForActor(deps, id, org.officials.handlerB.actor)).ok).toBe(true);
    expect((await getCaseForActor(deps, id, org.officials.viewerA.actor)).ok).toBe(false);
    expect((await getCaseForActor(deps, id, org.officials.dispatcher.actor)).ok).toBe(true);
    expect((await eventsOf(id)).length).toBe(2);
  });

  it('a co-handling unit reads the case and adds notes, but does not answer it', async () => {
    const org = await seedOrg(db());
    const created = await newCase(org);
    const id = created.case.id;
    await mustAct(id, org.officials.dispatcher.actor, { type: 'assign', unitId: org.units.b, coUnitIds: [org.units.a] });
    await mustAct(id, org.officials.leaderB.actor, { type: 'accept', handlerId: org.officials.handlerB.id });
    const handlerA = org.officials.handlerA.actor;
    expect((await getCaseForActor(deps, id, handlerA)).ok).toBe(true);
    expect((await act(id, handlerA, { type: 'add_note', text: 'Sở Xây dựng sẽ phối hợp kiểm tra' })).ok).toBe(true);
    expect(await act(id, handlerA, { type: 'draft_answer', text: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await listCasesForActor(deps, handlerA, { categoryId: org.categories.unrouted })).items.map((c) => c.id)).toContain(id);
  });

  it('citizens act only on their own case, and do not see internal notes', async () => {
    const org = await seedOrg(db());
    const stranger = await seedContact(db(), { fullName: 'Trần Văn Bình' });
    const created = await newCase(org, { categoryId: org.categories.routed });
    const id = created.case.id;
    await mustAct(id, org.officials.leaderA.actor, { type: 'accept', handlerId: org.officials.handlerA.id });
    await mustAct(id, org.officials.handlerA.actor, { type: 'add_note', text: 'Ghi chú nội bộ' });
    await mustAct(id, org.officials.handlerA.actor, { type: 'request_info', question: 'Ông/Bà cho biết vị trí cụ thể?' });

    const owner: Actor = { type: 'citizen', contactId: org.contactId };
    const other: Actor = { type: 'citizen', contactId: stranger };
    expect(await act(id, other, { type: 'provide_info', text: 'Trước số 12' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await getCaseForActor(deps, id, other)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await act(id, owner, { type: 'add_note', text: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await act(id, owner, { type: 'provide_info', text: 'Trước số 12' })).ok).toBe(true);

    const visible = await listCaseEventsForActor(deps, id, owner);
    expect(visible.ok && visible.events.map((e) => e.action)).toEqual(['received', 'assigned', 'info_requested', 'info_provided']);
    const full = await listCaseEventsForActor(deps, id, org.officials.leaderA.actor);
    expect(full.ok && full.events.map((e) => e.action)).toContain('note_added');
    expect((await listCasesForActor(deps, owner, {})).items.every((c) => c.contactId === org.contactId)).toBe(true);
  });

  it('refuses a stale version and writes nothing', async () => {
    const org = await seedOrg(db());
    const created = await newCase(org);
    const id = created.case.id;
    const seen = created.case.version;
    await mustAct(id, org.officials.dispatcher.actor, { type: 'assign', unitId: org.units.a });
    const stale = await runCaseCommand(deps, {
      caseId: id,
      command: { type: 'refuse', reason: 'noi_dung_khong_ro' },
      actor: org.officials.dispatcher.actor,
      expectedVersion: seen,
    });
    expect(stale).toEqual({ ok: false, error: { code: 'stale_version', message: 'Hồ sơ đã được người khác cập nhật. Vui lòng tải lại trang và thử lại.' } });
    expect((await eventsOf(id)).map((e) => e.action)).toEqual(['received', 'assigned']);
    expect(await currentVersion(id)).toBe(seen + 1);
  });

  it('refused commands leave no trace; malformed commands are invalid_input', async () => {
    const org = await seedOrg(db());
    const created = await newCase(org);
    const id = created.case.id;
    const before = (await outboxOf(id)).length;
    expect(await act(id, org.officials.dispatcher.actor, { type: 'refuse', reason: 'khong_ro' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_refusal_reason' },
    });
    expect(await act(id, org.officials.dispatcher.actor, { type: 'rate', rating: 'wow' } as unknown as CaseCommand)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect((await outboxOf(id)).length).toBe(before);
    expect(await currentVersion(id)).toBe(1);
  });

  it('two concurrent commands on one case: exactly one wins', async () => {
    const org = await seedOrg(db());
    const created = await newCase(org, { categoryId: org.categories.routed });
    const id = created.case.id;
    const version = await currentVersion(id);
    const [first, second] = await Promise.all([
      runCaseCommand(deps, {
        caseId: id,
        command: { type: 'accept', handlerId: org.officials.handlerA.id },
        actor: org.officials.leaderA.actor,
        expectedVersion: version,
      }),
      runCaseCommand(deps, {
        caseId: id,
        command: { type: 'transfer', unitId: org.units.b, reason: 'Thuộc ngành y tế' },
        actor: org.officials.dispatcher.actor,
        expectedVersion: version,
      }),
    ]);
    const outcomes = [first, second].map((r) => (r.ok ? 'ok' : r.error.code)).sort();
    expect(outcomes).toEqual(['ok', 'stale_version']);
    expect(await currentVersion(id)).toBe(version + 1);
    expect((await eventsOf(id)).length).toBe(3);
  });

  it('round robin cycles through the unit’s three handlers', async () => {
    const org = await seedOrg(db());
    const unit = await seedUnit(db(), { name: 'Phường Ba Đình', kind: 'ward', assignmentStrategy: 'round_robin' });
    const category = await seedCategory(db(), { name: 'Chiếu sáng' });
    await seedRoutingRule(db(), { categoryId: category, targetUnitId: unit });
    const leader = await seedOfficial(db(), { unitId: unit, roles: ['unit_leader'] });
    const handlers = [
      await seedOfficial(db(), { unitId: unit, roles: ['handler'] }),
      await seedOfficial(db(), { unitId: unit, roles: ['handler'] }),
      await seedOfficial(db(), { unitId: unit, roles: ['handler'] }),
    ];
    await seedOfficial(db(), { unitId: unit, roles: ['handler'], active: false });
    await seedOfficial(db(), { unitId: unit, roles: ['handler'], onLeaveUntil: '2026-03-20' });

    clock.set(vn('2026-03-09T09:00:00'));
    const picked: number[] = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(60_000);
      const created = await newCase(org, { categoryId: category });
      const accepted = await mustAct(created.case.id, leader.actor, { type: 'accept' });
      picked.push(accepted.assigneeId ?? -1);
    }
    const ids = handlers.map((h) => h.id);
    expect(picked).toEqual([...ids, ...ids]);
  });

  it('least open picks the least loaded available handler (inactive and on-leave skipped)', async () => {
    const org = await seedOrg(db());
    const unit = await seedUnit(db(), { name: 'Phường Cửa Nam', kind: 'ward', assignmentStrategy: 'least_open' });
    const category = await seedCategory(db(), { name: 'Cây xanh' });
    await seedRoutingRule(db(), { categoryId: category, targetUnitId: unit });
    const leader = await seedOfficial(db(), { unitId: unit, roles: ['unit_leader'] });
    const busy = await seedOfficial(db(), { unitId: unit, roles: ['handler'] });
    const lighter = await seedOfficial(db(), { unitId: unit, roles: ['handler'] });
    const inactive = await seedOfficial(db(), { unitId: unit, roles: ['handler'], active: false });
    const onLeave = await seedOfficial(db(), { unitId: unit, roles: ['handler'], onLeaveUntil: '2026-03-10' });

    clock.set(vn('2026-03-10T09:00:00'));
    const load = async (handlerId: number) => {
      const created = await newCase(org, { categoryId: category });
      await mustAct(created.case.id, leader.actor, { type: 'accept', handlerId });
    };
    await load(busy.id);
    await load(busy.id);
    await load(lighter.id);
    const created = await newCase(org, { categoryId: category });
    const accepted = await mustAct(created.case.id, leader.actor, { type: 'accept' });
    expect(accepted.assigneeId).toBe(lighter.id);
    expect([inactive.id, onLeave.id]).not.toContain(accepted.assigneeId);

    // The day after the leave ends, the returning handler (no open cases) is first in line.
    clock.set(vn('2026-03-11T09:00:00'));
    const next = await newCase(org, { categoryId: category });
    expect((await mustAct(next.case.id, leader.actor, { type: 'accept' })).assigneeId).toBe(onLeave.id);
  });

  it('accept without anyone available is refused with a clear message', async () => {
    const org = await seedOrg(db());
    const unit = await seedUnit(db(), { name: 'Phường Trống', kind: 'ward' });
    const leader = await seedOfficial(db(), { unitId: unit, roles: ['unit_leader'] });
    const created = await newCase(org);
    await mustAct(created.case.id, org.officials.dispatcher.actor, { type: 'assign', unitId: unit });
    expect(await act(created.case.id, leader.actor, { type: 'accept' })).toMatchObject({ ok: false, error: { code: 'no_handler_available' } });
  });

  it('transfer gives the new unit a fresh accept window and keeps the answer due date', async () => {
    const org = await seedOrg(db());
    clock.set(vn('2026-03-02T09:00:00'));
    const created = await newCase(org, { categoryId: org.categories.routed });
    const id = created.case.id;
    await mustAct(id, org.officials.leaderA.actor, { type: 'accept' });
    clock.set(vn('2026-03-04T15:00:00'));
    const moved = await mustAct(id, org.officials.dispatcher.actor, { type: 'transfer', unitId: org.units.b, reason: 'Thuộc ngành y tế' });
    expect(moved).toMatchObject({ status: 'assigned', responsibleUnitId: org.units.b, assigneeId: null });
    expect(moved.acceptDueAt).toEqual(vn('2026-03-05T17:30:00'));
    expect(moved.answerDueAt).toEqual(vn('2026-03-16T17:30:00'));
    const unitRows = await db().select().from(caseUnits).where(eq(caseUnits.caseId, id));
    expect(unitRows.map((r) => [r.unitId, r.role])).toEqual([[org.units.b, 'lead']]);
    expect((await eventsOf(id)).at(-1)?.payload).toMatchObject({ fromUnitId: org.units.a, toUnitId: org.units.b, reason: 'Thuộc ngành y tế' });
  });

  it('awaiting_info across Tết: the due date moves by the working time spent waiting', async () => {
    const org = await seedOrg(db());
    clock.set(vn('2026-02-09T09:00:00'));
    const created = await newCase(org, { categoryId: org.categories.routed });
    const id = created.case.id;
    // 10 working days from Mon 09/02, skipping Tết (14–22/02): Mon 02/03 17:30.
    expect(created.case.answerDueAt).toEqual(vn('2026-03-02T17:30:00'));
    await mustAct(id, org.officials.leaderA.actor, { type: 'accept' });

    clock.set(vn('2026-02-12T10:00:00'));
    const waiting = await mustAct(id, org.officials.handlerA.actor, { type: 'request_info', question: 'Ông/Bà gửi thêm ảnh hiện trường?' });
    expect(waiting).toMatchObject({ status: 'awaiting_info', pausedAt: vn('2026-02-12T10:00:00') });
    const question = (await outboxOf(id)).find((r) => r.template === 'case-awaiting-info');
    expect(question?.data).toMatchObject({ question: 'Ông/Bà gửi thêm ảnh hiện trường?' });

    clock.set(vn('2026-02-23T10:00:00'));
    const resumed = await mustAct(id, { type: 'citizen', contactId: org.contactId }, { type: 'provide_info', text: 'Đã gửi ảnh' });
    // Paused: Thu 12/02 10:00–17:30 (6 h) + Fri 13/02 (8 h) + Mon 23/02 08:00–10:00 (2 h) = 16 working hours = 2 days.
    expect(resumed).toMatchObject({ status: 'in_progress', pausedAt: null });
    expect(resumed.answerDueAt).toEqual(vn('2026-03-04T17:30:00'));
  });

  it('extension: the leader asks with a reason, the dispatcher grants, the due date moves', async () => {
    const org = await seedOrg(db());
    clock.set(vn('2026-03-02T09:00:00'));
    const created = await newCase(org, { categoryId: org.categories.routed });
    const id = created.case.id;
    await mustAct(id, org.officials.leaderA.actor, { type: 'accept' });

    expect(await act(id, org.officials.leaderA.actor, { type: 'request_extension', reason: '', extraWorkingDays: 5 })).toMatchObject({
      ok: false,
      error: { code: 'missing_reason' },
    });
    const asked = await mustAct(id, org.officials.leaderA.actor, { type: 'request_extension', reason: 'Cần khảo sát hiện trường', extraWorkingDays: 5 });
    expect(asked.answerDueAt).toEqual(vn('2026-03-16T17:30:00'));
    expect((await outboxOf(id)).at(-1)).toMatchObject({ template: 'official-extension-requested', recipient: { type: 'dispatchers' } });
    expect(await act(id, org.officials.handlerA.actor, { type: 'grant_extension', reason: 'x', extraWorkingDays: 5 })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });

    const granted = await mustAct(id, org.officials.dispatcher.actor, { type: 'grant_extension', reason: 'Đồng ý gia hạn', extraWorkingDays: 5 });
    expect(granted.answerDueAt).toEqual(vn('2026-03-23T17:30:00'));
    expect(granted.extensionCount).toBe(1);
    expect((await eventsOf(id)).slice(-2).map((e) => e.action)).toEqual(['extension_requested', 'extension_granted']);
    const told = (await outboxOf(id)).find((r) => r.template === 'case-extended');
    expect(told?.data).toMatchObject({ answerDueDate: '23/03/2026', reason: 'Đồng ý gia hạn' });
  });

  it('a unit without approval answers directly; "chưa hài lòng" reopens once to the same unit', async () => {
    const org = await seedOrg(db(), { unitARequiresApproval: false });
    const citizen: Actor = { type: 'citizen', contactId: org.contactId };
    clock.set(vn('2026-03-02T09:00:00'));
    const created = await newCase(org, { categoryId: org.categories.routed });
    const id = created.case.id;
    await mustAct(id, org.officials.leaderA.actor, { type: 'accept' });
    const answered = await mustAct(id, org.officials.handlerA.actor, { type: 'draft_answer', text: 'Đã xử lý.' });
    expect(answered).toMatchObject({ status: 'answered', answeredOnTime: true, answerApprovedBy: null });

    const reopened = await mustAct(id, citizen, { type: 'rate', rating: 'chua_hai_long' });
    expect(reopened).toMatchObject({ status: 'in_progress', responsibleUnitId: org.units.a, assigneeId: org.officials.handlerA.id, reopenCount: 1 });
    await mustAct(id, org.officials.handlerA.actor, { type: 'draft_answer', text: 'Đã kiểm tra lại và xử lý triệt để.' });
    const closed = await mustAct(id, citizen, { type: 'rate', rating: 'chua_hai_long' });
    expect(closed).toMatchObject({ status: 'closed', rating: 'chua_hai_long' });
  });

  it('merge: the duplicate’s sender is told, then gets the main case’s answer', async () => {
    const org = await seedOrg(db(), { unitARequiresApproval: false });
    const neighbour = await seedContact(db(), { fullName: 'Lê Thị Cúc' });
    const main = await newCase(org, { categoryId: org.categories.routed });
    const duplicate = await newCase(org, { contact: { id: neighbour } });
    await mustAct(duplicate.case.id, org.officials.dispatcher.actor, { type: 'merge', intoCaseId: main.case.id });
    expect((await outboxOf(duplicate.case.id)).at(-1)).toMatchObject({ template: 'case-merged', data: { mergedIntoCode: main.case.code } });

    await mustAct(main.case.id, org.officials.leaderA.actor, { type: 'accept' });
    await mustAct(main.case.id, org.officials.handlerA.actor, { type: 'draft_answer', text: 'Đã vá xong.' });
    const answers = (await outboxOf(main.case.id)).filter((r) => r.template === 'case-answered');
    expect(answers.map((r) => r.recipient)).toEqual([
      { type: 'contact', contactId: org.contactId },
      { type: 'contact', contactId: neighbour },
    ]);
  });

  it('publish stores masked texts', async () => {
    const org = await seedOrg(db(), { unitARequiresApproval: false });
    const created = await newCase(org, {
      categoryId: org.categories.routed,
      description: 'Tôi là Nguyễn Văn An, SĐT 0912 345 678, nhà số 15 ngõ 3 phố Huế bị ngập.',
    });
    const id = created.case.id;
    await mustAct(id, org.officials.leaderA.actor, { type: 'accept' });
    await mustAct(id, org.officials.handlerA.actor, { type: 'draft_answer', text: 'Đã nạo vét cống. Liên hệ anh An Nguyễn nếu cần.' });
    const published = await mustAct(id, org.officials.dispatcher.actor, { type: 'publish', title: 'Ngập ngõ 3 phố Huế' });
    expect(published.publicQuestion).toBe('Tôi là N.V.A., SĐT [SĐT đã ẩn], ngõ 3 phố Huế bị ngập.');
    expect(published.publicAnswer).toBe('Đã nạo vét cống. Liên hệ anh A.N. nếu cần.');
    expect(published.publicTitle).toBe('Ngập ngõ 3 phố Huế');
    expect(published.status).toBe('answered');
  });

  it('lists with scope, views, filters, accent-free search and keyset pagination', async () => {
    const org = await seedOrg(db());
    const business = await seedContact(db(), { fullName: 'Công ty Minh Phát', kind: 'business' });
    clock.set(vn('2026-03-02T09:00:00'));
    const lamp = await newCase(org, { categoryId: org.categories.routed, description: 'Đèn đường hỏng ở phố Hàng Bạc' });
    const tree = await newCase(org, { categoryId: org.categories.routed, description: 'Cây đổ chắn ngõ 5 Lý Thường Kiệt' });
    const other = await newCase(org, { description: 'Hỏi về thủ tục cấp phép', contact: { id: business }, contactKind: 'business' });
    await mustAct(tree.case.id, org.officials.leaderA.actor, { type: 'accept' });

    const dispatcher = org.officials.dispatcher.actor;
    const inOrg = { categoryId: undefined as number | undefined };
    const mine = (items: { id: number }[]) => items.map((c) => c.id).filter((id) => [lamp.case.id, tree.case.id, other.case.id].includes(id));

    expect(mine((await listCasesForActor(deps, dispatcher, { view: 'triage' })).items)).toEqual([other.case.id]);
    expect(mine((await listCasesForActor(deps, org.officials.leaderA.actor, { view: 'unit' })).items)).toEqual([tree.case.id, lamp.case.id]);
    expect(mine((await listCasesForActor(deps, org.officials.handlerA.actor, { view: 'mine' })).items)).toEqual([tree.case.id]);
    expect(mine((await listCasesForActor(deps, org.officials.handlerB.actor, {})).items)).toEqual([]);
    expect(mine((await listCasesForActor(deps, dispatcher, { status: ['assigned', 'in_progress'] })).items)).toEqual([tree.case.id, lamp.case.id]);
    expect(mine((await listCasesForActor(deps, dispatcher, { contactKind: 'business' })).items)).toEqual([other.case.id]);
    expect(mine((await listCasesForActor(deps, dispatcher, { areaUnitId: org.units.ward, ...inOrg })).items)).toHaveLength(3);

    for (const q of ['hang bac', 'Hàng Bạc', 'DEN DUONG', lamp.case.code.toLowerCase()]) {
      expect(mine((await listCasesForActor(deps, dispatcher, { q })).items)).toEqual([lamp.case.id]);
    }
    expect(mine((await listCasesForActor(deps, dispatcher, { q: 'minh phat' })).items)).toEqual([other.case.id]);
    expect(mine((await listCasesForActor(deps, dispatcher, { q: '100%_' })).items)).toEqual([]);

    // Monday 09:00: the lamp's accept is due Tue 17:30 (due soon), the triage of `other` Wed 17:30 (not yet).
    const soon = mine((await listCasesForActor(deps, dispatcher, { view: 'due_soon' })).items);
    expect(soon).toEqual([lamp.case.id]);
    clock.set(vn('2026-03-05T08:00:00'));
    const overdue = mine((await listCasesForActor(deps, dispatcher, { view: 'overdue' })).items);
    expect(overdue).toEqual([other.case.id, lamp.case.id]);
    clock.set(vn('2026-03-02T09:00:00'));

    const from = vn('2026-03-02T00:00:00');
    const to = vn('2026-03-03T00:00:00');
    const page1 = await listCasesForActor(deps, dispatcher, { from, to, limit: 2 });
    expect(page1.items.map((c) => c.id)).toEqual([other.case.id, tree.case.id]);
    expect(page1.nextAfter).toBe(tree.case.id);
    const page2 = await listCasesForActor(deps, dispatcher, { from, to, limit: 2, after: page1.nextAfter ?? undefined });
    expect(page2.items.map((c) => c.id)[0]).toBe(lamp.case.id);
  });

  it('closeUnratedCases closes answers left unrated for 7 days, once', async () => {
    const org = await seedOrg(db(), { unitARequiresApproval: false });
    clock.set(vn('2026-03-02T09:00:00'));
    const created = await newCase(org, { categoryId: org.categories.routed });
    const id = created.case.id;
    await mustAct(id, org.officials.leaderA.actor, { type: 'accept' });
    await mustAct(id, org.officials.handlerA.actor, { type: 'draft_answer', text: 'Đã xử lý.' });

    const early = await closeUnratedCases(deps, vn('2026-03-09T08:59:00'));
    expect(early.closedCaseIds).not.toContain(id);
    const due = await closeUnratedCases(deps, vn('2026-03-09T09:00:00'));
    expect(due.closedCaseIds).toContain(id);
    const again = await closeUnratedCases(deps, vn('2026-03-10T09:00:00'));
    expect(again.closedCaseIds).not.toContain(id);

    const [row] = await db().select().from(cases).where(eq(cases.id, id));
    expect(row).toMatchObject({ status: 'closed', rating: null, closedAt: vn('2026-03-09T09:00:00') });
    const closings = await db()
      .select({ n: sql<number>`count(*)::int` })
      .from(caseEvents)
      .where(and(eq(caseEvents.caseId, id), eq(caseEvents.action, 'auto_closed')));
    expect(Number(closings[0]?.n)).toBe(1);
  });
});
