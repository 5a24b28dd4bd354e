const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The start of a text on one line, at most `max` characters with "…" when cut. Counts code points, not UTF-16
 * units: cutting an emoji in half leaves a lone surrogate, which PostgreSQL refuses in text and JSON.
 */
export function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  // No surrogate pair means one unit per code point: the cheap path, taken by almost every text.
  if (!SURROGATE.test(flat)) return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}
