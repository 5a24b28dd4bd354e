import { z } from 'zod';
import type { CaseCommand } from '../../workflows/cases/case-commands.js';
import { CASE_RATINGS } from '../../workflows/cases/case-status.js';
import { CONSOLE_COMMAND_TYPES, type ConsoleCommandType } from './case-labels.js';

/**
 * The case page's forms, parsed into the workflows' commands. Only the shape is checked here (numbers are
 * numbers, a rating is a rating); whether a reason may be empty or a refusal code is on the closed list is
 * transition()'s decision, which answers with its own Vietnamese message.
 */

const blank = (v: unknown) => (v === '' ? undefined : v);
const formId = z.preprocess(blank, z.coerce.number().int().positive());
const optionalFormId = z.preprocess(blank, z.coerce.number().int().positive().optional());
/** A missing textarea is an empty one: the domain's "missing_text" message is the better answer. */
const formText = z.preprocess((v) => (v === undefined ? '' : v), z.string().max(10_000));
const optionalFormText = z.preprocess(blank, z.string().trim().max(10_000).optional());
const workingDays = z.preprocess(blank, z.coerce.number().int().min(1).max(60));
const optionalWorkingDays = z.preprocess(blank, z.coerce.number().int().min(1).max(60).optional());
const optionalDay = z.preprocess(blank, z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional());
/**
 * Ticked checkboxes: absent when none, a string for one, an array for several (empty values dropped). The
 * workflows cap co-handling units at 20 and refuse unknown or inactive ones with their own message.
 */
const coUnitIdsField = z.preprocess(
  (v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x) => x !== '')),
  z.array(z.coerce.number().int().positive()).max(20),
);

export const ZCommandPath = z.object({
  id: z.coerce.number().int().positive(),
  type: z.enum(CONSOLE_COMMAND_TYPES),
});

/** Every command form carries the version the official saw (optimistic lock). */
export const ZVersionField = z.object({ version: z.preprocess(blank, z.coerce.number().int().positive()) });

/** Merge is typed by case code; the route resolves it to an id before calling the workflows. */
export interface MergeByCode {
  type: 'merge_by_code';
  intoCaseCode: string;
}

/**
 * An extension to a day picked on the form (YYYY-MM-DD, Hà Nội); the route turns it into the end of that
 * working day with the calendar. Days given as well are passed on, so the workflows refuse the ambiguity.
 */
export interface GrantExtensionByDate {
  type: 'grant_extension_by_date';
  reason: string;
  newDueDay: string;
  extraWorkingDays?: number;
}

export type ParsedCommandForm = CaseCommand | MergeByCode | GrantExtensionByDate;

export const COMMAND_FORMS: Record<ConsoleCommandType, z.ZodType<ParsedCommandForm>> = {
  assign: z
    .object({ unitId: formId, coUnitIds: coUnitIdsField })
    .transform((f): CaseCommand => ({ type: 'assign', unitId: f.unitId, coUnitIds: f.coUnitIds })),
  accept: z
    .object({ handlerId: optionalFormId })
    .transform((f): CaseCommand => ({ type: 'accept', ...(f.handlerId !== undefined ? { handlerId: f.handlerId } : {}) })),
  assign_handler: z.object({ handlerId: formId }).transform((f): CaseCommand => ({ type: 'assign_handler', handlerId: f.handlerId })),
  return: z.object({ reason: formText }).transform((f): CaseCommand => ({ type: 'return', reason: f.reason })),
  refuse: z
    .object({ reason: z.preprocess((v) => v ?? '', z.string().max(64)), note: optionalFormText })
    .transform((f): CaseCommand => ({ type: 'refuse', reason: f.reason, ...(f.note ? { note: f.note } : {}) })),
  merge: z
    .object({ intoCaseCode: z.string().trim().min(1).max(40) })
    .transform((f): MergeByCode => ({ type: 'merge_by_code', intoCaseCode: f.intoCaseCode })),
  recategorise: z.object({ categoryId: formId }).transform((f): CaseCommand => ({ type: 'recategorise', categoryId: f.categoryId })),
  transfer: z
    .object({ unitId: formId, reason: formText, coUnitIds: coUnitIdsField })
    .transform((f): CaseCommand => ({ type: 'transfer', unitId: f.unitId, reason: f.reason, coUnitIds: f.coUnitIds })),
  request_info: z.object({ question: formText }).transform((f): CaseCommand => ({ type: 'request_info', question: f.question })),
  provide_info: z.object({ text: formText }).transform((f): CaseCommand => ({ type: 'provide_info', text: f.text })),
  draft_answer: z
    .object({ text: formText, templateName: z.preprocess(blank, z.string().max(100).optional()) })
    .transform((f): CaseCommand => ({ type: 'draft_answer', text: f.text, ...(f.templateName ? { templateName: f.templateName } : {}) })),
  approve: z.object({ text: optionalFormText }).transform((f): CaseCommand => ({ type: 'approve', ...(f.text ? { text: f.text } : {}) })),
  send_back: z.object({ comment: formText }).transform((f): CaseCommand => ({ type: 'send_back', comment: f.comment })),
  rate: z.object({ rating: z.enum(CASE_RATINGS) }).transform((f): CaseCommand => ({ type: 'rate', rating: f.rating })),
  request_extension: z
    .object({ reason: formText, extraWorkingDays: workingDays })
    .transform((f): CaseCommand => ({ type: 'request_extension', reason: f.reason, extraWorkingDays: f.extraWorkingDays })),
  grant_extension: z
    .object({ reason: formText, extraWorkingDays: optionalWorkingDays, newDueDay: optionalDay })
    .transform((f): CaseCommand | GrantExtensionByDate => {
      const days = f.extraWorkingDays !== undefined ? { extraWorkingDays: f.extraWorkingDays } : {};
      if (f.newDueDay !== undefined) return { type: 'grant_extension_by_date', reason: f.reason, newDueDay: f.newDueDay, ...days };
      return { type: 'grant_extension', reason: f.reason, ...days };
    }),
  add_note: z.object({ text: formText }).transform((f): CaseCommand => ({ type: 'add_note', text: f.text })),
  publish: z
    .object({ title: optionalFormText })
    .transform((f): CaseCommand => ({ type: 'publish', ...(f.title ? { title: f.title } : {}) })),
};

export function parseCommandForm(type: ConsoleCommandType, body: unknown): ParsedCommandForm | null {
  const parsed = COMMAND_FORMS[type].safeParse(body ?? {});
  return parsed.success ? parsed.data : null;
}
