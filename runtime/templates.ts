import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates', import.meta.url));

/** Helpers every template may use; dates are formatted by the caller so templates stay logic-free. */
function createHandlebars(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('inc', (n: unknown) => Number(n) + 1);
  return hbs;
}

export interface TemplateRenderer {
  /** Renders `name` (path under templates/ without `.hbs`, e.g. `zalo/case-received`). */
  render(name: string, data: Record<string, unknown>): string;
  has(name: string): boolean;
  list(): string[];
  /** The file text, or the admin's override of it. */
  source(name: string): string;
  /** Admin edits stored in the database take precedence over the files. */
  setOverrides(overrides: Record<string, string>): void;
  /** Compiles text without storing it: the admin's live preview, and validation before saving. */
  preview(body: string, data: Record<string, unknown>): string;
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

export function createTemplateRenderer(dir: string = TEMPLATES_DIR): TemplateRenderer {
  const hbs = createHandlebars();
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  let overrides: Record<string, string> = {};
  const names = () => new Set([...listTemplateFiles(dir), ...Object.keys(overrides)]);

  const source = (name: string): string => {
    if (overrides[name] !== undefined) return overrides[name];
    const file = join(dir, `${name}.hbs`);
    if (!existsSync(file)) throw new Error(`template not found: ${name}`);
    return readFileSync(file, 'utf8');
  };

  return {
    render(name, data) {
      let template = compiled.get(name);
      if (!template) {
        // Not strict: optional fields ({{#if reason}}) are normal in notifications, and a message must not
        // fail to reach a citizen because one was absent. Tests render every template with its real data.
        // Zalo messages and the text part of e-mails are plain text: HTML-escaping them would show a citizen
        // `&quot;` for a quote in their own words or in the official answer. Only `.html` templates escape.
        template = hbs.compile(source(name), { noEscape: !name.endsWith('.html') });
        compiled.set(name, template);
      }
      return template(data).trim();
    },
    has: (name) => names().has(name),
    list: () => [...names()].sort(),
    source,
    setOverrides(next) {
      overrides = { ...next };
      compiled.clear();
    },
    preview: (body, data) => hbs.compile(body, { strict: false })(data).trim(),
  };
}
