import { z } from 'zod';
import type { reportingRegimes } from '../../db/schema.js';

/**
 * A reporting regime (chế độ báo cáo) as data, after DOMAIN.md §4.4: who reports (unit kinds and/or listed
 * units), to whom, how often, over which data window (cut-off), and by when. The rules are JSON in
 * `reporting_regimes` so an operator can change them without a deploy; they are parsed here, at the edge
 * between the table and the domain.
 */

export const REPORT_FREQUENCIES = ['monthly', 'quarterly', 'six_month', 'nine_month', 'annual', 'ad_hoc'] as const;
export type ReportFrequency = (typeof REPORT_FREQUENCIES)[number];

export const REPORT_FREQUENCY_LABELS: Record<ReportFrequency, string> = {
  monthly: 'Hằng tháng',
  quarterly: 'Hằng quý',
  six_month: '6 tháng',
  nine_month: '9 tháng',
  annual: 'Hằng năm',
  ad_hoc: 'Đột xuất',
};

/**
 * Data cut-off (thời gian chốt số liệu). `nd09_2019` is Điều 12 of Nghị định 09/2019/NĐ-CP: from the 15th
 * of the previous month to the 14th (DOMAIN.md §4.1); `calendar` is whole calendar months, for regimes whose
 * own text says so. An empty object in the table means the decree's default.
 */
export const ZCutoffRule = z.preprocess(
  (v) => (v && typeof v === 'object' && Object.keys(v).length === 0 ? { type: 'nd09_2019' } : v),
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('nd09_2019'),
      /** Six-month regimes: NHNN also reports the second half (15/6 → 14/12); most regimes only the first. */
      includeSecondHalf: z.boolean().optional(),
    }),
    z.object({ type: z.literal('calendar'), includeSecondHalf: z.boolean().optional() }),
  ]),
);
export type TCutoffRule = z.infer<typeof ZCutoffRule>;

/**
 * Deadline (thời hạn gửi báo cáo), set per regime. A deadline that lands on a day off moves to the next
 * working day; it ends when that day's last working session ends.
 */
export const ZDeadlineRule = z.discriminatedUnion('type', [
  /** e.g. Khánh Hòa QĐ 01/2023: 02 working days after the cut-off. */
  z.object({ type: z.literal('working_days_after_cutoff'), days: z.number().int().min(0).max(60) }),
  /** e.g. NHNN: "at least 1 day after the cut-off", counted in calendar days; a day off moves it on. */
  z.object({ type: z.literal('calendar_days_after_cutoff'), days: z.number().int().min(0).max(90) }),
  /** e.g. "by the 20th of the last month of the period": monthOffset counts from the cut-off's month. */
  z.object({
    type: z.literal('fixed_day_of_month'),
    day: z.number().int().min(1).max(31),
    monthOffset: z.number().int().min(-1).max(12).default(0),
  }),
]);
export type TDeadlineRule = z.infer<typeof ZDeadlineRule>;

export interface ReportingRegime {
  id: number;
  code: string;
  name: string;
  legalBasis: string;
  frequency: ReportFrequency;
  cutoffRule: TCutoffRule;
  deadlineRule: TDeadlineRule;
  obligedUnitKinds: string[];
  obligedUnitIds: number[];
  receivingUnitId: number;
  /** The obliged unit may mark its own submission (assistant "đã nộp"); otherwise only the reporting system. */
  selfSubmit: boolean;
  active: boolean;
}

export type RegimeRow = typeof reportingRegimes.$inferSelect;

export class RegimeRuleError extends Error {
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(`reporting regime ${code}: ${detail}`);
    this.name = 'RegimeRuleError';
  }
}

/** Parses the JSON rules of a row; a broken row is an operator's typo and names itself in the error. */
export function parseRegimeRow(row: RegimeRow): ReportingRegime {
  const cutoff = ZCutoffRule.safeParse(row.cutoffRule);
  if (!cutoff.success) throw new RegimeRuleError(row.code, `invalid cutoff_rule (${cutoff.error.issues[0]?.message ?? 'invalid'})`);
  const deadline = ZDeadlineRule.safeParse(row.deadlineRule);
  if (!deadline.success) throw new RegimeRuleError(row.code, `invalid deadline_rule (${deadline.error.issues[0]?.message ?? 'invalid'})`);
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    legalBasis: row.legalBasis,
    frequency: row.frequency,
    cutoffRule: cutoff.data,
    deadlineRule: deadline.data,
    obligedUnitKinds: row.obligedUnitKinds,
    obligedUnitIds: row.obligedUnitIds,
    receivingUnitId: row.receivingUnitId,
    selfSubmit: row.selfSubmit,
    active: row.active,
  };
}

/** Is this unit obliged to report under the regime? The receiving unit never reports to itself. */
export function isUnitObliged(regime: Pick<ReportingRegime, 'obligedUnitKinds' | 'obligedUnitIds' | 'receivingUnitId'>, unit: { id: number; kind: string }): boolean {
  if (unit.id === regime.receivingUnitId) return false;
  return regime.obligedUnitIds.includes(unit.id) || regime.obligedUnitKinds.includes(unit.kind);
}

export const REPORT_STATUSES = ['chua_nop', 'da_nop', 'nop_muon', 'tra_lai'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** DOMAIN.md §4.4: chưa nộp → đã nộp (or nộp muộn after the deadline) → trả lại (returned for rework). */
export const REPORT_STATUS_LABELS: Record<ReportStatus, string> = {
  chua_nop: 'Chưa nộp',
  da_nop: 'Đã nộp',
  nop_muon: 'Nộp muộn',
  tra_lai: 'Trả lại',
};

/** Still owed: never sent, or sent back for rework. */
export const OWED_REPORT_STATUSES: readonly ReportStatus[] = ['chua_nop', 'tra_lai'];

export function isReportOwed(status: ReportStatus): boolean {
  return OWED_REPORT_STATUSES.includes(status);
}
