import { sql } from 'drizzle-orm';
import { apiTokens, cases, contacts, officials } from '../../db/schema.js';
import { createConsolePart, type ConsoleOptions } from '../../console/console.routes.js';
import { createCaseServiceDeps } from '../../console/case-service-deps.js';
import { hashApiToken } from '../../console/api/api-token-auth.js';
import { queryRows } from '../../runtime/db.js';
import { hashPassword } from '../../runtime/password.js';
import type { OfficialActor, Role } from '../../workflows/cases/actor.js';
import type { CaseCommand } from '../../workflows/cases/case-commands.js';
import { createCase, runCaseCommand, type CaseServiceDeps } from '../../workflows/cases/case-service.js';
import { eq } from 'drizzle-orm';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import type { TestDatabase } from '../helpers/db.js';
import { seedCalendar2026, seedCategory, seedRoutingRule, seedUnit } from '../helpers/seed-org.js';

/**
 * Two units with one official per role each, a ward, a category routed to each unit and a bearer token per
 * official: the console, export, dashboard and API tests all look at the same small city.
 */

export const SESSION_SECRET = 'console-test-session-secret-0123456789abcdef';
export const WORLD_PASSWORD = 'mat-khau-thu-nghiem-123';
export const ROLES_UNDER_TEST: Role[] = ['dispatcher', 'handler', 'unit_leader', 'admin', 'viewer'];
export type UnitKey = 'a' | 'b';

export interface WorldOfficial {
  key: string;
  login: string;
  role: Role;
  unit: UnitKey;
  id: number;
  actor: OfficialActor;
  /** Bearer token with cases:read and cases:write. */
  token: string;
}

export interface World {
  t: TestApp;
  caseDeps: CaseServiceDeps;
  units: { a: number; b: number; ward: number; otherWard: number };
  unitNames: { a: string; b: string };
  categories: { a: number; b: number };
  officials: WorldOfficial[];
  contactId: number;
  official(role: Role, unit: UnitKey): WorldOfficial;
  /** A new case routed to the unit (status assigned). */
  createCaseFor(unit: UnitKey, options?: { description?: string; areaUnitId?: number; latitude?: number; longitude?: number }): Promise<{ id: number; code: string }>;
  /** Runs a command with the case's current version; throws when refused. */
  run(caseId: number, actor: OfficialActor, command: CaseCommand): Promise<void>;
  /** assigned → accepted → drafted → approved (answered). */
  answerCase(caseId: number, unit: UnitKey, text?: string): Promise<void>;
  close(): Promise<void>;
}

/** Console options on top of the world's own (a login rate limit tests never hit). */
export type WorldConsoleOptions = Omit<ConsoleOptions, 'loginRateLimit'>;

export async function buildWorld(database: TestDatabase, consoleOptions: WorldConsoleOptions = {}): Promise<World> {
  await seedCalendar2026(database.db);
  const db = database.db;
  const unitNames = { a: 'Sở Xây dựng', b: 'Sở Y tế' };
  const a = await seedUnit(db, { name: unitNames.a, code: 'SXD', requiresApproval: true });
  const b = await seedUnit(db, { name: unitNames.b, code: 'SYT', requiresApproval: false });
  const ward = await seedUnit(db, { name: 'Phường Hoàn Kiếm', code: '00070', kind: 'ward' });
  const otherWard = await seedUnit(db, { name: 'Phường Ba Đình', code: '00004', kind: 'ward' });
  const catA = await seedCategory(db, { name: 'Trật tự xây dựng', defaultUnitId: a });
  const catB = await seedCategory(db, { name: 'Y tế, an toàn thực phẩm', defaultUnitId: b });
  await seedRoutingRule(db, { categoryId: catA, targetUnitId: a });
  await seedRoutingRule(db, { categoryId: catB, targetUnitId: b });

  const passwordHash = await hashPassword(WORLD_PASSWORD);
  const list: WorldOfficial[] = [];
  for (const unit of ['a', 'b'] as const) {
    for (const role of ROLES_UNDER_TEST) {
      const login = `${role.replace('_', '-')}-${unit}`;
      const unitId = unit === 'a' ? a : b;
      const [row] = await db
        .insert(officials)
        .values({ unitId, login, fullName: `Cán bộ ${login}`, roles: [role], passwordHash })
        .returning({ id: officials.id });
      if (!row) throw new Error('official insert failed');
      const token = `pakn_test_${login}_0123456789abcdef`;
      await db.insert(apiTokens).values({ name: `máy ${login}`, tokenHash: hashApiToken(token), officialId: row.id, scopes: ['cases:read', 'cases:write'] });
      list.push({ key: `${role}/${unit}`, login, role, unit, id: row.id, token, actor: { type: 'official', officialId: row.id, unitId, roles: [role] } });
    }
  }

  const [contact] = await queryRows<{ id: number }>(
    db,
    sql`insert into ${contacts} (kind, zalo_user_id, full_name, display_name, phone, email)
        values ('citizen', 'zalo-world-citizen', 'Nguyễn Văn Bình', 'Bình Nguyễn', '0912345678', 'binh.nguyen@example.com') returning id`,
  );
  const contactId = Number(contact?.id);

  const t = await buildTestApp({
    parts: [createConsolePart({ ...consoleOptions, loginRateLimit: { max: 100_000, timeWindowMs: 60_000 } })],
    database,
    env: { SESSION_SECRET },
  });
  const caseDeps = createCaseServiceDeps(t.deps);

  const official = (role: Role, unit: UnitKey) => {
    const found = list.find((o) => o.role === role && o.unit === unit);
    if (!found) throw new Error(`no ${role} in unit ${unit}`);
    return found;
  };

  async function run(caseId: number, actor: OfficialActor, command: CaseCommand) {
    const [row] = await db.select({ version: cases.version }).from(cases).where(eq(cases.id, caseId));
    const result = await runCaseCommand(caseDeps, { caseId, actor, command, expectedVersion: row?.version ?? 0 });
    if (!result.ok) throw new Error(`${command.type} refused: ${result.error.code}`);
  }

  return {
    t,
    caseDeps,
    units: { a, b, ward, otherWard },
    unitNames,
    categories: { a: catA, b: catB },
    officials: list,
    contactId,
    official,
    async createCaseFor(unit, options = {}) {
      const created = await createCase(caseDeps, {
        channel: 'zalo',
        contact: { id: contactId },
        contactKind: 'citizen',
        categoryId: unit === 'a' ? catA : catB,
        description: options.description ?? `Phản ánh của đơn vị ${unit}`,
        areaUnitId: options.areaUnitId ?? ward,
        latitude: options.latitude ?? null,
        longitude: options.longitude ?? null,
      });
      return { id: created.case.id, code: created.case.code };
    },
    run,
    async answerCase(caseId, unit, text = 'Đơn vị đã kiểm tra và xử lý xong.') {
      await run(caseId, official('handler', unit).actor, { type: 'accept' });
      await run(caseId, official('handler', unit).actor, { type: 'draft_answer', text });
      const [row] = await db.select({ status: cases.status }).from(cases).where(eq(cases.id, caseId));
      if (row?.status === 'pending_approval') await run(caseId, official('unit_leader', unit).actor, { type: 'approve' });
    },
    close: () => t.close(),
  };
}
