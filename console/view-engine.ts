import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

export const CONSOLE_VIEWS_DIR = fileURLToPath(new URL('./views', import.meta.url));
export const CONSOLE_PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));

/**
 * Characters URLSearchParams and encodeURIComponent can leave in a URL we build ourselves. A string made only of
 * these cannot break out of a double-quoted attribute, so the `href` helper may skip Handlebars' escaping,
 * which would otherwise turn every `=` into `&#x3D;`.
 */
const URL_SAFE = /^[A-Za-z0-9/?&=%._*+\-:#~,]*$/;

/**
 * One Handlebars instance for the console's views. Output is escaped by default ({{value}}); views never use
 * triple-stash for anything a person typed. The only unescaped output is the layout's `body` (our own
 * rendered view) and `href` below, which refuses anything but URL characters.
 */
export function createConsoleHandlebars(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper('href', (value: unknown) => {
    const url = typeof value === 'string' ? value : '';
    // Our own paths or web links only: a "javascript:" URL made of safe characters is still a script.
    if (!/^(\/(?!\/)|https?:\/\/)/.test(url)) return '#';
    if (!URL_SAFE.test(url)) return new hbs.SafeString(hbs.escapeExpression(url));
    return new hbs.SafeString(url.replace(/&/g, '&amp;'));
  });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // Builds element ids in loops ("c" + 12 → "c12"); the result is escaped like any other value.
  hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
  return hbs;
}

/** Partials by name, as @fastify/view wants them (paths relative to the views folder). */
export const CONSOLE_PARTIALS: Record<string, string> = {
  flash: 'partials/flash.hbs',
  csrf: 'partials/csrf.hbs',
  slaBadge: 'partials/sla-badge.hbs',
  commandFields: 'partials/command-fields.hbs',
  kpiGroup: 'partials/kpi-group.hbs',
  adminNav: 'partials/admin-nav.hbs',
  categoryFields: 'partials/category-fields.hbs',
  nudgeRuleFields: 'partials/nudge-rule-fields.hbs',
  coUnitFields: 'partials/co-unit-fields.hbs',
};
