import { eq, inArray } from 'drizzle-orm';
import { categories, contacts, officials, settings, units } from '../db/schema.js';
import { DEMO_WARD_CODE } from '../db/seeds/seed-demo.js';
import { loadWorkingCalendar } from '../workflows/calendar/calendar.repo.js';
import type { Actor } from '../workflows/cases/actor.js';
import type { CaseCommand } from '../workflows/cases/case-commands.js';
import { createCase, runCaseCommand, type CaseServiceDeps } from '../workflows/cases/case-service.js';
import type { Db } from './db.js';
import type { ProductPart } from './start.js';

const SEEDED_KEY = 'demo-cases-seeded';

interface DemoCase {
  citizen: { name: string; phone: string; zaloUserId: string };
  categoryCode: string;
  description: string;
  address: string;
  latitude?: number;
  longitude?: number;
  /** Commands run after creation, by demo login ('system' for the citizen's own steps). */
  steps: Array<{ by: 'dieuphoi' | 'chuyenvien' | 'lanhdao'; command: CaseCommand }>;
}

const DEMO_CASES: DemoCase[] = [
  {
    citizen: { name: 'Nguyễn Thị Hoa', phone: '0987654321', zaloUserId: 'sandbox-demo-hoa' },
    categoryCode: 've-sinh-moi-truong',
    description: 'Rác thải tồn đọng ở đầu ngõ 25 phố Hàng Bông hai ngày nay chưa được thu gom, bốc mùi khó chịu.',
    address: 'Đầu ngõ 25 Hàng Bông',
    latitude: 21.0312,
    longitude: 105.8478,
    steps: [{ by: 'lanhdao', command: { type: 'accept' } }],
  },
  {
    citizen: { name: 'Trần Văn Bình', phone: '0912000111', zaloUserId: 'sandbox-demo-binh' },
    categoryCode: 'khac',
    description: 'Đề nghị bố trí thêm ghế ngồi và mái che tại điểm chờ xe buýt trước số 8 Lý Thái Tổ cho người cao tuổi.',
    address: 'Số 8 Lý Thái Tổ',
    steps: [],
  },
  {
    citizen: { name: 'Lê Thị Mai', phone: '0903123456', zaloUserId: 'sandbox-demo-mai' },
    categoryCode: 'trat-tu-do-thi',
    description: 'Quán ăn số 14 Hàng Gà bày bàn ghế chiếm hết vỉa hè, người đi bộ phải đi xuống lòng đường rất nguy hiểm.',
    address: 'Số 14 Hàng Gà',
    steps: [
      { by: 'lanhdao', command: { type: 'accept' } },
      {
        by: 'chuyenvien',
        command: {
          type: 'draft_answer',
          text: 'UBND phường Hoàn Kiếm đã kiểm tra, lập biên bản và yêu cầu hộ kinh doanh số 14 Hàng Gà thu dọn bàn ghế, trả lại vỉa hè cho người đi bộ. Phường sẽ tiếp tục kiểm tra định kỳ.',
        },
      },
    ],
  },
  {
    citizen: { name: 'Phạm Quốc Dũng', phone: '0977888999', zaloUserId: 'sandbox-demo-dung' },
    categoryCode: 'giao-thong',
    description: 'Mặt đường Tràng Tiền đoạn trước Nhà hát Lớn có nhiều ổ gà lớn sau mưa, xe máy đi qua rất dễ ngã.',
    address: 'Phố Tràng Tiền, trước Nhà hát Lớn',
    latitude: 21.0245,
    longitude: 105.8575,
    steps: [],
  },
  {
    citizen: { name: 'Hoàng Minh Tuấn', phone: '0934567890', zaloUserId: 'sandbox-demo-tuan' },
    categoryCode: 'trat-tu-xay-dung',
    description: 'Công trình sửa nhà ở số 30 Hàng Bạc thi công cả buổi tối sau 22 giờ, gây ồn ào ảnh hưởng các hộ xung quanh.',
    address: 'Số 30 Hàng Bạc',
    steps: [
      { by: 'lanhdao', command: { type: 'accept' } },
      {
        by: 'chuyenvien',
        command: {
          type: 'draft_answer',
          text: 'UBND phường Hoàn Kiếm đã làm việc với chủ công trình số 30 Hàng Bạc, yêu cầu không thi công sau 22 giờ và cam kết thực hiện đúng giấy phép. Lực lượng trật tự đô thị phường sẽ giám sát.',
        },
      },
      { by: 'lanhdao', command: { type: 'approve' } },
      { by: 'dieuphoi', command: { type: 'publish' } },
    ],
  },
];

/**
 * A handful of cases in different states so a demo shows every inbox view at once. They are created
 * through the workflows, like real ones, and only once per database.
 */
async function seedDemoCases(db: Db, now: () => Date): Promise<void> {
  const [done] = await db.select().from(settings).where(eq(settings.key, SEEDED_KEY));
  if (done) return;
  const [ward] = await db.select({ id: units.id }).from(units).where(eq(units.code, DEMO_WARD_CODE));
  const logins = await db
    .select({ id: officials.id, login: officials.login, unitId: officials.unitId, roles: officials.roles })
    .from(officials)
    .where(inArray(officials.login, ['dieuphoi', 'chuyenvien', 'lanhdao']));
  const categoryRows = await db.select({ id: categories.id, code: categories.code }).from(categories);
  if (!ward || logins.length < 3) return;
  const actorOf = (login: string): Actor => {
    const o = logins.find((l) => l.login === login)!;
    return { type: 'official', officialId: o.id, unitId: o.unitId, roles: o.roles };
  };
  const deps: CaseServiceDeps = { db, clock: { now }, loadCalendar: () => loadWorkingCalendar(db) };

  for (const demo of DEMO_CASES) {
    const [contact] = await db
      .insert(contacts)
      .values({ zaloUserId: demo.citizen.zaloUserId, displayName: demo.citizen.name, fullName: demo.citizen.name, phone: demo.citizen.phone, createdAt: now(), updatedAt: now() })
      .onConflictDoUpdate({ target: contacts.zaloUserId, set: { fullName: demo.citizen.name } })
      .returning({ id: contacts.id });
    const created = await createCase(deps, {
      channel: 'zalo',
      contact: { id: contact!.id },
      contactKind: 'citizen',
      categoryId: categoryRows.find((c) => c.code === demo.categoryCode)?.id ?? null,
      description: demo.description,
      address: demo.address,
      areaUnitId: ward.id,
      latitude: demo.latitude ?? null,
      longitude: demo.longitude ?? null,
      consentVersion: 'pakn-zalo-2026-01',
    });
    let version = created.case.version;
    for (const step of demo.steps) {
      const result = await runCaseCommand(deps, { caseId: created.case.id, command: step.command, actor: actorOf(step.by), expectedVersion: version });
      if (!result.ok) throw new Error(`demo case step ${step.command.type} failed: ${result.error.code}`);
      version = result.case.version;
    }
  }
  await db.insert(settings).values({ key: SEEDED_KEY, value: true, updatedAt: now() }).onConflictDoNothing();
}

export const demoCasesPart: ProductPart = {
  name: 'demo-cases',
  seedDemo: (db, deps) => seedDemoCases(db, () => deps.clock.now()),
};
