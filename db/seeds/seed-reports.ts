import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../runtime/db.js';
import { reportingRegimes, units } from '../schema.js';

/**
 * Hà Nội's regimes are set by QĐ 19/2022/QĐ-UBND, whose list and deadlines could not be read (DOMAIN.md §4.1,
 * §9 item 7): these four are realistic product defaults for a demo and a first installation. Each says so in
 * its legal basis, and an operator must check them against the decision before relying on them.
 */
const TO_CHECK = 'Mặc định của sản phẩm, cần đối chiếu với QĐ 19/2022/QĐ-UBND trước khi áp dụng';
const CUTOFF_ND09 = 'thời gian chốt số liệu theo Điều 12 NĐ 09/2019/NĐ-CP';

interface RegimeSeed {
  code: string;
  name: string;
  legalBasis: string;
  frequency: (typeof reportingRegimes.$inferInsert)['frequency'];
  cutoffRule: Record<string, unknown>;
  deadlineRule: Record<string, unknown>;
  obligedUnitKinds: string[];
  receivingUnitCode: string;
  selfSubmit: boolean;
}

export const DEFAULT_REPORTING_REGIMES: RegimeSeed[] = [
  {
    code: 'ktxh-thang',
    name: 'Báo cáo tình hình kinh tế - xã hội tháng',
    legalBasis: `NĐ 09/2019/NĐ-CP (Điều 12); QĐ 19/2022/QĐ-UBND. Hạn gửi: 02 ngày làm việc sau ngày chốt số liệu. ${TO_CHECK}.`,
    frequency: 'monthly',
    cutoffRule: { type: 'nd09_2019' },
    deadlineRule: { type: 'working_days_after_cutoff', days: 2 },
    obligedUnitKinds: ['ward', 'commune'],
    receivingUnitCode: 'VPUB',
    selfSubmit: true,
  },
  {
    code: 'pakn-quy',
    name: 'Báo cáo công tác tiếp nhận, xử lý phản ánh, kiến nghị quý',
    legalBasis: `NĐ 20/2008/NĐ-CP (sửa đổi bởi NĐ 92/2017/NĐ-CP); NĐ 09/2019/NĐ-CP (${CUTOFF_ND09}); QĐ 19/2022/QĐ-UBND. Hạn gửi: 03 ngày làm việc sau ngày chốt số liệu. ${TO_CHECK}.`,
    frequency: 'quarterly',
    cutoffRule: { type: 'nd09_2019' },
    deadlineRule: { type: 'working_days_after_cutoff', days: 3 },
    obligedUnitKinds: ['department', 'ward', 'commune'],
    receivingUnitCode: 'VPUB',
    selfSubmit: true,
  },
  {
    code: 'cds-quy',
    name: 'Báo cáo kết quả thực hiện chuyển đổi số quý',
    legalBasis: `NĐ 09/2019/NĐ-CP (${CUTOFF_ND09}); QĐ 19/2022/QĐ-UBND. Hạn gửi: ngày 20 tháng cuối quý. ${TO_CHECK}.`,
    frequency: 'quarterly',
    cutoffRule: { type: 'nd09_2019' },
    deadlineRule: { type: 'fixed_day_of_month', day: 20, monthOffset: 0 },
    obligedUnitKinds: ['department', 'ward', 'commune'],
    receivingUnitCode: 'SKHCN',
    selfSubmit: true,
  },
  {
    code: 'bao-cao-nam',
    name: 'Báo cáo tổng kết công tác năm',
    legalBasis: `NĐ 09/2019/NĐ-CP (${CUTOFF_ND09}: 15/12 năm trước đến 14/12); QĐ 19/2022/QĐ-UBND. Hạn gửi: 03 ngày làm việc sau ngày chốt số liệu. ${TO_CHECK}.`,
    frequency: 'annual',
    cutoffRule: { type: 'nd09_2019' },
    deadlineRule: { type: 'working_days_after_cutoff', days: 3 },
    obligedUnitKinds: ['department', 'ward', 'commune'],
    receivingUnitCode: 'VPUB',
    // Reports to the city are signed and sent through the city's reporting system, which pushes the result.
    selfSubmit: false,
  },
];

/** Inserts the default regimes once per code; an operator's later edits are never overwritten. */
export async function seedReportingRegimes(db: Db): Promise<void> {
  const codes = [...new Set(DEFAULT_REPORTING_REGIMES.map((r) => r.receivingUnitCode))];
  const rows = await db
    .select({ id: units.id, code: units.code })
    .from(units)
    .where(and(inArray(units.code, codes), isNull(units.effectiveTo), eq(units.active, true)));
  const unitId = new Map(rows.map((r) => [r.code, r.id]));
  const values = DEFAULT_REPORTING_REGIMES.flatMap(({ receivingUnitCode, ...regime }) => {
    const receivingUnitId = unitId.get(receivingUnitCode);
    // Without its receiving unit (an installation that renamed or removed it) the regime cannot work.
    return receivingUnitId === undefined ? [] : [{ ...regime, receivingUnitId, obligedUnitIds: [] }];
  });
  if (values.length > 0) await db.insert(reportingRegimes).values(values).onConflictDoNothing({ target: reportingRegimes.code });
}
