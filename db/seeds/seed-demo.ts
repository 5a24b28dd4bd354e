import { inArray } from 'drizzle-orm';
import type { Db } from '../../runtime/db.js';
import { hashPassword } from '../../runtime/password.js';
import { officials, units } from '../schema.js';
import { CITY_UNIT, FOCAL_UNIT_CODE } from './reference-data.js';

export const DEMO_PASSWORD = 'demo1234';
/** The demo ward: Phường Hoàn Kiếm (GSO 00070). */
export const DEMO_WARD_CODE = '00070';

export interface DemoLogin {
  login: string;
  fullName: string;
  role: 'dispatcher' | 'handler' | 'unit_leader' | 'admin';
  unitCode: string;
  label: string;
}

export const DEMO_LOGINS: DemoLogin[] = [
  { login: 'dieuphoi', fullName: 'Nguyễn Thị Điều Phối', role: 'dispatcher', unitCode: FOCAL_UNIT_CODE, label: 'Điều phối viên, Văn phòng UBND TP' },
  { login: 'chuyenvien', fullName: 'Trần Văn Chuyên', role: 'handler', unitCode: DEMO_WARD_CODE, label: 'Chuyên viên, Phường Hoàn Kiếm' },
  { login: 'lanhdao', fullName: 'Lê Minh Lãnh', role: 'unit_leader', unitCode: DEMO_WARD_CODE, label: 'Lãnh đạo, Phường Hoàn Kiếm' },
  { login: 'quantri', fullName: 'Phạm Quản Trị', role: 'admin', unitCode: CITY_UNIT.code, label: 'Quản trị hệ thống' },
];

/** One official per role, linked to the sandbox Zalo user `sandbox-<login>`. Existing logins are left alone. */
export async function seedDemoOfficials(db: Db): Promise<void> {
  const unitRows = await db.select({ id: units.id, code: units.code }).from(units).where(inArray(units.code, DEMO_LOGINS.map((d) => d.unitCode)));
  const unitId = new Map(unitRows.map((u) => [u.code, u.id]));
  const existing = new Set(
    (await db.select({ login: officials.login }).from(officials).where(inArray(officials.login, DEMO_LOGINS.map((d) => d.login)))).map((o) => o.login),
  );
  for (const demo of DEMO_LOGINS) {
    if (existing.has(demo.login)) continue;
    const id = unitId.get(demo.unitCode);
    if (id === undefined) throw new Error(`demo unit ${demo.unitCode} is not seeded`);
    await db
      .insert(officials)
      .values({
        unitId: id,
        login: demo.login,
        fullName: demo.fullName,
        title: demo.label,
        email: `${demo.login}@demo.pakn.local`,
        zaloUserId: `sandbox-${demo.login}`,
        passwordHash: await hashPassword(DEMO_PASSWORD),
        roles: [demo.role],
        isDemo: true,
      })
      .onConflictDoNothing();
  }
}
