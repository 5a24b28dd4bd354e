/**
 * Accent folding and tokenising for Vietnamese text: the comparison form used by search, the
 * classifier, duplicate detection and the bot's fuzzy matching.
 *
 * Citizens type on phones with or without a Vietnamese keyboard, so the same word arrives as "Hòa",
 * "Hoà" (old tone placement), "Hoa" (no accents) or in NFD from some iOS/macOS inputs. Folding maps
 * all of them to one plain-ASCII-letter form; Vietnamese words are single syllables, so a token is a
 * syllable and a phrase such as "đèn đường" is a bigram of two tokens.
 */

/** Combining marks, among them Vietnamese tones (U+0300, 0301, 0303, 0309, 0323), circumflex (0302), breve (0306) and horn (031B). */
const COMBINING_MARKS = /\p{M}/gu;
/** Invisible characters that phones and copy-paste sneak into text; they would split or glue words. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u2060\ufeff]/g;
/** 1.500.000 or 2,5 are one number, not two tokens. */
const DIGIT_GROUP_SEPARATOR = /(\d)[.,](?=\d)/g;
const NON_WORD = /[^\p{L}\p{N}]+/u;
const NON_WORD_KEEPING_MARKS = /[^\p{L}\p{M}\p{N}]+/u;

/**
 * Lower-case, accent-free, single-spaced text: "Đèn  ĐƯỜNG hỏng" → "den duong hong".
 * NFKD (not just NFD) also folds compatibility forms such as full-width letters and ligatures.
 * Punctuation is kept; use {@link tokenizeVietnamese} to drop it.
 */
export function foldVietnamese(text: string): string {
  return (
    text
      .normalize('NFKD')
      // Lower-case before stripping marks: some upper-case letters lower-case into letter + mark.
      .toLowerCase()
      .replace(COMBINING_MARKS, '')
      // đ is a letter of its own, not d + mark, so no normalisation form decomposes it.
      .replace(/đ/g, 'd')
      .replace(INVISIBLE, '')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

export interface TokenizeOptions {
  /**
   * Keep tones and vowel marks (lower-cased, NFC) instead of folding. Folded tokens are the form to
   * compare; tokens with marks are for display or for telling "ga" (station) from "gà" (chicken).
   */
  keepDiacritics?: boolean;
}

/** Syllable tokens without punctuation: "Ổ gà, đường Láng!!" → ["o", "ga", "duong", "lang"]. */
export function tokenizeVietnamese(text: string, options: TokenizeOptions = {}): string[] {
  if (options.keepDiacritics) {
    const lowered = text.normalize('NFC').toLowerCase().replace(INVISIBLE, '').replace(DIGIT_GROUP_SEPARATOR, '$1');
    return lowered.split(NON_WORD_KEEPING_MARKS).filter((token) => token.length > 0);
  }
  return foldVietnamese(text)
    .replace(DIGIT_GROUP_SEPARATOR, '$1')
    .split(NON_WORD)
    .filter((token) => token.length > 0);
}
