import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { formatVnDate } from '../calendar/working-calendar.js';
import type { CaseState } from './case-state.js';

/** templates/answers of this repository; the composition root may point elsewhere (tests, an operator's copy). */
export const DEFAULT_ANSWER_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/answers', import.meta.url));

/** Names are file names without `.hbs`; the pattern also keeps "../" out of the path. */
const TEMPLATE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The case fields every canned answer quotes; templates may use further optional fields (plannedDate…). */
export const ZAnswerTemplateData = z
  .object({
    caseCode: z.string().min(1),
    receivedDate: z.string().min(1),
    description: z.string().min(1),
    unitName: z.string().min(1),
  })
  .catchall(z.unknown());
export type AnswerTemplateData = z.infer<typeof ZAnswerTemplateData>;

export interface AnswerTemplateInfo {
  name: string;
  /** From the template's first line, `{{!-- Title --}}`: what the console shows in its picker. */
  title: string;
}

export interface AnswerTemplateOptions {
  templatesDir: string;
  /**
   * The admin's edited texts by template name (`answers/<name>`, as the console's template editor saves
   * them): an edited answer replaces the file's text, for the picker's title too.
   */
  overrides?: Readonly<Record<string, string>>;
}

/** The key under which the template editor stores an edited canned answer. */
export function answerTemplateOverrideKey(name: string): string {
  return `answers/${name}`;
}

export class AnswerTemplateNotFoundError extends Error {
  constructor(readonly templateName: string) {
    super(`Answer template not found: ${templateName}`);
    this.name = 'AnswerTemplateNotFoundError';
  }
}

// An isolated instance: helpers registered elsewhere must not change how answers render.
const hbs = Handlebars.create();

/**
 * Fills a canned answer with the case's fields. The answer is plain text for Zalo and e-mail bodies, so
 * nothing is HTML-escaped (a quote in the citizen's description stays a quote); the e-mail template that
 * embeds it in HTML escapes it there. The result is the handler's starting draft, edited before sending.
 */
export async function renderAnswerTemplate(name: string, data: AnswerTemplateData, options: AnswerTemplateOptions): Promise<string> {
  const source = await readTemplate(name, options);
  const template = hbs.compile(source, { noEscape: true });
  return tidyAnswer(template(ZAnswerTemplateData.parse(data)));
}

export async function listAnswerTemplates(options: AnswerTemplateOptions): Promise<AnswerTemplateInfo[]> {
  const files = (await readdir(options.templatesDir)).filter((f) => f.endsWith('.hbs')).sort();
  return Promise.all(
    files.map(async (file) => {
      const name = file.slice(0, -'.hbs'.length);
      const source = options.overrides?.[answerTemplateOverrideKey(name)] ?? (await readFile(join(options.templatesDir, file), 'utf8'));
      const title = /^\s*\{\{!--\s*(.*?)\s*--\}\}/.exec(source)?.[1] ?? name;
      return { name, title };
    }),
  );
}

/** The standard fields from a case and its responsible unit's name, plus any template-specific extras. */
export function buildAnswerTemplateData(
  c: Pick<CaseState, 'code' | 'receivedAt' | 'description'>,
  unitName: string,
  extra: Record<string, unknown> = {},
): AnswerTemplateData {
  return { ...extra, caseCode: c.code, receivedDate: formatVnDate(c.receivedAt), description: c.description.trim(), unitName };
}

async function readTemplate(name: string, options: AnswerTemplateOptions): Promise<string> {
  if (!TEMPLATE_NAME.test(name)) throw new AnswerTemplateNotFoundError(name);
  try {
    // The file must exist even when edited: only the built-in answers can be edited, never added.
    const builtIn = await readFile(join(options.templatesDir, `${name}.hbs`), 'utf8');
    return options.overrides?.[answerTemplateOverrideKey(name)] ?? builtIn;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AnswerTemplateNotFoundError(name);
    throw error;
  }
}

/** The title comment leaves a blank first line; templates end with a newline. */
function tidyAnswer(text: string): string {
  return text.replace(/\n{3,}/g, '\n\n').trim();
}
