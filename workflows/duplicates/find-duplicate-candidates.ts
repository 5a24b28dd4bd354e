import { and, between, desc, eq, gte, isNull, lte, ne, notInArray, or, type SQL } from 'drizzle-orm';
import { cases } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import { computeBoundingBox } from './measure-distance.js';
import { DEFAULT_RADIUS_METRES, prepareSubjectText, readPoint, scorePreparedDuplicate } from './score-duplicate.js';

export interface FindDuplicateOptions {
  /** Look back this many days from `now` (received_at). */
  days?: number;
  radiusMetres?: number;
  /** Candidates scoring below are dropped (see measurePreparedSimilarity for the scale). */
  minScore?: number;
  limit?: number;
  now: Date;
}

export interface DuplicateCandidate {
  caseId: number;
  code: string;
  score: number;
  /** Set when both cases have coordinates. */
  distanceMetres?: number;
  sameArea: boolean;
  receivedAt: Date;
}

export const DEFAULT_DUPLICATE_DAYS = 30;
/** Rewrites of one report score ≥ 0.5, other reports about the same street ~0.25–0.3. */
export const DEFAULT_MIN_SCORE = 0.35;
export const DEFAULT_CANDIDATE_LIMIT = 10;
/** A busy ward gets a few hundred cases a month; scoring more than this in TS would only add noise. */
const PREFILTER_LIMIT = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Closed, refused and merged cases are settled: a new report is not merged into them. */
const SETTLED_STATUSES = ['closed', 'refused', 'merged'] as const;

/**
 * Open cases that may report the same thing as case `caseId`: received in the last `days` days,
 * at the same place (same ward/commune, or within `radiusMetres` when both have coordinates), with
 * similar text. SQL keeps the time window and the place (ward or bounding box); the text is scored
 * here because trigram search over accent-folded Vietnamese is not available on PGlite. Best first.
 * Empty when the case does not exist or has no place at all.
 */
export async function findDuplicateCandidates(q: Queryable, caseId: number, options: FindDuplicateOptions): Promise<DuplicateCandidate[]> {
  const days = options.days ?? DEFAULT_DUPLICATE_DAYS;
  const radiusMetres = options.radiusMetres ?? DEFAULT_RADIUS_METRES;
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  const limit = options.limit ?? DEFAULT_CANDIDATE_LIMIT;

  const subjectColumns = {
    id: cases.id,
    code: cases.code,
    title: cases.title,
    description: cases.description,
    areaUnitId: cases.areaUnitId,
    latitude: cases.latitude,
    longitude: cases.longitude,
    receivedAt: cases.receivedAt,
  };
  const [subject] = await q.select(subjectColumns).from(cases).where(eq(cases.id, caseId)).limit(1);
  if (!subject) return [];

  const placeConditions: SQL[] = [];
  if (subject.areaUnitId != null) placeConditions.push(eq(cases.areaUnitId, subject.areaUnitId));
  const point = readPoint(subject);
  if (point) {
    const box = computeBoundingBox(point, radiusMetres);
    const inBox = and(between(cases.latitude, box.minLatitude, box.maxLatitude), between(cases.longitude, box.minLongitude, box.maxLongitude));
    if (inBox) placeConditions.push(inBox);
  }
  const samePlace = or(...placeConditions);
  if (!samePlace) return [];

  const since = new Date(options.now.getTime() - days * DAY_MS);
  const rows = await q
    .select(subjectColumns)
    .from(cases)
    .where(
      and(
        ne(cases.id, caseId),
        notInArray(cases.status, [...SETTLED_STATUSES]),
        isNull(cases.mergedIntoId),
        gte(cases.receivedAt, since),
        lte(cases.receivedAt, options.now),
        samePlace,
      ),
    )
    .orderBy(desc(cases.receivedAt), desc(cases.id))
    .limit(PREFILTER_LIMIT);

  const subjectText = prepareSubjectText(subject);
  const candidates: DuplicateCandidate[] = [];
  for (const row of rows) {
    const scored = scorePreparedDuplicate(subject, subjectText, row, prepareSubjectText(row), { radiusMetres });
    // The bounding box is a square around the circle: its corners are not the same place.
    if (!scored.samePlace || scored.score < minScore) continue;
    const candidate: DuplicateCandidate = {
      caseId: row.id,
      code: row.code,
      score: Math.round(scored.score * 1000) / 1000,
      sameArea: scored.sameArea,
      receivedAt: row.receivedAt,
    };
    if (scored.distanceMetres !== undefined) candidate.distanceMetres = scored.distanceMetres;
    candidates.push(candidate);
  }
  return candidates
    .sort(
      (a, b) =>
        b.score - a.score ||
        (a.distanceMetres ?? Infinity) - (b.distanceMetres ?? Infinity) ||
        b.receivedAt.getTime() - a.receivedAt.getTime() ||
        b.caseId - a.caseId,
    )
    .slice(0, limit);
}
