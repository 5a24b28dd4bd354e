import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { categories, calendarDays, contacts, officials, routingRules, units } from '../../db/schema.js';
import { queryRows, type Db } from '../../runtime/db.js';
import { createWorkingCalendar, type WorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import type { OfficialActor, Role } from '../../workflows/cases/actor.js';
import { CALENDAR_2026_DAYS } from '../fixtures/calendar-2026.js';

/**
 * Small organisations for workflow tests. Every call makes its own units, officials, categories and rules
 * (codes carry a random suffix), so tests sharing one database never see each other's data.
 */

const suffix = () => randomUUID().slice(0, 8);

export async function seedUnit(
  db: Db,
  options: {
    name: string;
    code?: string;
    kind?: 'office' | 'department' | 'agency' | 'ward' | 'commune';
    requiresApproval?: boolean;
    assignmentStrategy?: 'round_robin' | 'least_open';
    active?: boolean;
  },
): Promise<number> {
  const [row] = await db
    .insert(units)
    .values({
      code: `${options.code ?? 'U'}-${suffix()}`,
      name: options.name,
      fullName: options.name,
      kind: options.kind ?? 'department',
      effectiveFrom: '2025-07-01',
      requiresApproval: options.requiresApproval ?? true,
      assignmentStrategy: options.assignmentStrategy ?? 'least_open',
      active: options.active ?? true,
    })
    .returning({ id: units.id });
  if (!row) throw new Error('unit insert returned nothing');
  return row.id;
}

export interface SeededOfficial {
  id: number;
  actor: OfficialActor;
}

export async function seedOfficial(
  db: Db,
  options: { unitId: number; roles: Role[]; name?: string; active?: boolean; onLeaveUntil?: string | null; lastAssignedAt?: Date | null },
): Promise<SeededOfficial> {
  const login = `cb-${suffix()}`;
  const [row] = await db
    .insert(officials)
    .values({
      unitId: options.unitId,
      login,
      fullName: options.name ?? `Cán bộ ${login}`,
      roles: options.roles,
      active: options.active ?? true,
      onLeaveUntil: options.onLeaveUntil ?? null,
      lastAssignedAt: options.lastAssignedAt ?? null,
    })
    .returning({ id: officials.id });
  if (!row) throw new Error('official insert returned nothing');
  return { id: row.id, actor: { type: 'official', officialId: row.id, unitId: options.unitId, roles: options.roles } };
}

/** Plain SQL: db/schema.ts maps contacts.updatedAt to "created_at" too, which breaks db.insert(contacts). */
export async function seedContact(
  db: Db,
  options: { fullName?: string; displayName?: string; phone?: string; kind?: 'citizen' | 'business' } = {},
): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    db,
    sql`insert into ${contacts} (kind, zalo_user_id, full_name, display_name, phone)
        values (${options.kind ?? 'citizen'}, ${`zalo-${suffix()}`}, ${options.fullName ?? 'Nguyễn Văn An'},
          ${options.displayName ?? null}, ${options.phone ?? '0912345678'})
        returning id`,
  );
  if (!row) throw new Error('contact insert returned nothing');
  return Number(row.id);
}

export async function seedCategory(
  db: Db,
  options: { name: string; defaultUnitId?: number | null; routeToArea?: boolean },
): Promise<number> {
  const [row] = await db
    .insert(categories)
    .values({
      code: `cat-${suffix()}`,
      name: options.name,
      defaultUnitId: options.defaultUnitId ?? null,
      routeToArea: options.routeToArea ?? false,
    })
    .returning({ id: categories.id });
  if (!row) throw new Error('category insert returned nothing');
  return row.id;
}

export async function seedRoutingRule(
  db: Db,
  options: { categoryId: number | null; areaUnitId?: number | null; targetUnitId?: number | null; routeToArea?: boolean; priority?: number },
): Promise<number> {
  const [row] = await db
    .insert(routingRules)
    .values({
      categoryId: options.categoryId,
      areaUnitId: options.areaUnitId ?? null,
      targetUnitId: options.targetUnitId ?? null,
      routeToArea: options.routeToArea ?? false,
      priority: options.priority ?? 100,
    })
    .returning({ id: routingRules.id });
  if (!row) throw new Error('routing rule insert returned nothing');
  return row.id;
}

/** The 2026 exceptions (Tết, Giỗ Tổ, Quốc khánh, make-up Saturdays) in calendar_days; safe to call twice. */
export async function seedCalendar2026(db: Db): Promise<void> {
  await db
    .insert(calendarDays)
    .values(CALENDAR_2026_DAYS.map((d) => ({ day: d.day, working: d.working, reason: d.reason, source: d.source ?? null })))
    .onConflictDoNothing();
}

/** deps.loadCalendar reading the table, as the app does. */
export function createDbCalendarLoader(db: Db): () => Promise<WorkingCalendar> {
  return async () => createWorkingCalendar(await db.select().from(calendarDays));
}

export interface SeededOrg {
  units: { focal: number; a: number; b: number; c: number; ward: number };
  categories: {
    /** A rule routes it to unit A. */
    routed: number;
    /** A route-to-area rule sends it to the case's ward. */
    byArea: number;
    /** No rule, no default: stays in the dispatcher queue. */
    unrouted: number;
  };
  officials: {
    dispatcher: SeededOfficial;
    admin: SeededOfficial;
    leaderA: SeededOfficial;
    handlerA: SeededOfficial;
    viewerA: SeededOfficial;
    leaderB: SeededOfficial;
    handlerB: SeededOfficial;
  };
  contactId: number;
}

/**
 * The focal unit (dispatcher), departments A (requires approval), B and C, a ward, three categories and one
 * official per role. Unit A has a single handler so accept is deterministic.
 */
export async function seedOrg(db: Db, options: { unitARequiresApproval?: boolean } = {}): Promise<SeededOrg> {
  const focal = await seedUnit(db, { name: 'Văn phòng UBND TP', code: 'VPUB', kind: 'office' });
  const a = await seedUnit(db, { name: 'Sở Xây dựng', code: 'SXD', requiresApproval: options.unitARequiresApproval ?? true });
  const b = await seedUnit(db, { name: 'Sở Y tế', code: 'SYT' });
  const c = await seedUnit(db, { name: 'Sở Công Thương', code: 'SCT' });
  const ward = await seedUnit(db, { name: 'Phường Hoàn Kiếm', code: '00070', kind: 'ward' });

  const routed = await seedCategory(db, { name: 'Giao thông, đường sá', defaultUnitId: a });
  const byArea = await seedCategory(db, { name: 'Rác thải, vệ sinh môi trường', routeToArea: true });
  const unrouted = await seedCategory(db, { name: 'Lĩnh vực khác' });
  await seedRoutingRule(db, { categoryId: routed, targetUnitId: a });
  await seedRoutingRule(db, { categoryId: byArea, routeToArea: true });

  return {
    units: { focal, a, b, c, ward },
    categories: { routed, byArea, unrouted },
    officials: {
      dispatcher: await seedOfficial(db, { unitId: focal, roles: ['dispatcher'], name: 'Trần Thị Điều Phối' }),
      admin: await seedOfficial(db, { unitId: focal, roles: ['admin'] }),
      leaderA: await seedOfficial(db, { unitId: a, roles: ['unit_leader'], name: 'Lê Văn Lãnh Đạo' }),
      handlerA: await seedOfficial(db, { unitId: a, roles: ['handler'], name: 'Phạm Thị Xử Lý' }),
      viewerA: await seedOfficial(db, { unitId: a, roles: ['viewer'] }),
      leaderB: await seedOfficial(db, { unitId: b, roles: ['unit_leader'] }),
      handlerB: await seedOfficial(db, { unitId: b, roles: ['handler'] }),
    },
    contactId: await seedContact(db, { fullName: 'Nguyễn Văn An', displayName: 'An Nguyễn' }),
  };
}
