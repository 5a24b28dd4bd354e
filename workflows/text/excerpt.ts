/**
 * The start of a text on one line, at most `max` characters with "…" when cut. Counts code points, not UTF-16
 * units: cutting an emoji in half leaves a lone surrogate, which PostgreSQL refuses in text and JSON.
 */
export function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}
