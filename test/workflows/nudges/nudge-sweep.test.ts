import { asc, eq, like } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, outbox } from '../../../db/schema.js';
import { seedNudgeRules } from '../../../db/seeds/seed-nudges.js';
import { createFakeClock, type FakeClock } from '../../../runtime/clock.js';
import { openDatabase, type Database, type Db } from '../../../runtime/db.js';
import { formatLocalIso, isWorkingDay, localDay, type WorkingCalendar } from '../../../workflows/calendar/working-calendar.js';
import type { Actor } from '../../../workflows/cases/actor.js';
import type { CaseCommand } from '../../../workflows/cases/case-commands.js';
import { createCase, runCaseCommand, type CaseServiceDeps } from '../../../workflows/cases/case-service.js';
import { buildDueCaseQueries, buildExistingOutboxKeysQuery } from '../../../workflows/nudges/nudge.repo.js';
import { sweepNudges } from '../../../workflows/nudges/sweep-nudges.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../../helpers/db.js';
import { createDbCalendarLoader, seedCalendar2026, seedOrg, type SeededOrg } from '../../helpers/seed-org.js';

/**
 * Feb–Mar 2026 with a fake clock stepping every 30 minutes: three cases go through triage, accept, a pause for
 * the citizen, answer and approval around Tết (14–22/02), and the sweep runs at every step. The printed table
 * of (case, rule, at) must equal the expected one: reminders on working mornings only, deferred over nights,
 * weekends and Tết, escalations on time, and one outbox row per key however often and by however many
 * sweepers it runs.
 */

const at = (local: string): Date => new Date(`${local}:00+07:00`);
const STEP_MS = 30 * 60_000;
const START = at('2026-02-01T00:00');
const END = at('2026-03-13T00:00');

/** (case label, rule code [:day of a daily repeat], local time the sweep wrote it) */
const EXPECTED = [
  'C1 triage-before-1 @ 2026-02-12 08:00',
  'C1 triage-due-today @ 2026-02-13 08:00',
  'C1 triage-overdue:2026-02-23 @ 2026-02-23 08:00',
  'C1 accept-due-today @ 2026-02-24 08:00',
  'C1 accept-overdue:2026-02-25 @ 2026-02-25 08:00',
  'C1 accept-escalate-dispatchers @ 2026-02-26 08:00',
  'C1 accept-overdue:2026-02-26 @ 2026-02-26 08:00',
  'C2 accept-overdue:2026-02-27 @ 2026-02-27 16:30',
  'C1 answer-before-2 @ 2026-03-02 08:00',
  'C2 accept-overdue:2026-03-02 @ 2026-03-02 08:00',
  'C2 answer-escalate-leader @ 2026-03-02 10:00',
  'C2 answer-overdue:2026-03-02 @ 2026-03-02 10:00',
  'C1 answer-before-1 @ 2026-03-03 08:00',
  'C2 answer-overdue:2026-03-03 @ 2026-03-03 08:00',
  'C2 approval-overdue:2026-03-03 @ 2026-03-03 14:30',
  'C1 answer-due-today @ 2026-03-04 08:00',
  'C1 answer-escalate-leader @ 2026-03-05 08:00',
  'C1 answer-overdue:2026-03-05 @ 2026-03-05 08:00',
  'C3 answer-before-2 @ 2026-03-05 08:00',
  'C1 answer-escalate-dispatchers @ 2026-03-06 08:00',
  'C1 answer-overdue:2026-03-06 @ 2026-03-06 08:00',
  'C3 answer-before-1 @ 2026-03-06 08:00',
  'C1 approval-overdue:2026-03-06 @ 2026-03-06 10:30',
  'C1 approval-overdue:2026-03-09 @ 2026-03-09 08:00',
  'C3 answer-due-today @ 2026-03-09 08:00',
  'C3 answer-escalate-leader @ 2026-03-10 08:00',
  'C3 answer-overdue:2026-03-10 @ 2026-03-10 08:00',
  'C3 approval-overdue:2026-03-10 @ 2026-03-10 09:30',
];

interface Scenario {
  actions: Array<{ at: Date; run: () => Promise<void> }>;
  labels: Map<number, string>;
}

function buildScenario(deps: CaseServiceDeps, org: SeededOrg): Scenario {
  const labels = new Map<number, string>();
  const ids = new Map<string, number>();
  const { dispatcher, leaderA, handlerA } = org.officials;
  const citizen: Actor = { type: 'citizen', contactId: org.contactId };

  const open = (label: string, categoryId: number, priority: 'normal' | 'urgent') => async () => {
    const created = await createCase(deps, {
      channel: 'zalo',
      contact: { id: org.contactId },
      contactKind: 'citizen',
      categoryId,
      priority,
      description: `Phản ánh ${label}: đèn đường hỏng trước số 12 phố Hàng Bài`,
    });
    labels.set(created.case.id, label);
    ids.set(label, created.case.id);
  };
  const command = (label: string, actor: Actor, cmd: CaseCommand) => async () => {
    const caseId = ids.get(label)!;
    const [row] = await deps.db.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    const result = await runCaseCommand(deps, { caseId, command: cmd, actor, expectedVersion: row!.version });
    if (!result.ok) throw new Error(`${label} ${cmd.type}: ${result.error.code}`);
  };

  const actions = [
    // C3: routed at once, accepted, then waits for the citizen across Tết (no reminders while paused).
    { at: at('2026-02-02T09:00'), run: open('C3', org.categories.routed, 'normal') },
    { at: at('2026-02-02T10:00'), run: command('C3', leaderA.actor, { type: 'accept' }) },
    { at: at('2026-02-04T10:00'), run: command('C3', handlerA.actor, { type: 'request_info', question: 'Xin cho biết số nhà chính xác.' }) },
    // C1: nobody routes it, so it waits for the dispatchers; triage is due on the eve of Tết.
    { at: at('2026-02-11T09:00'), run: open('C1', org.categories.unrouted, 'normal') },
    { at: at('2026-02-23T10:00'), run: command('C1', dispatcher.actor, { type: 'assign', unitId: org.units.a }) },
    { at: at('2026-02-25T10:00'), run: command('C3', citizen, { type: 'provide_info', text: 'Số 12 Hàng Bài.' }) },
    { at: at('2026-02-26T09:00'), run: command('C1', leaderA.actor, { type: 'accept' }) },
    // C2: urgent, hour-based limits on a Friday afternoon.
    { at: at('2026-02-27T15:00'), run: open('C2', org.categories.routed, 'urgent') },
    { at: at('2026-03-02T08:45'), run: command('C2', leaderA.actor, { type: 'accept' }) },
    { at: at('2026-03-03T14:00'), run: command('C2', handlerA.actor, { type: 'draft_answer', text: 'Đơn vị đã thay bóng đèn.' }) },
    { at: at('2026-03-03T15:10'), run: command('C2', leaderA.actor, { type: 'approve' }) },
    { at: at('2026-03-06T10:00'), run: command('C1', handlerA.actor, { type: 'draft_answer', text: 'Đơn vị đã sửa chữa.' }) },
    { at: at('2026-03-09T09:00'), run: command('C1', leaderA.actor, { type: 'approve' }) },
    { at: at('2026-03-10T09:00'), run: command('C3', handlerA.actor, { type: 'draft_answer', text: 'Đơn vị đã khắc phục.' }) },
    { at: at('2026-03-10T11:00'), run: command('C3', leaderA.actor, { type: 'approve' }) },
  ];
  return { actions, labels };
}

/** The key without its step occurrence (`@<start>-<due>`), which only tells two occurrences of a step apart. */
const withoutOccurrence = (key: string) => key.replace(/@[0-9a-z]+-[0-9a-z]+/, '');

function describeRow(labels: Map<number, string>, key: string, createdAt: Date): string {
  const [, caseId, rule, , day] = key.split(':');
  const local = formatLocalIso(createdAt).slice(0, 16).replace('T', ' ');
  return `${labels.get(Number(caseId)) ?? caseId} ${rule}${day ? `:${day}` : ''} @ ${local}`;
}

async function readNudgeTable(db: Db, labels: Map<number, string>): Promise<string[]> {
  const rows = await db.select({ key: outbox.key, createdAt: outbox.createdAt }).from(outbox).where(like(outbox.key, 'nudge:%')).orderBy(asc(outbox.createdAt), asc(outbox.key));
  const at = (line: string) => line.split(' @ ')[1]!;
  return rows.map((r) => describeRow(labels, r.key, r.createdAt)).sort((a, b) => at(a).localeCompare(at(b)) || a.localeCompare(b));
}

interface SweepRun {
  inserted: number;
  sweeps: number;
  restartChecks: number;
  elapsedMs: number;
}

/**
 * Every STEP_MS from `start` to `end`: the actions due by then, then one sweep by each sweeper at the same
 * moment, and after any sweep that wrote something a restarted process's sweep, which must write nothing.
 */
async function runSweeps(
  database: TestDatabase,
  sweepers: Db[],
  clock: FakeClock,
  calendar: WorkingCalendar,
  actions: Scenario['actions'],
  start: Date,
  end: Date,
): Promise<SweepRun> {
  const run: SweepRun = { inserted: 0, sweeps: 0, restartChecks: 0, elapsedMs: 0 };
  const started = performance.now();
  for (let t = start.getTime(); t < end.getTime(); t += STEP_MS) {
    for (const action of actions.filter((a) => a.at.getTime() > t - STEP_MS && a.at.getTime() <= t)) {
      clock.set(action.at);
      await action.run();
    }
    const now = new Date(t);
    clock.set(now);
    // Two workers tick at the same minute (pg: truly concurrent connections; PGlite: interleaved).
    const results = await Promise.all(sweepers.map((db) => sweepNudges({ db, loadCalendar: async () => calendar }, now)));
    run.sweeps += sweepers.length;
    const step = results.reduce((sum, r) => sum + r.inserted, 0);
    run.inserted += step;
    if (step > 0) {
      // A restarted process (fresh deps, fresh connection on the server) at the same moment writes nothing.
      const restarted = database.kind === 'pg' ? await openDatabase(database.target) : undefined;
      try {
        const again = await sweepNudges({ db: restarted?.db ?? database.db }, now);
        expect(again.inserted).toBe(0);
        run.restartChecks++;
      } finally {
        await restarted?.close();
      }
    }
  }
  run.elapsedMs = performance.now() - started;
  return run;
}

/**
 * A database with an organisation, the 2026 calendar and the default nudge rules, and the sweepers to run: on
 * the server a second one with its own connection pool, as a second worker process would have.
 */
function useSweepWorld(driver: (typeof DRIVERS)[number]) {
  const world = {} as { database: TestDatabase; org: SeededOrg; calendar: WorkingCalendar; sweepers: Db[] };
  let second: Database | undefined;
  beforeAll(async () => {
    world.database = await createTestDatabase(driver);
    world.org = await seedOrg(world.database.db);
    await seedCalendar2026(world.database.db);
    await seedNudgeRules(world.database.db);
    world.calendar = await createDbCalendarLoader(world.database.db)();
    if (driver === 'pg') second = await openDatabase(world.database.target);
    world.sweepers = [world.database.db, ...(second ? [second.db] : [])];
  });
  afterAll(async () => {
    await second?.close();
    await world.database?.destroy();
  });
  return world;
}

describe.each(DRIVERS)('nudge sweep over Feb–Mar 2026 on %s', (driver) => {
  const world = useSweepWorld(driver);

  it('fires exactly the expected reminders, never twice, on working mornings only', async () => {
    const clock = createFakeClock(START);
    const deps: CaseServiceDeps = { db: world.database.db, clock, loadCalendar: async () => world.calendar };
    const { actions, labels } = buildScenario(deps, world.org);
    const run = await runSweeps(world.database, world.sweepers, clock, world.calendar, actions, START, END);

    const table = await readNudgeTable(world.database.db, labels);
    console.warn(
      `[${driver}] ${run.sweeps} sweeps in ${Math.round(run.elapsedMs)} ms (${(run.elapsedMs / run.sweeps).toFixed(2)} ms/sweep), ${run.restartChecks} restart checks\n${table.join('\n')}`,
    );
    expect(table).toEqual(EXPECTED);
    // Every row was written by exactly one of the concurrent sweepers.
    expect(run.inserted).toBe(EXPECTED.length);

    for (const line of table) {
      const local = line.split(' @ ')[1]!;
      const when = at(local.replace(' ', 'T'));
      expect(isWorkingDay(world.calendar, localDay(when)), line).toBe(true);
      expect(local.slice(11) >= '08:00' && local.slice(11) < '17:30', line).toBe(true);
      expect(local.slice(0, 10) >= '2026-02-14' && local.slice(0, 10) <= '2026-02-22', line).toBe(false);
    }
  }, 600_000);

  it('sends the right people: dispatchers for triage and escalation, leaders to accept and approve, the handler to answer', async () => {
    const rows = await world.database.db.select({ key: outbox.key, recipient: outbox.recipient, template: outbox.template }).from(outbox).where(like(outbox.key, 'nudge:%'));
    const byRule = (rule: string) => rows.filter((r) => r.key.split(':')[2] === rule);
    const leadersA = { type: 'unit', unitId: world.org.units.a, roles: ['unit_leader'] };
    expect(byRule('triage-overdue').map((r) => r.recipient)).toEqual([{ type: 'dispatchers' }]);
    expect(byRule('accept-due-today').map((r) => [r.recipient, r.template])).toEqual([[leadersA, 'nudge-due-today']]);
    expect(byRule('accept-escalate-dispatchers').map((r) => [r.recipient, r.template])).toEqual([[{ type: 'dispatchers' }, 'nudge-escalation']]);
    for (const r of byRule('answer-before-2')) expect([r.recipient, r.template]).toEqual([{ type: 'official', officialId: world.org.officials.handlerA.id }, 'nudge-upcoming']);
    for (const r of byRule('answer-escalate-leader')) expect([r.recipient, r.template]).toEqual([leadersA, 'nudge-escalation']);
    for (const r of byRule('approval-overdue')) expect([r.recipient, r.template]).toEqual([leadersA, 'nudge-overdue']);
  });
});

/**
 * 16–25/03/2026: a routed case is not accepted by unit A, the dispatchers transfer it to unit B, B returns it,
 * and it is assigned to A again. Each time the accept step starts over its owner gets the whole series again
 * ("hạn hôm nay" three times, to A, B and A), where keys per (case, rule, step) allowed the first one only; and
 * still one row per step occurrence with two sweepers and a restart at every write.
 */
const RESTART_START = at('2026-03-16T00:00');
const RESTART_END = at('2026-03-26T00:00');

/** (rule [:day of a daily repeat], who, local time the sweep wrote it) */
const RESTART_EXPECTED = [
  'accept-due-today → A @ 2026-03-17 08:00',
  'accept-overdue:2026-03-18 → A @ 2026-03-18 08:00',
  'accept-due-today → B @ 2026-03-19 08:00',
  'accept-overdue:2026-03-20 → B @ 2026-03-20 08:00',
  'accept-escalate-dispatchers → dispatchers @ 2026-03-23 08:00',
  'accept-overdue:2026-03-23 → B @ 2026-03-23 08:00',
  'triage-overdue:2026-03-23 → dispatchers @ 2026-03-23 10:30',
  'triage-overdue:2026-03-24 → dispatchers @ 2026-03-24 08:00',
  'accept-due-today → A @ 2026-03-25 08:00',
];

describe.each(DRIVERS)('a step that starts over is reminded afresh on %s', (driver) => {
  const world = useSweepWorld(driver);

  it('transfer, return and a new assignment each give the new owner the accept reminders, once each', async () => {
    const clock = createFakeClock(RESTART_START);
    const deps: CaseServiceDeps = { db: world.database.db, clock, loadCalendar: async () => world.calendar };
    const { dispatcher, leaderB } = world.org.officials;
    let caseId = 0;
    const command = (actor: Actor, cmd: CaseCommand) => async () => {
      const [row] = await world.database.db.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
      const result = await runCaseCommand(deps, { caseId, command: cmd, actor, expectedVersion: row!.version });
      if (!result.ok) throw new Error(`${cmd.type}: ${result.error.code}`);
    };
    const actions = [
      {
        at: at('2026-03-16T09:00'),
        run: async () => {
          const created = await createCase(deps, {
            channel: 'zalo',
            contact: { id: world.org.contactId },
            contactKind: 'citizen',
            categoryId: world.org.categories.routed,
            description: 'Biển báo giao thông bị đổ trước số 5 phố Tràng Tiền',
          });
          caseId = created.case.id;
        },
      },
      { at: at('2026-03-18T10:00'), run: command(dispatcher.actor, { type: 'transfer', unitId: world.org.units.b, reason: 'Thuộc thẩm quyền Sở Y tế.' }) },
      { at: at('2026-03-23T10:00'), run: command(leaderB.actor, { type: 'return', reason: 'Không thuộc thẩm quyền của Sở.' }) },
      { at: at('2026-03-24T09:00'), run: command(dispatcher.actor, { type: 'assign', unitId: world.org.units.a }) },
    ];
    const run = await runSweeps(world.database, world.sweepers, clock, world.calendar, actions, RESTART_START, RESTART_END);

    const rows = await world.database.db
      .select({ key: outbox.key, recipient: outbox.recipient, createdAt: outbox.createdAt })
      .from(outbox)
      .where(like(outbox.key, 'nudge:%'))
      .orderBy(asc(outbox.createdAt), asc(outbox.key));
    const who = (recipient: Record<string, unknown>) =>
      recipient.type === 'dispatchers' ? 'dispatchers' : recipient.unitId === world.org.units.a ? 'A' : recipient.unitId === world.org.units.b ? 'B' : JSON.stringify(recipient);
    const table = rows.map((r) => {
      const [, id, rule, , day] = r.key.split(':');
      expect(Number(id)).toBe(caseId);
      return `${rule}${day ? `:${day}` : ''} → ${who(r.recipient)} @ ${formatLocalIso(r.createdAt).slice(0, 16).replace('T', ' ')}`;
    });
    expect(table).toEqual(RESTART_EXPECTED);
    expect(run.inserted).toBe(RESTART_EXPECTED.length);
    // The three "hạn hôm nay" are three occurrences of one rule and step, told apart by when the step began.
    const dueToday = rows.filter((r) => r.key.split(':')[2] === 'accept-due-today').map((r) => r.key);
    expect(new Set(dueToday).size).toBe(3);
    expect(new Set(dueToday.map(withoutOccurrence))).toEqual(new Set([`nudge:${caseId}:accept-due-today:accept`]));
  }, 120_000);
});

/** What only a server can show: truly concurrent sweepers on separate connections, and the planner's choices. */
describe('nudge sweep on PostgreSQL', () => {
  let database: TestDatabase;
  let second: Database;
  let org: SeededOrg;
  let calendar: WorkingCalendar;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    org = await seedOrg(database.db);
    await seedCalendar2026(database.db);
    await seedNudgeRules(database.db);
    calendar = await createDbCalendarLoader(database.db)();
    second = await openDatabase(database.target);
  });
  afterAll(async () => {
    await second?.close();
    await database?.destroy();
  });

  it('two sweepers racing on the same reminders: both try, one row per key', async () => {
    const clock = createFakeClock(at('2026-03-16T09:00'));
    const deps: CaseServiceDeps = { db: database.db, clock, loadCalendar: async () => calendar };
    // Two new cases waiting for triage (due Wed 18/03): their "còn 1 ngày" falls due on Tuesday morning.
    const newIds: number[] = [];
    for (const n of [1, 2]) {
      const created = await createCase(deps, { channel: 'console', contact: null, contactKind: 'citizen', categoryId: org.categories.unrouted, description: `Phản ánh đua ${n}` });
      newIds.push(created.case.id);
    }
    const now = at('2026-03-17T08:00');
    const locker = new pg.Client({ connectionString: (database.target as { url: string }).url });
    await locker.connect();
    try {
      // Hold the outbox against writers (readers pass), so both sweepers read "not sent yet" and then queue
      // their inserts behind the lock: the race is certain, not left to timing.
      await locker.query('begin');
      await locker.query('lock table outbox in exclusive mode');
      const racing = Promise.all([database.db, second.db].map((db) => sweepNudges({ db, loadCalendar: async () => calendar }, now)));
      let waiting = 0;
      for (let poll = 0; poll < 250 && waiting < 2; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await locker.query('select pg_stat_clear_snapshot()');
        const r = await locker.query<{ n: string }>("select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()");
        waiting = Number(r.rows[0]?.n);
      }
      expect(waiting).toBe(2);
      await locker.query('commit');
      const [a, b] = await racing;
      expect(a!.fresh.map((n) => n.key).sort()).toEqual(b!.fresh.map((n) => n.key).sort());
      expect(a!.fresh).toHaveLength(2);
      expect(a!.inserted + b!.inserted).toBe(2);
    } finally {
      await locker.end();
    }
    const rows = await database.db.select({ key: outbox.key }).from(outbox).where(like(outbox.key, 'nudge:%:triage-before-1:triage@%'));
    expect(rows.map((r) => withoutOccurrence(r.key)).sort()).toEqual(newIds.map((id) => `nudge:${id}:triage-before-1:triage`).sort());
  });

  it('reads due cases and their step starts through the partial indexes, never a scan of a whole table', async () => {
    const client = new pg.Client({ connectionString: (database.target as { url: string }).url });
    await client.connect();
    try {
      // The test table is tiny, so the planner would rightly prefer a scan; forbidding it shows an index can serve.
      await client.query('set enable_seqscan = off');
      const plans: string[] = [];
      for (const query of buildDueCaseQueries(database.db, at('2026-03-20T00:00'))) {
        const { sql: text, params } = query.toSQL();
        const result = await client.query<{ 'QUERY PLAN': string }>(`explain ${text}`, params);
        plans.push(result.rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
      expect(plans[0]).toContain('cases_running_answer_due_idx');
      expect(plans[1]).toContain('cases_received_triage_due_idx');
      expect(plans[2]).toContain('cases_assigned_accept_due_idx');
      for (const plan of plans) {
        expect(plan).toMatch(/Index Only Scan Backward using case_events_step_start_idx/);
        expect(plan).not.toMatch(/Seq Scan/);
      }

      // Which reminders went out already: one probe of the unique key per key, whatever the table's size.
      await client.query('reset enable_seqscan');
      const { sql: text, params } = new PgDialect().sqlToQuery(buildExistingOutboxKeysQuery(['nudge:1:a', 'nudge:2:b', 'nudge:3:c']));
      const keysPlan = (await client.query<{ 'QUERY PLAN': string }>(`explain ${text}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(keysPlan).toMatch(/Index Only Scan using outbox_key_uq/);
      expect(keysPlan).not.toMatch(/Seq Scan/);
    } finally {
      await client.end();
    }
  });

});
