import { z } from 'zod';
import { CASE_RATINGS } from './case-status.js';

const id = z.number().int().positive();
/**
 * Free text is only trimmed here: an empty reason is a domain refusal (missing_reason / missing_text)
 * with a Vietnamese message from transition(), not a schema error.
 */
const text = z.string().trim().max(10_000);
const coUnitIds = z.array(id).max(20).optional();

/** ruleId: set when a routing rule, not a dispatcher, made the assignment (kept in the event). */
export const ZAssignCommand = z.object({ type: z.literal('assign'), unitId: id, coUnitIds, ruleId: id.optional() });
/** Without handlerId the unit's assignment strategy picks one (round robin / least open). */
export const ZAcceptCommand = z.object({ type: z.literal('accept'), handlerId: id.optional() });
export const ZAssignHandlerCommand = z.object({ type: z.literal('assign_handler'), handlerId: id });
export const ZReturnCommand = z.object({ type: z.literal('return'), reason: text });
/** reason is checked against REFUSAL_REASONS in transition(), so a wrong code gets its own message. */
export const ZRefuseCommand = z.object({ type: z.literal('refuse'), reason: z.string().trim().max(64), note: text.optional() });
export const ZMergeCommand = z.object({ type: z.literal('merge'), intoCaseId: id });
/** A dispatcher corrects the category at triage (the citizen's pick, or the classifier's suggestion). */
export const ZRecategoriseCommand = z.object({ type: z.literal('recategorise'), categoryId: id });
export const ZTransferCommand = z.object({ type: z.literal('transfer'), unitId: id, reason: text, coUnitIds });
export const ZRequestInfoCommand = z.object({ type: z.literal('request_info'), question: text });
export const ZProvideInfoCommand = z.object({ type: z.literal('provide_info'), text });
export const ZDraftAnswerCommand = z.object({
  type: z.literal('draft_answer'),
  text,
  /** The canned template the draft started from, kept in the event for statistics. */
  templateName: z.string().max(100).optional(),
});
/** text, when given, replaces the draft: the leader may polish the wording while approving. */
export const ZApproveCommand = z.object({ type: z.literal('approve'), text: text.optional() });
export const ZSendBackCommand = z.object({ type: z.literal('send_back'), comment: text });
export const ZRateCommand = z.object({ type: z.literal('rate'), rating: z.enum(CASE_RATINGS) });
/** afterDays: calendar days after the answer without a rating (config, default 7). */
export const ZAutoCloseCommand = z.object({ type: z.literal('auto_close'), afterDays: z.number().int().min(1).max(365) });
export const ZRequestExtensionCommand = z.object({
  type: z.literal('request_extension'),
  reason: text,
  extraWorkingDays: z.number().int().min(1).max(60),
});
/** Exactly one of extraWorkingDays / newDueAt; transition() checks it. */
export const ZGrantExtensionCommand = z.object({
  type: z.literal('grant_extension'),
  reason: text,
  extraWorkingDays: z.number().int().min(1).max(60).optional(),
  newDueAt: z.coerce.date().optional(),
});
export const ZAddNoteCommand = z.object({ type: z.literal('add_note'), text });
/** Texts given here are still masked; without them the case's description and answer are masked and used. */
export const ZPublishCommand = z.object({
  type: z.literal('publish'),
  title: z.string().trim().max(300).optional(),
  question: text.optional(),
  answer: text.optional(),
});

export const ZCaseCommand = z.discriminatedUnion('type', [
  ZAssignCommand,
  ZAcceptCommand,
  ZAssignHandlerCommand,
  ZReturnCommand,
  ZRefuseCommand,
  ZMergeCommand,
  ZRecategoriseCommand,
  ZTransferCommand,
  ZRequestInfoCommand,
  ZProvideInfoCommand,
  ZDraftAnswerCommand,
  ZApproveCommand,
  ZSendBackCommand,
  ZRateCommand,
  ZAutoCloseCommand,
  ZRequestExtensionCommand,
  ZGrantExtensionCommand,
  ZAddNoteCommand,
  ZPublishCommand,
]);
export type TCaseCommand = z.infer<typeof ZCaseCommand>;
export type CaseCommand = TCaseCommand;
export type CaseCommandType = CaseCommand['type'];
export type CaseCommandOf<T extends CaseCommandType> = Extract<CaseCommand, { type: T }>;

export const CASE_COMMAND_TYPES: readonly CaseCommandType[] = ZCaseCommand.options.map((o) => o.shape.type.value);
