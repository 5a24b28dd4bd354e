/**
 * Removes personal data from a case's question and answer before publication (ND 20/2008 Điều 19 +
 * DOMAIN.md §7.3): the sender's name becomes initials, phone numbers, e-mail addresses and ID numbers
 * (CMND 9 digits, CCCD 12 digits) become placeholders, and house numbers are dropped while the lane, alley
 * and street stay ("nhà số 15 ngõ 3 ngách 4 phố Hàng Bạc" → "ngõ 3 ngách 4 phố Hàng Bạc"): the place of a
 * pothole matters to readers, the door it is in front of identifies a household.
 *
 * Judgement calls, kept deliberately on the side of hiding too much:
 * - a house number is recognised when it follows "số nhà", "nhà số", "SN", "căn hộ", or follows "số"/"nhà"
 *   and precedes an address word (ngõ, ngách, hẻm, phố, đường, tổ, khu, thôn, xóm…) or a capitalised street
 *   name ("số 12 Hàng Bạc"); a bare number directly before "phố"/"đường"/"ngõ"/"ngách" ("12 phố Huế") too.
 *   Lane and alley numbers ("ngõ 3", "ngách 4", "hẻm 5") are kept. A bare "12 Hàng Bạc" without any of
 *   these words is kept, because "12 hộ dân" cannot be told apart from it by pattern alone.
 * - document numbers ("Quyết định số 1207/QĐ-UBND") are not touched: the slash-letters suffix rules them out.
 * - names are masked only when given (the contact's full and display names): free text has no reliable name
 *   pattern. Multi-word names match case- and accent-insensitively; for names of three or more words the
 *   given names alone ("Văn An" of "Nguyễn Văn An") are masked too. One-word names (Zalo nicknames) match
 *   only with their exact capitalisation, so "Lan" does not eat "lan can" (a sentence starting "Lan can…" still
 *   loses out: one-word names are a guess either way).
 * - any 9- or 12-digit run is treated as an ID number unless followed by a currency word.
 */

export const MASK_PLACEHOLDERS = {
  phone: '[SĐT đã ẩn]',
  email: '[email đã ẩn]',
  idNumber: '[số giấy tờ đã ẩn]',
} as const;

export interface MaskOptions {
  /** The sender's names (full name, Zalo display name, company contact): replaced by initials. */
  names?: readonly (string | null | undefined)[];
}

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

/** 9 (CMND) or 12 (CCCD) digits in a row, not part of a longer number and not an amount of money. */
const ID_NUMBER = /(?<![\p{N}.,])(?:\p{N}{12}|\p{N}{9})(?![\p{N}])(?!\s*(?:đồng|đ(?![\p{L}])|vnđ|vnd))/giu;

/**
 * Mobile 0xxxxxxxxx (10 digits) and landline 02x xxxx xxxx (11 digits), with +84 / 84 / 0084 instead of the
 * leading 0, and digits grouped by spaces, dots or dashes.
 */
const PHONE = /(?<![\p{L}\p{N}+])(?:\(\+84\)|\+84|0084|84|0)[\s.-]?\d(?:[\s.-]?\d){7,9}(?![\p{N}])/gu;
/** "(024) 3825 1234", "(0243) 825 1234". */
const PHONE_WITH_AREA_CODE = /\(0\d{2,3}\)[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?![\p{N}])/gu;

const HOUSE_NUMBER = String.raw`\d+[A-Za-z]?(?:[/-]\d+[A-Za-z]?)*`;
const ADDRESS_WORD = String.raw`(?:ngõ|ngach|ngách|hẻm|kiệt|phố|đường|tổ|khu|thôn|xóm|tòa|toà|tập thể|chung cư|phường|xã|P\.)`;
const NOT_LETTER_AFTER = String.raw`(?![\p{L}\p{N}])`;

/** "số nhà 12", "nhà số 12", "SN 12", "căn hộ 1205": always a house number. */
const EXPLICIT_HOUSE_NUMBER = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:số nhà|nhà số|SN|căn hộ(?: số)?)\s*${HOUSE_NUMBER}${NOT_LETTER_AFTER}(?:\s*,)?\s*`,
  'giu',
);
/** "số 12 ngõ 3", "nhà 15, phố Huế", "số 12 Hàng Bạc": a house number by what follows it. */
const CONTEXT_HOUSE_NUMBER = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:[Ss]ố|[Nn]hà)\s+${HOUSE_NUMBER}${NOT_LETTER_AFTER}(?:\s*,)?\s*(?=(?:${ADDRESS_WORD}${NOT_LETTER_AFTER}|\p{Lu}))`,
  'gu',
);
/** "12 phố Huế", "5A đường Láng" — but not the "3" of "ngõ 3 ngách 4". */
const BARE_HOUSE_NUMBER = new RegExp(
  String.raw`(?<![\p{L}\p{N}/-])(?<!(?:ngõ|ngách|hẻm|kiệt|tổ|khu|tầng|km|số|nhà|phường|quận)\s+)${HOUSE_NUMBER}\s+(?=(?:phố|đường|ngõ|ngách)${NOT_LETTER_AFTER})`,
  'giu',
);

export function maskPersonalData(text: string, options: MaskOptions = {}): string {
  let out = text.normalize('NFC');
  out = out.replace(EMAIL, MASK_PLACEHOLDERS.email);
  out = out.replace(ID_NUMBER, MASK_PLACEHOLDERS.idNumber);
  out = out.replace(PHONE_WITH_AREA_CODE, MASK_PLACEHOLDERS.phone);
  out = out.replace(PHONE, MASK_PLACEHOLDERS.phone);
  out = maskNames(out, options.names ?? []);
  out = out.replace(EXPLICIT_HOUSE_NUMBER, '');
  out = out.replace(CONTEXT_HOUSE_NUMBER, '');
  out = out.replace(BARE_HOUSE_NUMBER, '');
  return tidySpaces(out);
}

/** "Nguyễn Văn An" → "N.V.A." */
export function toInitials(name: string): string {
  return splitWords(name)
    .map((word) => `${(word[0] ?? '').toLocaleUpperCase('vi')}.`)
    .join('');
}

function maskNames(text: string, names: readonly (string | null | undefined)[]): string {
  const variants = new Map<string, { words: string[]; caseSensitive: boolean }>();
  for (const raw of names) {
    if (!raw) continue;
    const words = splitWords(raw.normalize('NFC'));
    if (words.length === 0) continue;
    if (words.length === 1) {
      if ((words[0] ?? '').length >= 3) variants.set(words.join(' '), { words, caseSensitive: true });
      continue;
    }
    variants.set(words.join(' ').toLowerCase(), { words, caseSensitive: false });
    if (words.length >= 3) {
      const given = words.slice(-2);
      variants.set(given.join(' ').toLowerCase(), { words: given, caseSensitive: false });
    }
  }
  // Longest first, so "Nguyễn Văn An" is replaced before its own "Văn An".
  const ordered = [...variants.values()].sort((a, b) => b.words.join(' ').length - a.words.join(' ').length);
  let out = text;
  for (const { words, caseSensitive } of ordered) {
    const body = words.map((w) => wordPattern(w, caseSensitive)).join(String.raw`\s+`);
    const pattern = new RegExp(String.raw`(?<![\p{L}\p{N}])${body}(?![\p{L}\p{N}])`, caseSensitive ? 'gu' : 'giu');
    out = out.replace(pattern, toInitials(words.join(' ')));
  }
  return out;
}

/** A word with or without its accents: citizens and officials type "Nguyen Van An" too. */
function wordPattern(word: string, caseSensitive: boolean): string {
  const plain = stripAccents(word);
  const forms = caseSensitive || plain === word ? [word] : [word, plain];
  return `(?:${forms.map(escapeRegExp).join('|')})`;
}

function stripAccents(word: string): string {
  return word
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .normalize('NFC');
}

function splitWords(name: string): string[] {
  return name
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tidySpaces(text: string): string {
  return text
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/[ \t]+([,.;:!?)])/g, '$1')
    .replace(/([(])[ \t]+/g, '$1')
    .replace(/^[ \t]+|[ \t]+$/gm, '');
}
