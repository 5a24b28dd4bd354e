/**
 * CSV for Excel users in Vietnam: UTF-8 with a byte-order mark (without it Excel reads the file as
 * Windows-1258/1252 and "Phường" turns into mojibake), CRLF line ends and RFC 4180 quoting.
 */

export const UTF8_BOM = '\uFEFF';

/**
 * A cell starting with = + - @ (or a tab/CR that Excel strips first) is run as a formula when the file is
 * opened: a citizen's text "=HYPERLINK(…)" must stay text, so it gets a leading apostrophe (OWASP CSV
 * injection advice).
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function quoteCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = neutralizeFormula(value);
  return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function writeCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const lines = [header.map((h) => quoteCell(h)).join(','), ...rows.map((row) => row.map(quoteCell).join(','))];
  return `${UTF8_BOM}${lines.join('\r\n')}\r\n`;
}
