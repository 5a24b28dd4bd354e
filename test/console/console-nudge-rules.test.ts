import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nudgeRules, outbox } from '../../db/schema.js';
import { seedNudgeRules } from '../../db/seeds/seed-nudges.js';
import { sweepNudges } from '../../workflows/nudges/sweep-nudges.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World } from './console-world.js';

/**
 * Admin → Quy tắc nhắc hạn through HTTP, and the proof that the scheduler's sweep reads what the admin saved:
 * a case routed on Monday 02/03/2026 09:00 is due for acceptance on Tuesday 03/03 17:30, so the
 * "accept-due-today" rule reminds unit A's leaders on Tuesday morning — unless it is switched off.
 */

const BASE = '/console/admin/nudges';
const at = (local: string): Date => new Date(`${local}:00+07:00`);

describe.each(DRIVERS)('admin nudge rules on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let admin: ConsoleClient;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    await seedNudgeRules(database.db);
    admin = new ConsoleClient(world.t.app);
    await admin.login(world.official('admin', 'a').login, WORLD_PASSWORD);
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const ruleByCode = async (code: string) => {
    const [row] = await database.db.select().from(nudgeRules).where(eq(nudgeRules.code, code));
    if (!row) throw new Error(`no rule ${code}`);
    return row;
  };

  it('lists the rules per step in words officials would use', async () => {
    const page = await admin.get(BASE);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('aria-current="page">Quy tắc nhắc hạn</a>');
    expect(page.body).toContain('Sáng 2 ngày làm việc trước ngày đến hạn: nhắc cán bộ xử lý được giao (chưa giao thì lãnh đạo đơn vị).');
    expect(page.body).toContain('Ngay khi quá hạn: nhắc cán bộ xử lý được giao (chưa giao thì lãnh đạo đơn vị), nhắc lại mỗi sáng ngày làm việc cho đến khi xong bước.');
    expect(page.body).toContain('Sáng ngày làm việc thứ 2 sau hạn (quá hạn 2 ngày làm việc): báo lên văn phòng (bộ phận điều phối).');
    expect(page.body).toContain('mã answer-escalate-leader');
    expect(page.body).toContain('<label for="n-new-step">Bước xử lý</label>');
  });

  it('switching a rule off stops its reminders; switching it on brings them back at the next sweep', async () => {
    const created = await world.createCaseFor('a');
    const rule = await ruleByCode('accept-due-today');
    const off = await admin.submit(BASE, `${BASE}/${rule.id}`, { timing: 'due_day', days: '', target: 'unit_leader' });
    expect(off.statusCode).toBe(303);
    expect(await ruleByCode('accept-due-today')).toMatchObject({ active: false, offsetWorkingDays: 0 });
    expect((await admin.get(BASE)).body).toContain('Đã lưu quy tắc accept-due-today (đã tắt).');

    const key = `nudge:${created.id}:accept-due-today:accept`;
    await sweepNudges({ db: database.db }, at('2026-03-03T08:30'));
    // Keys may carry a suffix after '@' (the step's start): what matters is the rule and the step.
    expect(await database.db.select({ key: outbox.key }).from(outbox).where(like(outbox.key, `${key}%`))).toEqual([]);

    const on = await admin.submit(BASE, `${BASE}/${rule.id}`, { timing: 'due_day', days: '', target: 'unit_leader', active: 'on' });
    expect(on.statusCode).toBe(303);
    await sweepNudges({ db: database.db }, at('2026-03-03T08:31'));
    const rows = await database.db.select({ key: outbox.key, template: outbox.template, recipient: outbox.recipient }).from(outbox).where(like(outbox.key, `nudge:${created.id}:%`));
    expect(rows.map((r) => ({ ...r, key: r.key.split('@')[0] }))).toEqual([
      { key, template: 'nudge-due-today', recipient: { type: 'unit', unitId: world.units.a, roles: ['unit_leader'] } },
    ]);
  });

  it('edits the timing, the target and the repetition of a rule', async () => {
    const rule = await ruleByCode('answer-before-2');
    const saved = await admin.submit(BASE, `${BASE}/${rule.id}`, { timing: 'before', days: '3', target: 'unit_leader', active: 'on' });
    expect(saved.statusCode).toBe(303);
    expect(await ruleByCode('answer-before-2')).toMatchObject({ step: 'answer', offsetWorkingDays: -3, target: 'unit_leader', repeatDaily: false, active: true });

    const escalation = await ruleByCode('answer-escalate-dispatchers');
    const later = await admin.submit(BASE, `${BASE}/${escalation.id}`, { timing: 'overdue', days: '5', target: 'dispatcher', repeatDaily: 'on', active: 'on' });
    expect(later.statusCode).toBe(303);
    expect(await ruleByCode('answer-escalate-dispatchers')).toMatchObject({ offsetWorkingDays: 5, repeatDaily: true, target: 'dispatcher' });
    expect((await admin.get(BASE)).body).toContain('Sáng ngày làm việc thứ 5 sau hạn (quá hạn 5 ngày làm việc): báo lên văn phòng (bộ phận điều phối), nhắc lại mỗi sáng');
  });

  it('adds a rule with a code saying what it does', async () => {
    const added = await admin.submit(BASE, BASE, { step: 'approval', timing: 'before', days: '1', target: 'dispatcher', active: 'on' });
    expect(added.statusCode).toBe(303);
    expect(await ruleByCode('approval-before-1-dispatcher')).toMatchObject({ step: 'approval', offsetWorkingDays: -1, target: 'dispatcher', active: true });
    expect((await admin.get(BASE)).body).toContain('Đã thêm quy tắc nhắc approval-before-1-dispatcher.');
  });

  it('refuses what the sweep could not honour, with the reason and the values as typed', async () => {
    const count = async () => (await database.db.select({ id: nudgeRules.id }).from(nudgeRules)).length;
    const before = await count();
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ step: 'answer', timing: 'before', days: '2', repeatDaily: 'on', target: 'assignee', active: 'on' }, 400, 'Chỉ nhắc lặp lại hằng ngày khi đã quá hạn.'],
      [{ step: 'triage', timing: 'overdue', days: '1', target: 'assignee', active: 'on' }, 400, 'bước phân loại chỉ nhắc được Văn phòng'],
      [{ step: 'answer', timing: 'before', days: '0', target: 'assignee', active: 'on' }, 400, 'Số ngày làm việc phải là số nguyên từ 1 đến 20'],
      [{ step: 'answer', timing: 'overdue', days: '31', target: 'assignee', active: 'on' }, 400, 'Số ngày làm việc phải là số nguyên từ 1 đến 20'],
      [{ step: 'answer', timing: 'before', days: 'hai', target: 'assignee', active: 'on' }, 400, 'Số ngày làm việc phải là số nguyên'],
      [{ step: 'answer', timing: 'hom-nao-do', days: '2', target: 'nguoi-la', active: 'on' }, 400, 'Vui lòng chọn thời điểm nhắc. Vui lòng chọn người được nhắc.'],
      [{ step: 'buoc-la', timing: 'before', days: '2', target: 'assignee', active: 'on' }, 400, 'Vui lòng chọn bước xử lý.'],
      // answer-before-1 already reminds the assignee one working day ahead.
      [{ step: 'answer', timing: 'before', days: '1', target: 'assignee', active: 'on' }, 409, 'mã answer-before-1'],
    ];
    for (const [form, status, message] of cases) {
      const res = await admin.submit(BASE, BASE, form);
      expect(res.statusCode, JSON.stringify(form)).toBe(status);
      expect(res.body, JSON.stringify(form)).toContain(message);
    }
    // The same twin, switched off, is not a duplicate.
    const inactiveTwin = await admin.submit(BASE, BASE, { step: 'answer', timing: 'before', days: '1', target: 'assignee' });
    expect(inactiveTwin.statusCode).toBe(303);
    expect(await count()).toBe(before + 1);

    const rule = await ruleByCode('answer-before-1');
    const bad = await admin.submit(BASE, `${BASE}/${rule.id}`, { timing: 'before', days: '27', target: 'assignee', active: 'on' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Quy tắc answer-before-1: Số ngày làm việc phải là số nguyên');
    expect(bad.body).toContain(`id="n${rule.id}-days" name="days" type="number" min="1" max="30" value="27"`);
    expect(await ruleByCode('answer-before-1')).toMatchObject({ offsetWorkingDays: -1 });

    expect((await admin.submit(BASE, `${BASE}/999999`, { timing: 'due_day', target: 'assignee' })).statusCode).toBe(404);
    const noCsrf = await admin.post(`${BASE}/${rule.id}`, { timing: 'before', days: '4', target: 'assignee', active: 'on' });
    expect(noCsrf.statusCode).toBe(403);
    expect(await ruleByCode('answer-before-1')).toMatchObject({ offsetWorkingDays: -1 });
  });

  it('is for admins only', async () => {
    const leader = new ConsoleClient(world.t.app);
    await leader.login(world.official('unit_leader', 'a').login, WORLD_PASSWORD);
    expect((await leader.get(BASE)).statusCode).toBe(403);
    const rule = await ruleByCode('answer-before-1');
    const refused = await leader.submit('/console/inbox', `${BASE}/${rule.id}`, { timing: 'before', days: '4', target: 'assignee', active: 'on' });
    expect(refused.statusCode).toBe(403);
    expect(await ruleByCode('answer-before-1')).toMatchObject({ offsetWorkingDays: -1 });
  });
});
