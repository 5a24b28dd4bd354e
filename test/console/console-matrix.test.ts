import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, nudgeRules, reportingRegimes } from '../../db/schema.js';
import { seedNudgeRules } from '../../db/seeds/seed-nudges.js';
import type { Role } from '../../workflows/cases/actor.js';
import { ensureObligations } from '../../workflows/reports/report-obligations.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient } from './console-client.js';
import { buildWorld, ROLES_UNDER_TEST, WORLD_PASSWORD, type UnitKey, type World, type WorldOfficial } from './console-world.js';

/**
 * Every console and API route, as every role of two units. Expectations come from the product's rules:
 * dispatchers and admins reach every unit's cases, the other roles only their own unit's (another unit's case
 * is 404, never 403, so its existence does not leak); viewers change nothing; the admin area is admins only.
 * Reports: every official reads Báo cáo and Tài khoản and changes their own password; handlers and leaders mark
 * their own unit's report sent; the receiving unit's leaders (and admins, for any regime) read and record who has
 * submitted, and ask for ad hoc (đột xuất) reports.
 */

type Target = 'own' | 'other';
const SEES_ALL: ReadonlySet<Role> = new Set(['dispatcher', 'admin']);
/** add_note: handlers and leaders on their unit's cases, dispatchers and admins on any. */
const MAY_NOTE: ReadonlySet<Role> = new Set(['dispatcher', 'admin', 'handler', 'unit_leader']);
/** Marking the own unit's report "đã nộp": the people who send it (workflows/reports/report-permissions.ts). */
const MAY_MARK_OWN_REPORT: ReadonlySet<Role> = new Set(['handler', 'unit_leader']);

/** Who has submitted what: the receiving unit's leaders for their regimes, admins for every regime. */
function expectedReview(role: Role, target: Target, okStatus: number): number {
  if (role === 'admin') return okStatus;
  return role === 'unit_leader' && target === 'own' ? okStatus : 403;
}

function expectedRead(role: Role, target: Target): number {
  return target === 'own' || SEES_ALL.has(role) ? 200 : 404;
}

function expectedNote(role: Role, target: Target, okStatus: number): number {
  if (target === 'other' && !SEES_ALL.has(role)) return 404;
  return MAY_NOTE.has(role) ? okStatus : 403;
}

const ADMIN_PAGES = [
  '/console/admin',
  '/console/admin/units',
  '/console/admin/officials',
  '/console/admin/categories',
  '/console/admin/routing',
  '/console/admin/sla',
  '/console/admin/calendar',
  '/console/admin/templates',
  '/console/admin/templates/edit?name=zalo/case-received',
  '/console/admin/zalo',
  '/console/admin/api-tokens',
  '/console/admin/reporting',
  '/console/admin/reporting/new',
  '/console/admin/nudges',
];

describe.each(DRIVERS)('route × role matrix on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  const caseOf: Record<UnitKey, { id: number; code: string }> = { a: { id: 0, code: '' }, b: { id: 0, code: '' } };
  /** The monthly regime each unit receives; the other unit is the one obliged to report under it. */
  const regimeReceivedBy: Record<UnitKey, number> = { a: 0, b: 0 };
  /** The ad hoc regime each unit receives, the other unit obliged under it. */
  const adHocReceivedBy: Record<UnitKey, number> = { a: 0, b: 0 };
  let nudgeRuleId = 0;

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    caseOf.a = await world.createCaseFor('a');
    caseOf.b = await world.createCaseFor('b');
    for (const unit of ['a', 'b'] as const) {
      const [row] = await database.db
        .insert(reportingRegimes)
        .values({
          code: `bao-cao-${unit}`,
          name: `Báo cáo gửi đơn vị ${unit}`,
          legalBasis: 'Thử quyền',
          frequency: 'monthly',
          cutoffRule: { type: 'nd09_2019' },
          deadlineRule: { type: 'working_days_after_cutoff', days: 2 },
          obligedUnitIds: [world.units[unit === 'a' ? 'b' : 'a']],
          receivingUnitId: world.units[unit],
          selfSubmit: true,
        })
        .returning({ id: reportingRegimes.id });
      regimeReceivedBy[unit] = row!.id;
      const [adHoc] = await database.db
        .insert(reportingRegimes)
        .values({
          code: `dot-xuat-${unit}`,
          name: `Báo cáo đột xuất gửi đơn vị ${unit}`,
          legalBasis: 'Thử quyền',
          frequency: 'ad_hoc',
          deadlineRule: { type: 'working_days_after_cutoff', days: 1 },
          obligedUnitIds: [world.units[unit === 'a' ? 'b' : 'a']],
          receivingUnitId: world.units[unit],
        })
        .returning({ id: reportingRegimes.id });
      adHocReceivedBy[unit] = adHoc!.id;
    }
    await ensureObligations(database.db, world.t.clock.now());
    await seedNudgeRules(database.db);
    const [rule] = await database.db.select({ id: nudgeRules.id }).from(nudgeRules).where(eq(nudgeRules.code, 'accept-due-today'));
    nudgeRuleId = rule!.id;
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  const versionOf = async (caseId: number) => {
    const [row] = await database.db.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    return row?.version ?? 0;
  };

  const officialsUnderTest = ROLES_UNDER_TEST.flatMap((role) => (['a', 'b'] as const).map((unit) => ({ role, unit })));

  it.each(officialsUnderTest)('console: $role of unit $unit', async ({ role, unit }) => {
    const me: WorldOfficial = world.official(role, unit);
    const other: UnitKey = unit === 'a' ? 'b' : 'a';
    const client = new ConsoleClient(world.t.app);
    const login = await client.login(me.login, WORLD_PASSWORD);
    expect(login.statusCode, 'login').toBe(303);

    const results: Record<string, number> = {};
    const expected: Record<string, number> = {};
    const check = (label: string, status: number, want: number) => {
      results[label] = status;
      expected[label] = want;
    };

    for (const url of ['/console/inbox', '/console/inbox?view=all', '/console/dashboard', '/console/inbox/export.csv', '/console/inbox/export.xlsx']) {
      check(`GET ${url}`, (await client.get(url)).statusCode, 200);
    }
    const all = await client.get('/console/inbox?view=all');
    expect(all.body.includes(caseOf[unit].code), 'own case listed').toBe(true);
    expect(all.body.includes(caseOf[other].code), 'other unit case listed').toBe(SEES_ALL.has(role));
    const csv = await client.get('/console/inbox/export.csv?view=all');
    expect(csv.body.includes(caseOf[unit].code), 'own case exported').toBe(true);
    expect(csv.body.includes(caseOf[other].code), 'other unit case exported').toBe(SEES_ALL.has(role));

    for (const target of ['own', 'other'] as const) {
      const c = caseOf[target === 'own' ? unit : other];
      check(`GET case ${target}`, (await client.get(`/console/cases/${c.id}`)).statusCode, expectedRead(role, target));
      const note = await client.submit('/console/inbox', `/console/cases/${c.id}/commands/add_note`, {
        version: await versionOf(c.id),
        text: `Ghi chú của ${me.login}`,
      });
      check(`POST add_note ${target}`, note.statusCode, expectedNote(role, target, 303));
    }

    for (const url of ['/console/reports', '/console/account']) check(`GET ${url}`, (await client.get(url)).statusCode, 200);
    const accountPost = await client.submit('/console/account', '/console/account/preferences', { channels: 'zalo', digest: 'on' });
    check('POST account preferences', accountPost.statusCode, 303);

    // Reports: my unit owes the regime the other unit receives, and receives the one the other unit owes.
    const owedRegime = regimeReceivedBy[other];
    const ownSubmit = await client.submit('/console/reports', '/console/reports/submit', { regimeId: owedRegime, periodKey: '2026-03' });
    check('POST own report submitted', ownSubmit.statusCode, MAY_MARK_OWN_REPORT.has(role) ? 303 : 403);
    for (const target of ['own', 'other'] as const) {
      const regimeId = regimeReceivedBy[target === 'own' ? unit : other];
      const obligedUnit = world.units[target === 'own' ? other : unit];
      check(`GET report standing ${target}`, (await client.get(`/console/reports/regimes/${regimeId}`)).statusCode, expectedReview(role, target, 200));
      const recorded = await client.submit('/console/reports', `/console/reports/regimes/${regimeId}/submitted`, { unitId: obligedUnit, periodKey: '2026-03' });
      check(`POST report submitted ${target}`, recorded.statusCode, expectedReview(role, target, 303));
      const returned = await client.submit('/console/reports', `/console/reports/regimes/${regimeId}/returned`, { unitId: obligedUnit, periodKey: '2026-03', reason: `Trả lại bởi ${me.login}` });
      check(`POST report returned ${target}`, returned.statusCode, expectedReview(role, target, 303));
      const adHocId = adHocReceivedBy[target === 'own' ? unit : other];
      check(`GET ad hoc standing ${target}`, (await client.get(`/console/reports/regimes/${adHocId}`)).statusCode, expectedReview(role, target, 200));
      const requested = await client.submit('/console/reports', `/console/reports/regimes/${adHocId}/requests`, {
        periodKey: `${me.login}-${target}`,
        start: '2026-03-01',
        end: '2026-03-02',
        dueDay: '2026-03-06',
        note: `Yêu cầu của ${me.login}`,
        recipients: 'all',
      });
      check(`POST ad hoc request ${target}`, requested.statusCode, expectedReview(role, target, 303));
    }

    for (const url of [...ADMIN_PAGES, `/console/admin/reporting/${regimeReceivedBy[unit]}`]) check(`GET ${url}`, (await client.get(url)).statusCode, role === 'admin' ? 200 : 403);
    const nudgePost = await client.submit('/console/inbox', `/console/admin/nudges/${nudgeRuleId}`, { timing: 'due_day', target: 'unit_leader', active: 'on' });
    check('POST admin nudge rule', nudgePost.statusCode, role === 'admin' ? 303 : 403);
    const [regime] = await database.db.select({ version: reportingRegimes.version }).from(reportingRegimes).where(eq(reportingRegimes.id, regimeReceivedBy[unit]));
    const regimePost = await client.submit('/console/inbox', `/console/admin/reporting/${regimeReceivedBy[unit]}`, {
      version: regime!.version,
      name: `Báo cáo gửi đơn vị ${unit}`,
      legalBasis: 'Thử quyền',
      frequency: 'monthly',
      cutoffType: 'nd09_2019',
      deadlineType: 'working_days_after_cutoff',
      deadlineDays: 2,
      obligedUnitIds: world.units[other],
      receivingUnitId: world.units[unit],
      selfSubmit: 'on',
    });
    check('POST admin reporting regime', regimePost.statusCode, role === 'admin' ? 303 : 403);
    const unitPost = await client.submit('/console/inbox', `/console/admin/units/${world.units[unit]}`, {
      requiresApproval: 'on',
      assignmentStrategy: 'least_open',
    });
    check('POST admin unit', unitPost.statusCode, role === 'admin' ? 303 : 403);
    const calendarPost = await client.submit('/console/inbox', '/console/admin/calendar', {
      day: unit === 'a' ? '2026-12-23' : '2026-12-24',
      working: 'off',
      reason: 'Thử quyền',
    });
    check('POST admin calendar', calendarPost.statusCode, role === 'admin' ? 303 : 403);

    // Without the session's token even an admin's form is refused.
    const noCsrf = await client.post(`/console/cases/${caseOf[unit].id}/commands/add_note`, { version: 1, text: 'x' });
    check('POST without csrf', noCsrf.statusCode, 403);
    const noCsrfPassword = await client.post('/console/account/password', { currentPassword: WORLD_PASSWORD, newPassword: 'khong-ma-bao-ve-2026', newPasswordRepeat: 'khong-ma-bao-ve-2026' });
    check('POST password without csrf', noCsrfPassword.statusCode, 403);

    // Last, as it ends the official's other sessions: every role changes its own password.
    const password = await client.submit('/console/account', '/console/account/password', {
      currentPassword: WORLD_PASSWORD,
      newPassword: `mat-khau-moi-${me.login}`,
      newPasswordRepeat: `mat-khau-moi-${me.login}`,
    });
    check('POST account password', password.statusCode, 303);
    check('GET /console/account after the change', (await client.get('/console/account')).statusCode, 200);

    expect(results).toEqual(expected);
  });

  it.each(officialsUnderTest)('API: $role of unit $unit', async ({ role, unit }) => {
    const me = world.official(role, unit);
    const other: UnitKey = unit === 'a' ? 'b' : 'a';
    const headers = { authorization: `Bearer ${me.token}` };
    const results: Record<string, number> = {};
    const expected: Record<string, number> = {};
    const check = (label: string, status: number, want: number) => {
      results[label] = status;
      expected[label] = want;
    };

    const list = await world.t.app.inject({ method: 'GET', url: '/api/v1/cases?limit=200', headers });
    check('GET /api/v1/cases', list.statusCode, 200);
    const codes = (list.json() as { items: Array<{ code: string }> }).items.map((i) => i.code);
    expect(codes).toContain(caseOf[unit].code);
    expect(codes.includes(caseOf[other].code)).toBe(SEES_ALL.has(role));

    for (const target of ['own', 'other'] as const) {
      const c = caseOf[target === 'own' ? unit : other];
      check(`GET case ${target}`, (await world.t.app.inject({ method: 'GET', url: `/api/v1/cases/${c.id}`, headers })).statusCode, expectedRead(role, target));
      const note = await world.t.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${c.id}/commands`,
        headers,
        payload: { command: { type: 'add_note', text: `API ghi chú ${me.login}` }, expectedVersion: await versionOf(c.id) },
      });
      check(`POST command ${target}`, note.statusCode, expectedNote(role, target, 200));
    }
    check('no token', (await world.t.app.inject({ method: 'GET', url: '/api/v1/cases' })).statusCode, 401);
    expect(results).toEqual(expected);
  });
});
