import { expandChatAbbreviations } from '../text/expand-chat-abbreviations.js';
import { tokenizeVietnamese } from '../text/fold-vietnamese.js';

export interface TermOptions {
  /** Adjacent syllable pairs: "den duong", "o ga", "rac thai" carry most of the meaning. */
  bigrams: boolean;
  /**
   * Character n-grams inside each word (with boundary marks), length range inclusive, or null.
   * They soften typos ("đuờng" vs "đường" fold equal anyway, but "duowng" or "nuớc" do not).
   */
  charNgrams: readonly [number, number] | null;
  /**
   * Replace capitalised names (not at a sentence start) by one placeholder: "Phường Long Biên",
   * "phố Lê Trọng Tấn", "Bệnh viện Bạch Mai". Places and people say where, not what; with few
   * examples per label a street name seen once would otherwise pull towards that example's label.
   */
  maskNames: boolean;
}

export const DEFAULT_TERM_OPTIONS: TermOptions = { bigrams: true, charNgrams: null, maskNames: true };

/** Contains "z", which Vietnamese never writes, so it cannot collide with a real syllable. */
export const NAME_PLACEHOLDER = 'zzname';

const EDGE_PUNCTUATION = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const CAPITALISED = /^\p{Lu}\p{Ll}/u;
const SENTENCE_END = /[.!?:;…]["')\]]*$/u;

/**
 * "Đèn đường ở Phường Hoàn Kiếm hỏng" → "Đèn đường ở zzname hỏng". The first word of a sentence
 * keeps its capital; acronyms (UBND, THCS) are all capitals and are kept, since they do carry meaning.
 */
export function maskProperNames(text: string): string {
  const words = text.normalize('NFC').split(/\s+/).filter((w) => w.length > 0);
  const masked: string[] = [];
  let previousMasked = false;
  words.forEach((word, i) => {
    const core = word.replace(EDGE_PUNCTUATION, '');
    // The dash inside "Văn Miếu - Quốc Tử Giám" belongs to the name.
    if (core === '' && previousMasked && /^[-–]$/.test(word)) return;
    const startsSentence = i === 0 || SENTENCE_END.test(words[i - 1] ?? '');
    if (!startsSentence && CAPITALISED.test(core)) {
      const trailing = word.slice(word.indexOf(core) + core.length);
      // One placeholder for a whole name, so "Văn Miếu - Quốc Tử Giám" is not five names.
      if (!previousMasked) masked.push(NAME_PLACEHOLDER + trailing);
      else if (trailing) masked[masked.length - 1] += trailing;
      previousMasked = !/[,.!?;:]/.test(trailing);
    } else {
      masked.push(word);
      previousMasked = false;
    }
  });
  return masked.join(' ');
}

/** House numbers, years and amounts say nothing about the category; one shared token keeps "there was a number". */
const NUMBER = /^\d+[a-z]?$/;

/** The bag of terms a text is represented by, in order, with repeats (term frequency counts them). */
export function extractTerms(text: string, options: TermOptions = DEFAULT_TERM_OPTIONS): string[] {
  const source = options.maskNames ? maskProperNames(text) : text;
  const tokens = expandChatAbbreviations(tokenizeVietnamese(source)).map((token) => (NUMBER.test(token) ? '#' : token));
  const terms = [...tokens];
  if (options.bigrams) {
    for (let i = 1; i < tokens.length; i += 1) terms.push(`${tokens[i - 1]} ${tokens[i]}`);
  }
  if (options.charNgrams) {
    const [min, max] = options.charNgrams;
    for (const token of tokens) {
      if (token === '#') continue;
      const padded = `<${token}>`;
      for (let n = min; n <= max; n += 1) {
        for (let i = 0; i + n <= padded.length; i += 1) terms.push(`~${padded.slice(i, i + n)}`);
      }
    }
  }
  return terms;
}
