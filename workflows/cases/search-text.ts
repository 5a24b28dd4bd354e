import { foldVietnamese } from '../text/fold-vietnamese.js';

/** cases.search_text: lower-case, accent-free code, description and contact name, so "duong lang" finds "Đường Láng". */
export function buildSearchText(parts: ReadonlyArray<string | null | undefined>): string {
  return foldVietnamese(parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '').join(' '));
}

/** The words of a search box, folded the same way; every word must appear (AND). */
export function buildSearchTerms(query: string): string[] {
  return foldVietnamese(query)
    .split(' ')
    .filter((t) => t.length > 0)
    .slice(0, 8);
}

/** LIKE pattern for "contains term", with '!' as the escape character. */
export function toContainsPattern(term: string): string {
  return `%${term.replace(/[!%_]/g, '!$&')}%`;
}
