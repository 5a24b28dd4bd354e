import { z } from 'zod';
import { unitKind } from '../../../db/schema.js';
import {
  REPORT_FREQUENCIES,
  REPORT_FREQUENCY_LABELS,
  ZCutoffRule,
  ZDeadlineRule,
  type RegimeRow,
  type TCutoffRule,
  type TDeadlineRule,
} from '../../../workflows/reports/reporting-regime.js';
import { CUTOFF_TYPE_LABELS, DEADLINE_TYPE_LABELS, describeMonthOffset } from '../../reports/report-labels.js';
import type { UnitOption } from '../../reference-data.repo.js';
import { UNIT_KIND_LABELS } from '../units/units.routes.js';
import { blank, formCheckbox, formId, formList, formText } from '../admin-forms.js';
import type { RegimeValues } from './reporting-regimes.repo.js';

/**
 * The regime form: what the admin typed (a draft of strings, so a refused form comes back exactly as sent),
 * how it is parsed into the row's values, and the options the view shows. The JSON rules are built here and
 * then parsed by the workflows' own schemas (ZCutoffRule, ZDeadlineRule): the form cannot store a rule the
 * scheduler would not read.
 */

const UNIT_KINDS = unitKind.enumValues;
const CUTOFF_TYPES = ['nd09_2019', 'calendar'] as const satisfies ReadonlyArray<TCutoffRule['type']>;
const DEADLINE_TYPES = ['working_days_after_cutoff', 'calendar_days_after_cutoff', 'fixed_day_of_month'] as const satisfies ReadonlyArray<TDeadlineRule['type']>;
/** A deadline in the month the data window closes or up to three months after it; earlier is before the cut-off. */
const MONTH_OFFSETS = [0, 1, 2, 3] as const;

const CODE_MESSAGE = 'Mã chế độ báo cáo gồm 2–64 ký tự: chữ thường không dấu, số và dấu gạch ngang (ví dụ ktxh-thang).';

export const ZRegimeCode = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
  z.string({ error: CODE_MESSAGE }).regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: CODE_MESSAGE }).min(2, { error: CODE_MESSAGE }).max(64, { error: CODE_MESSAGE }),
);

/** A whole number typed into a field, or undefined when blank or not a whole number in range. */
function readInt(value: unknown, min: number, max: number): number | undefined {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  if (!/^-?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

const DEADLINE_MESSAGES = {
  working_days_after_cutoff: 'Số ngày làm việc sau ngày chốt số liệu phải là số nguyên từ 0 đến 60.',
  calendar_days_after_cutoff: 'Số ngày sau ngày chốt số liệu phải là số nguyên từ 0 đến 90.',
  fixedDay: 'Ngày gửi báo cáo trong tháng phải là số nguyên từ 1 đến 31.',
  monthOffset: 'Tháng gửi báo cáo không hợp lệ.',
} as const;

export const ZRegimeForm = z
  .object({
    name: formText({ required: 'Vui lòng nhập tên báo cáo.', max: 300, tooLong: 'Tên báo cáo quá dài (tối đa 300 ký tự).' }),
    legalBasis: formText({
      required: 'Vui lòng ghi căn cứ pháp lý (văn bản quy định chế độ báo cáo).',
      max: 2000,
      tooLong: 'Căn cứ pháp lý quá dài (tối đa 2.000 ký tự).',
    }),
    frequency: z.enum(REPORT_FREQUENCIES, { error: 'Vui lòng chọn tần suất báo cáo.' }),
    cutoffType: z.enum(CUTOFF_TYPES, { error: 'Vui lòng chọn cách chốt số liệu.' }),
    includeSecondHalf: formCheckbox,
    deadlineType: z.enum(DEADLINE_TYPES, { error: 'Vui lòng chọn cách tính hạn gửi báo cáo.' }),
    obligedUnitKinds: formList(z.enum(UNIT_KINDS, { error: 'Loại đơn vị phải nộp không hợp lệ.' })),
    obligedUnitIds: formList(z.coerce.number({ error: 'Đơn vị phải nộp không hợp lệ.' }).int({ error: 'Đơn vị phải nộp không hợp lệ.' }).positive({ error: 'Đơn vị phải nộp không hợp lệ.' })),
    receivingUnitId: formId('Vui lòng chọn đơn vị nhận báo cáo.'),
    selfSubmit: formCheckbox,
  });
export type TRegimeForm = z.infer<typeof ZRegimeForm>;

export type ParsedRegimeForm = { ok: true; values: RegimeValues } | { ok: false; error: string };

const NOBODY_OBLIGED = 'Vui lòng chọn loại đơn vị hoặc đơn vị phải nộp báo cáo.';

/**
 * The deadline rule from the fields of the chosen type only: the fields of the other types may hold anything
 * the browser kept and must not refuse the form. Read apart from ZRegimeForm so that its messages come
 * together with the other fields' (zod runs an object's refinements only once its fields parsed).
 */
function readDeadlineRule(b: Record<string, unknown>): { rule: Record<string, unknown> | null; errors: string[] } {
  const type = z.enum(DEADLINE_TYPES).safeParse(b.deadlineType);
  if (!type.success) return { rule: null, errors: [] };
  if (type.data === 'fixed_day_of_month') {
    const day = readInt(b.fixedDay, 1, 31);
    const monthOffset = blank(b.monthOffset) === undefined ? 0 : readInt(b.monthOffset, 0, 12);
    const errors: string[] = [];
    if (day === undefined) errors.push(DEADLINE_MESSAGES.fixedDay);
    if (monthOffset === undefined) errors.push(DEADLINE_MESSAGES.monthOffset);
    return { rule: errors.length === 0 ? { type: type.data, day, monthOffset } : null, errors };
  }
  const days = readInt(b.deadlineDays, 0, type.data === 'working_days_after_cutoff' ? 60 : 90);
  return days === undefined ? { rule: null, errors: [DEADLINE_MESSAGES[type.data]] } : { rule: { type: type.data, days }, errors: [] };
}

/** Parses the posted form into the row's values; every problem comes back in one Vietnamese message. */
export function parseRegimeForm(body: unknown): ParsedRegimeForm {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const form = ZRegimeForm.safeParse(b);
  const deadlineFields = readDeadlineRule(b);
  const nobody = list(b.obligedUnitKinds).filter((v) => v !== '').length === 0 && list(b.obligedUnitIds).filter((v) => v !== '').length === 0;
  const messages = [
    ...(form.success ? [] : form.error.issues.map((i) => i.message)),
    ...deadlineFields.errors,
    ...(nobody ? [NOBODY_OBLIGED] : []),
  ];
  if (!form.success || deadlineFields.rule === null || nobody) return { ok: false, error: [...new Set(messages)].join(' ') };
  const f = form.data;
  // The second half-year only exists for six-month regimes; elsewhere the box is ignored, not stored.
  const cutoff = ZCutoffRule.safeParse({ type: f.cutoffType, ...(f.frequency === 'six_month' && f.includeSecondHalf ? { includeSecondHalf: true } : {}) });
  const deadline = ZDeadlineRule.safeParse(deadlineFields.rule);
  if (!cutoff.success) return { ok: false, error: 'Cách chốt số liệu không hợp lệ.' };
  if (!deadline.success) return { ok: false, error: 'Hạn gửi báo cáo không hợp lệ.' };
  return {
    ok: true,
    values: {
      name: f.name,
      legalBasis: f.legalBasis,
      frequency: f.frequency,
      cutoffRule: cutoff.data,
      deadlineRule: deadline.data,
      obligedUnitKinds: [...new Set(f.obligedUnitKinds)],
      obligedUnitIds: [...new Set(f.obligedUnitIds)].sort((x, y) => x - y),
      receivingUnitId: f.receivingUnitId,
      selfSubmit: f.selfSubmit,
    },
  };
}

/** What the form shows: strings as typed, so nothing the admin wrote is lost when the form is refused. */
export interface RegimeDraft {
  code: string;
  name: string;
  legalBasis: string;
  frequency: string;
  cutoffType: string;
  includeSecondHalf: boolean;
  deadlineType: string;
  deadlineDays: string;
  fixedDay: string;
  monthOffset: string;
  obligedUnitKinds: string[];
  obligedUnitIds: string[];
  receivingUnitId: string;
  selfSubmit: boolean;
}

/** Product defaults for a new regime: ND 09/2019 cut-off, 02 working days after it (DOMAIN.md §4.1). */
export const NEW_REGIME_DRAFT: RegimeDraft = {
  code: '',
  name: '',
  legalBasis: '',
  frequency: 'monthly',
  cutoffType: 'nd09_2019',
  includeSecondHalf: false,
  deadlineType: 'working_days_after_cutoff',
  deadlineDays: '2',
  fixedDay: '20',
  monthOffset: '0',
  obligedUnitKinds: [],
  obligedUnitIds: [],
  receivingUnitId: '',
  selfSubmit: true,
};

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : v === undefined || v === '' ? [] : [str(v)]);
const ticked = (v: unknown): boolean => v === 'on' || v === 'true' || v === '1' || v === true;

export function draftFromBody(body: unknown): RegimeDraft {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return {
    code: str(b.code),
    name: str(b.name),
    legalBasis: str(b.legalBasis),
    frequency: str(b.frequency),
    cutoffType: str(b.cutoffType),
    includeSecondHalf: ticked(b.includeSecondHalf),
    deadlineType: str(b.deadlineType),
    deadlineDays: str(b.deadlineDays),
    fixedDay: str(b.fixedDay),
    monthOffset: str(b.monthOffset),
    obligedUnitKinds: list(b.obligedUnitKinds),
    obligedUnitIds: list(b.obligedUnitIds),
    receivingUnitId: str(b.receivingUnitId),
    selfSubmit: ticked(b.selfSubmit),
  };
}

/**
 * A stored row as a draft. The JSON rules are read leniently: a row an operator broke by hand still opens in
 * the form (with the defaults where it cannot be read), so it can be repaired here.
 */
export function draftFromRow(row: RegimeRow): RegimeDraft {
  const cutoff = ZCutoffRule.safeParse(row.cutoffRule);
  const deadline = ZDeadlineRule.safeParse(row.deadlineRule);
  const d = deadline.success ? deadline.data : undefined;
  return {
    code: row.code,
    name: row.name,
    legalBasis: row.legalBasis,
    frequency: row.frequency,
    cutoffType: cutoff.success ? cutoff.data.type : NEW_REGIME_DRAFT.cutoffType,
    includeSecondHalf: cutoff.success ? Boolean(cutoff.data.includeSecondHalf) : false,
    deadlineType: d?.type ?? NEW_REGIME_DRAFT.deadlineType,
    deadlineDays: d && d.type !== 'fixed_day_of_month' ? String(d.days) : NEW_REGIME_DRAFT.deadlineDays,
    fixedDay: d?.type === 'fixed_day_of_month' ? String(d.day) : NEW_REGIME_DRAFT.fixedDay,
    monthOffset: d?.type === 'fixed_day_of_month' ? String(d.monthOffset) : NEW_REGIME_DRAFT.monthOffset,
    obligedUnitKinds: row.obligedUnitKinds,
    obligedUnitIds: row.obligedUnitIds.map(String),
    receivingUnitId: String(row.receivingUnitId),
    selfSubmit: row.selfSubmit,
  };
}

/** The view model of partials/regime-fields.hbs. */
export function describeRegimeForm(draft: RegimeDraft, units: readonly UnitOption[]) {
  const activeUnits = units.filter((u) => u.active);
  const chosenUnits = new Set(draft.obligedUnitIds);
  const chosenKinds = new Set(draft.obligedUnitKinds);
  const monthOffsets: number[] = [...MONTH_OFFSETS];
  // A stored offset outside the usual choices (set before this form existed) stays selectable.
  const storedOffset = Number(draft.monthOffset);
  if (Number.isInteger(storedOffset) && !monthOffsets.includes(storedOffset)) monthOffsets.push(storedOffset);
  return {
    ...draft,
    frequencyOptions: REPORT_FREQUENCIES.map((f) => ({ value: f, label: REPORT_FREQUENCY_LABELS[f], selected: f === draft.frequency })),
    cutoffOptions: CUTOFF_TYPES.map((c) => ({ value: c, label: CUTOFF_TYPE_LABELS[c], checked: c === draft.cutoffType })),
    deadlineOptions: DEADLINE_TYPES.map((t) => ({ value: t, label: DEADLINE_TYPE_LABELS[t], checked: t === draft.deadlineType })),
    monthOffsetOptions: monthOffsets.map((m) => ({ value: m, label: describeMonthOffset(m), selected: String(m) === draft.monthOffset })),
    kindOptions: UNIT_KINDS.filter((k) => k !== 'city').map((k) => ({ value: k, label: UNIT_KIND_LABELS[k].toLowerCase(), checked: chosenKinds.has(k) })),
    unitOptions: activeUnits.filter((u) => u.kind !== 'city').map((u) => ({ value: u.id, label: u.name, selected: chosenUnits.has(String(u.id)) })),
    receivingUnitOptions: activeUnits.map((u) => ({ value: u.id, label: u.name, selected: String(u.id) === draft.receivingUnitId })),
  };
}
