import { foldVietnamese } from '../../workflows/text/fold-vietnamese.js';

export type CitizenCommand =
  | { type: 'start' }
  | { type: 'lookup'; code?: string }
  | { type: 'cancel' }
  | { type: 'help' }
  | { type: 'rate'; code: string; rating: 'hai_long' | 'chap_nhan' | 'chua_hai_long' };

const CASE_CODE = /\bpa[\s-]?(\d{4})[\s-]?(\d{1,6})\b/i;
const BARE_CASE_CODE = /^pa[\s-]?\d{4}[\s-]?\d{1,6}$/;

/** `PA-2026-123`, `pa 2026 000123`, `PA2026000123` → `PA-2026-000123`. */
export function findCaseCode(text: string): string | undefined {
  const m = foldVietnamese(text).match(CASE_CODE);
  return m ? `PA-${m[1]}-${m[2]!.padStart(6, '0')}` : undefined;
}

/**
 * "liên kết 123456", "Lien ket: 123 456", "#lien-ket 123456": an official sends the one-time code from the
 * console (Quản trị → Cán bộ) to link this Zalo account. Only digits may follow, so a citizen's sentence that
 * starts with the words ("liên kết giao thông…") is not taken for it. The code is '' when none was given.
 */
const LINK_COMMAND = /^#?lien[\s-]?ket\s*:?\s*([\d\s.-]*)$/;

export function matchLinkCommand(text: string): { code: string } | undefined {
  const m = LINK_COMMAND.exec(foldVietnamese(text).replace(/[.!?]+$/, '').trim());
  return m ? { code: (m[1] ?? '').replace(/\D/g, '') } : undefined;
}

export const RATING_PAYLOAD = (code: string, rating: 'hai_long' | 'chap_nhan' | 'chua_hai_long') => `#danh-gia:${code}:${rating}`;

/**
 * Commands that work at any point of a conversation, matched without case or accents ("Tra cuu",
 * "tra cứu", "TRA CỨU") and from button payloads.
 */
export function matchCitizenCommand(text: string): CitizenCommand | undefined {
  const rating = text.trim().match(/^#danh-gia:(PA-\d{4}-\d{6}):(hai_long|chap_nhan|chua_hai_long)$/);
  if (rating) return { type: 'rate', code: rating[1]!, rating: rating[2] as 'hai_long' | 'chap_nhan' | 'chua_hai_long' };
  const folded = foldVietnamese(text).replace(/[.!?]+$/, '');
  if (folded === '#huy' || folded === 'huy' || folded === 'huy bo' || folded === 'thoat' || folded === 'dung') return { type: 'cancel' };
  if (['tro giup', 'menu', 'help', 'huong dan', '#menu', 'bat dau'].includes(folded)) return { type: 'help' };
  if (['phan anh', 'gui phan anh', 'phan anh moi', 'kien nghi', 'gui kien nghi', '#pakn-moi'].includes(folded)) return { type: 'start' };
  if (folded.startsWith('tra cuu') || folded.startsWith('#tra-cuu') || folded.startsWith('tracuu')) {
    return { type: 'lookup', code: findCaseCode(text) };
  }
  // "Tra cứu" without a code makes the bot ask for one; the answer is the code alone.
  if (BARE_CASE_CODE.test(folded.trim())) return { type: 'lookup', code: findCaseCode(text) };
  return undefined;
}
