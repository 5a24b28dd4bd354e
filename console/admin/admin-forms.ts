import { z, type ZodError } from 'zod';

/**
 * Field parsers shared by the admin forms. Every message is Vietnamese: the first failing field's message
 * is what the admin reads above the form.
 */

/** Empty form fields arrive as ''; they mean "not given". */
export const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** An HTML checkbox is present ("on") when ticked and absent otherwise. */
export const formCheckbox = z.preprocess((v) => v === 'on' || v === 'true' || v === '1' || v === true, z.boolean());

export function formId(message: string) {
  return z.preprocess(blank, z.coerce.number({ error: message }).int({ error: message }).positive({ error: message }));
}

export function optionalFormId(message: string) {
  return z.preprocess(blank, z.coerce.number({ error: message }).int({ error: message }).positive({ error: message }).optional());
}

export function formText(options: { required: string; max: number; tooLong: string }) {
  return z.preprocess(
    (v) => (v === undefined ? '' : v),
    z.string({ error: options.required }).trim().min(1, { error: options.required }).max(options.max, { error: options.tooLong }),
  );
}

export function optionalFormText(options: { max: number; tooLong: string }) {
  return z.preprocess(blank, z.string().trim().max(options.max, { error: options.tooLong }).optional());
}

/** A multi-select or a group of checkboxes: one value arrives as a string, several as an array. */
export function formList<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));
}

/** The admin-facing text of a failed parse: each distinct message once. */
export function describeFormError(error: ZodError): string {
  const messages = [...new Set(error.issues.map((i) => i.message))];
  return messages.join(' ');
}

export const ZRowIdParams = z.object({ id: z.coerce.number().int().positive() });
