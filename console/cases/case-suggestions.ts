import { formatVnDateTime } from '../../workflows/calendar/working-calendar.js';
import type { Actor } from '../../workflows/cases/actor.js';
import { canActorSeeCase } from '../../workflows/cases/case-permissions.js';
import { CASE_STATUS_LABELS } from '../../workflows/cases/case-status.js';
import type { CaseView } from '../../workflows/cases/case.repo.js';
import type { CategorySuggestion } from '../../workflows/classifier/suggest-category.js';
import type { DuplicateCandidate } from '../../workflows/duplicates/find-duplicate-candidates.js';
import type { CandidateCaseRow } from './case-page.repo.js';
import { excerpt } from '../../workflows/text/excerpt.js';

/**
 * What the triage panel of the case page suggests: cases that may report the same thing (to merge into) and
 * the categories the classifier reads in the text (to apply). Pure: the route loads, these decide and word.
 */

const EXCERPT_LENGTH = 160;

function percent(value: number): string {
  return `${Math.round(Math.min(1, Math.max(0, value)) * 100)}%`;
}

export interface DuplicateCandidateView {
  id: number;
  code: string;
  url: string;
  statusLabel: string;
  receivedAt: string;
  receivedAtIso: string;
  excerpt: string;
  similarity: string;
  place: string;
  /** The merge form for this candidate, when the official may merge the case now. */
  merge: { action: string; intoCaseCode: string; confirm: string; label: string } | null;
}

/**
 * Candidates the official may see, best first. findDuplicateCandidates looks at every case of the place; a
 * case outside the official's scope is left out entirely (not even its code), as the case pages would 404.
 */
export function describeDuplicateCandidates(input: {
  actor: Actor;
  caseView: Pick<CaseView, 'id'>;
  candidates: readonly DuplicateCandidate[];
  rows: readonly CandidateCaseRow[];
  canMerge: boolean;
}): DuplicateCandidateView[] {
  const byId = new Map(input.rows.map((r) => [r.id, r]));
  const views: DuplicateCandidateView[] = [];
  for (const candidate of input.candidates) {
    const row = byId.get(candidate.caseId);
    if (!row || row.id === input.caseView.id || !canActorSeeCase(input.actor, row)) continue;
    views.push({
      id: row.id,
      code: row.code,
      url: `/console/cases/${row.id}`,
      statusLabel: CASE_STATUS_LABELS[row.status],
      receivedAt: formatVnDateTime(row.receivedAt),
      receivedAtIso: row.receivedAt.toISOString(),
      excerpt: excerpt(`${row.title ? `${row.title}. ` : ''}${row.description}`, EXCERPT_LENGTH),
      similarity: percent(candidate.score),
      place: describePlace(candidate),
      merge: input.canMerge
        ? {
            action: `/console/cases/${input.caseView.id}/commands/merge`,
            intoCaseCode: row.code,
            confirm: `Gộp hồ sơ này vào hồ sơ ${row.code}? Người gửi sẽ nhận kết quả trả lời của hồ sơ ${row.code}.`,
            label: `Gộp vào ${row.code}`,
          }
        : null,
    });
  }
  return views;
}

function describePlace(c: DuplicateCandidate): string {
  const parts: string[] = [];
  if (c.sameArea) parts.push('cùng phường, xã');
  if (c.distanceMetres !== undefined) parts.push(c.distanceMetres < 10 ? 'cùng vị trí' : `cách khoảng ${formatMetres(c.distanceMetres)}`);
  return parts.length > 0 ? parts.join(', ') : 'gần nhau';
}

function formatMetres(m: number): string {
  if (m < 1000) return `${Math.round(m / 10) * 10} m`;
  return `${(m / 1000).toFixed(1).replace('.', ',')} km`;
}

export interface CategorySuggestionView {
  categoryId: number;
  name: string;
  confidence: string;
  /** "cao", "trung bình", "thấp": the percentage alone reads as more certain than the model is. */
  level: string;
  current: boolean;
  /** The one-click recategorise form, when the official may recategorise and this is not the current category. */
  apply: { action: string; label: string } | null;
}

/** Reading bands for the calibrated confidence; the percentage is shown next to them. */
export function describeConfidence(confidence: number): string {
  if (confidence >= 0.6) return 'cao';
  if (confidence >= 0.3) return 'trung bình';
  return 'thấp';
}

/** The classifier's top categories that exist and are in use here, with an apply form where allowed. */
export function describeCategorySuggestions(input: {
  caseView: Pick<CaseView, 'id' | 'categoryId'>;
  suggestions: readonly CategorySuggestion[];
  categories: ReadonlyArray<{ id: number; code: string; name: string; active: boolean }>;
  canRecategorise: boolean;
}): CategorySuggestionView[] {
  const byCode = new Map(input.categories.map((c) => [c.code, c]));
  const views: CategorySuggestionView[] = [];
  for (const s of input.suggestions) {
    const category = byCode.get(s.categoryCode);
    if (!category?.active) continue;
    const current = category.id === input.caseView.categoryId;
    views.push({
      categoryId: category.id,
      name: category.name,
      confidence: percent(s.confidence),
      level: describeConfidence(s.confidence),
      current,
      apply:
        input.canRecategorise && !current
          ? { action: `/console/cases/${input.caseView.id}/commands/recategorise`, label: `Áp dụng lĩnh vực ${category.name}` }
          : null,
    });
  }
  return views;
}
