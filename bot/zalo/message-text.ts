/**
 * Zalo counts a consultation text's 2,000-character limit on what it stores; Vietnamese typed on
 * Apple devices arrives decomposed (NFD, ~28 % longer), so text is normalised to NFC first and
 * counted in code points, never UTF-16 units (ZALO.md §8.11).
 */
export const ZALO_TEXT_LIMIT = 2000;

export function normaliseText(text: string): string {
  return text.normalize('NFC');
}

export function countCodePoints(text: string): number {
  return [...text].length;
}

type BreakRule = (chars: string[], i: number) => boolean;

const WHITESPACE = /\s/u;
const SENTENCE_END = /[.!?…;:]/u;

// A break at boundary i sits between chars[i - 1] and chars[i]; rules in order of preference.
const BREAK_RULES: BreakRule[] = [
  (c, i) => c[i - 1] === '\n' && c[i] === '\n',
  (c, i) => c[i] === '\n',
  (c, i) => SENTENCE_END.test(c[i - 1] ?? '') && WHITESPACE.test(c[i] ?? ''),
  (c, i) => WHITESPACE.test(c[i] ?? ''),
];

/**
 * NFC-normalises and splits into chunks of at most `limit` code points, preferring a paragraph
 * break, then a line break, a sentence end, a space; only a text without any of these in the second
 * half of the window is cut hard. Whitespace at the cut is dropped.
 */
export function splitZaloText(text: string, limit = ZALO_TEXT_LIMIT): string[] {
  let rest = [...normaliseText(text).trim()];
  const chunks: string[] = [];
  // Breaking early in the window would leave many short messages; accept a break only in its second half.
  const earliest = Math.max(1, Math.floor(limit / 2));
  while (rest.length > limit) {
    let cut = limit;
    search: for (const rule of BREAK_RULES) {
      for (let i = limit; i >= earliest; i--) {
        if (rule(rest, i)) {
          cut = i;
          break search;
        }
      }
    }
    const chunk = rest.slice(0, cut).join('').trimEnd();
    if (chunk !== '') chunks.push(chunk);
    rest = rest.slice(cut);
    let skip = 0;
    while (skip < rest.length && WHITESPACE.test(rest[skip] ?? '')) skip++;
    rest = rest.slice(skip);
  }
  const last = rest.join('');
  if (last !== '') chunks.push(last);
  return chunks;
}
