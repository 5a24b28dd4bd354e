import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { Db } from './db.js';
import type { Logger } from './logger.js';
import { listTemplateOverrides, readTemplateOverridesVersion } from './template-overrides.repo.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates', import.meta.url));

/**
 * How long a process trusts the overrides it loaded before asking the database again. An admin's edit reaches
 * the process that saved it at once (it reloads) and every other process (web and worker may be separate)
 * within this time.
 */
export const TEMPLATE_OVERRIDES_MAX_AGE_MS = 5_000;

/** Helpers every template may use; dates are formatted by the caller so templates stay logic-free. */
const CUSTOM_HELPERS: Record<string, Handlebars.HelperDelegate> = {
  eq: (a: unknown, b: unknown) => a === b,
  inc: (n: unknown) => Number(n) + 1,
};
const BUILT_IN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log'];
const KNOWN_HELPERS = new Set([...BUILT_IN_HELPERS, ...Object.keys(CUSTOM_HELPERS)]);

function createHandlebars(): typeof Handlebars {
  const hbs = Handlebars.create();
  for (const [name, helper] of Object.entries(CUSTOM_HELPERS)) hbs.registerHelper(name, helper);
  return hbs;
}

// ───────────────────────────── checking a text before it is used ─────────────────────────────

export type TemplateProblemCode = 'syntax' | 'unknown_helper' | 'partial' | 'email_subject';

export interface TemplateProblem {
  code: TemplateProblemCode;
  /** The parser's message, or the helper's name. */
  detail: string;
}

/** What the admin reads when a text is refused. */
export const TEMPLATE_PROBLEM_MESSAGES: Record<TemplateProblemCode, (detail: string) => string> = {
  syntax: (detail) => `Mẫu có lỗi cú pháp Handlebars (${detail}).`,
  unknown_helper: (name) =>
    `Mẫu dùng hàm "${name}" không có trong hệ thống. Chỉ dùng được: ${[...KNOWN_HELPERS].join(', ')}.`,
  partial: () => 'Mẫu không được nhúng mẫu khác ({{> …}}); vui lòng viết trực tiếp nội dung.',
  email_subject: () => 'Mẫu thư điện tử phải bắt đầu bằng dòng "Subject: …" (tiêu đề thư).',
};

export function describeTemplateProblem(problem: TemplateProblem): string {
  return TEMPLATE_PROBLEM_MESSAGES[problem.code](problem.detail);
}

type HbsNode = { type: string; [key: string]: unknown };

function isNode(value: unknown): value is HbsNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** The first helper call or partial the renderer could not run, walking the whole parsed template. */
function findUnsupported(node: unknown): TemplateProblem | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = findUnsupported(child);
      if (found) return found;
    }
    return undefined;
  }
  if (!isNode(node)) return undefined;
  switch (node.type) {
    case 'PartialStatement':
    case 'PartialBlockStatement':
    case 'Decorator':
    case 'DecoratorBlock':
      return { code: 'partial', detail: '' };
    case 'MustacheStatement':
    case 'BlockStatement':
    case 'SubExpression': {
      const params = Array.isArray(node.params) ? node.params : [];
      const path = node.path as HbsNode | undefined;
      // With arguments the name is a helper call; without, `{{name}}`/`{{#name}}` reads data.
      if ((params.length > 0 || node.hash) && path?.type === 'PathExpression') {
        const name = String(path.original);
        if (!KNOWN_HELPERS.has(name)) return { code: 'unknown_helper', detail: name };
      }
      return findUnsupported([node.path, params, (node.hash as HbsNode | undefined)?.pairs, node.program, node.inverse]);
    }
    case 'Program':
      return findUnsupported(node.body);
    case 'HashPair':
      return findUnsupported(node.value);
    default:
      return undefined;
  }
}

/**
 * Whether a text can replace template `name`: it parses, calls only helpers this renderer has, embeds no
 * partials, and an e-mail keeps its subject line. Running it on sample data (the console's preview) catches the
 * rest, such as `{{#each}}` without a list.
 */
export function checkTemplateSource(name: string, body: string): TemplateProblem | undefined {
  let ast: unknown;
  try {
    ast = Handlebars.parse(body);
  } catch (err) {
    return { code: 'syntax', detail: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '' };
  }
  const unsupported = findUnsupported(ast);
  if (unsupported) return unsupported;
  if (name.startsWith('email/') && !name.endsWith('.html') && !/^\s*Subject:/i.test(body)) return { code: 'email_subject', detail: '' };
  return undefined;
}

// ───────────────────────────── the renderer ─────────────────────────────

export interface TemplateRenderer {
  /** Renders `name` (path under templates/ without `.hbs`, e.g. `zalo/case-received`). */
  render(name: string, data: Record<string, unknown>): string;
  has(name: string): boolean;
  list(): string[];
  /** The file text, or the admin's override of it. */
  source(name: string): string;
  /** Admin edits stored in the database take precedence over the files; a text that would not render is ignored. */
  setOverrides(overrides: Record<string, string>): void;
  /** Compiles text without storing it: the admin's live preview, and validation before saving. */
  preview(body: string, data: Record<string, unknown>): string;
  /**
   * Brings the admin's overrides up to date before rendering: asks the database whether they changed at most once
   * per max age (always with `force`). Never throws: on a database error the texts loaded before stay in use. A
   * renderer without an override source has nothing to refresh.
   */
  refresh(options?: { force?: boolean }): Promise<void>;
}

/** Where a renderer reads the admin's overrides from; `version` changes whenever any of them does. */
export interface TemplateOverrideSource {
  version(): Promise<string>;
  load(): Promise<Record<string, string>>;
}

export interface TemplateRendererOptions {
  dir?: string;
  overrides?: TemplateOverrideSource;
  maxAgeMs?: number;
  logger?: Pick<Logger, 'warn'>;
  /** Monotonic milliseconds for the age of the loaded overrides (not the domain clock: a fake clock may stand still). */
  monotonicNow?: () => number;
}

function listTemplateFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const full = join(d, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.hbs')) out.push(relative(dir, full).replace(/\\/g, '/').replace(/\.hbs$/, ''));
    }
  };
  walk(dir);
  return out.sort();
}

export function createTemplateRenderer(dirOrOptions: string | TemplateRendererOptions = {}): TemplateRenderer {
  const options: TemplateRendererOptions = typeof dirOrOptions === 'string' ? { dir: dirOrOptions } : dirOrOptions;
  const dir = options.dir ?? TEMPLATES_DIR;
  const maxAgeMs = options.maxAgeMs ?? TEMPLATE_OVERRIDES_MAX_AGE_MS;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const logger = options.logger;
  const hbs = createHandlebars();
  const compiledFiles = new Map<string, HandlebarsTemplateDelegate>();
  const compiledOverrides = new Map<string, HandlebarsTemplateDelegate>();
  let overrides: Record<string, string> = {};
  const names = () => new Set([...listTemplateFiles(dir), ...Object.keys(overrides)]);

  const readFile = (name: string): string => {
    const file = join(dir, `${name}.hbs`);
    if (!existsSync(file)) throw new Error(`template not found: ${name}`);
    return readFileSync(file, 'utf8');
  };

  // Not strict: optional fields ({{#if reason}}) are normal in notifications, and a message must not fail to
  // reach a citizen because one was absent. Tests render every template with its real data. Zalo messages and
  // the text part of e-mails are plain text: HTML-escaping them would show a citizen `&quot;` for a quote in
  // their own words or in the official answer. Only `.html` templates escape.
  const compile = (name: string, body: string) => hbs.compile(body, { noEscape: !name.endsWith('.html') });

  const renderFile = (name: string, data: Record<string, unknown>): string => {
    let template = compiledFiles.get(name);
    if (!template) {
      template = compile(name, readFile(name));
      compiledFiles.set(name, template);
    }
    return template(data).trim();
  };

  function setOverrides(next: Record<string, string>): void {
    const accepted: Record<string, string> = {};
    for (const [name, body] of Object.entries(next)) {
      const problem = checkTemplateSource(name, body);
      if (problem) logger?.warn({ template: name, problem: problem.code, detail: problem.detail }, 'template override ignored: it would not render');
      else accepted[name] = body;
    }
    overrides = accepted;
    compiledOverrides.clear();
  }

  let checkedAt: number | undefined;
  let loadedVersion: string | undefined;
  let inFlight: Promise<void> | undefined;

  async function reload(source: TemplateOverrideSource): Promise<void> {
    try {
      const version = await source.version();
      if (version !== loadedVersion) {
        const files = new Set(listTemplateFiles(dir));
        // An override only ever replaces a file: a row for a removed file is not a new template.
        const loaded = Object.entries(await source.load()).filter(([name]) => files.has(name));
        setOverrides(Object.fromEntries(loaded));
        // Read after the version: if an edit landed in between, the next check sees a new version and loads again.
        loadedVersion = version;
      }
    } catch (err) {
      logger?.warn({ err }, 'could not check the template overrides; the texts loaded before stay in use');
    } finally {
      // After a failure too: a database that is down is asked again after the max age, not for every message.
      checkedAt = monotonicNow();
    }
  }

  return {
    render(name, data) {
      const override = overrides[name];
      if (override !== undefined) {
        try {
          let template = compiledOverrides.get(name);
          if (!template) {
            template = compile(name, override);
            compiledOverrides.set(name, template);
          }
          return template(data).trim();
        } catch (err) {
          // An edited text must never stop a message: the file's text goes out instead.
          logger?.warn({ template: name, err }, 'template override failed to render; the file text is used');
        }
      }
      return renderFile(name, data);
    },
    has: (name) => names().has(name),
    list: () => [...names()].sort(),
    source: (name) => overrides[name] ?? readFile(name),
    setOverrides,
    preview: (body, data) => hbs.compile(body, { strict: false })(data).trim(),
    async refresh({ force = false } = {}) {
      const source = options.overrides;
      if (!source) return;
      if (!force && checkedAt !== undefined && monotonicNow() - checkedAt < maxAgeMs) return;
      // One query at a time per process, however many messages are being rendered concurrently; a forced
      // refresh waits for the running one and then checks again, so it sees an edit committed before it.
      while (inFlight) await inFlight;
      if (!force && checkedAt !== undefined && monotonicNow() - checkedAt < maxAgeMs) return;
      inFlight = reload(source).finally(() => {
        inFlight = undefined;
      });
      await inFlight;
    },
  };
}

/** The overrides of template_overrides in this database. */
export function createDbTemplateOverrideSource(db: Db): TemplateOverrideSource {
  return { version: () => readTemplateOverridesVersion(db), load: () => listTemplateOverrides(db) };
}

const sharedRenderers = new WeakMap<Db, TemplateRenderer>();

/**
 * The one renderer of a process for a database: the bot, the notification router, the mailer and the console's
 * template admin share it, so an edit saved in this process is in force for the next message (the admin route
 * forces a refresh), and one made in another process within TEMPLATE_OVERRIDES_MAX_AGE_MS.
 */
export function sharedTemplateRenderer(db: Db, logger?: Pick<Logger, 'warn'>): TemplateRenderer {
  let renderer = sharedRenderers.get(db);
  if (!renderer) {
    renderer = createTemplateRenderer({ overrides: createDbTemplateOverrideSource(db), logger });
    sharedRenderers.set(db, renderer);
  }
  return renderer;
}
