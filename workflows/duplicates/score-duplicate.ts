import { measurePreparedSimilarity, prepareText, type PreparedText } from '../text/text-similarity.js';
import { measureDistanceMetres, type GeoPoint } from './measure-distance.js';

/** What duplicate scoring needs to know of a case. */
export interface DuplicateSubject {
  title?: string | null;
  description: string;
  areaUnitId?: number | null;
  latitude?: number | null;
  longitude?: number | null;
}

export interface DuplicateScoreOptions {
  /** Two located cases this close count as the same place even across a ward boundary. */
  radiusMetres?: number;
}

export interface DuplicateScore {
  /** Text similarity when the place matches, else 0: a duplicate needs both. In [0, 1]. */
  score: number;
  textSimilarity: number;
  sameArea: boolean;
  /** Set when both cases have coordinates. */
  distanceMetres?: number;
  samePlace: boolean;
}

/**
 * FixMyStreet de-duplicates within 1000 m for inspectors (250 m when suggesting to a reporter);
 * triage is the inspector's case, and the text score keeps a wide circle from flooding the list.
 */
export const DEFAULT_RADIUS_METRES = 1_000;

export function readPoint(subject: DuplicateSubject): GeoPoint | null {
  const { latitude, longitude } = subject;
  return latitude != null && longitude != null && Number.isFinite(latitude) && Number.isFinite(longitude) ? { latitude, longitude } : null;
}

/** Title and description are compared together: the dispatcher and the citizen see both. */
export function prepareSubjectText(subject: DuplicateSubject): PreparedText {
  return prepareText(`${subject.title ?? ''} ${subject.description}`);
}

/** Scores with already prepared texts, for comparing one case with many candidates. */
export function scorePreparedDuplicate(
  a: DuplicateSubject,
  aText: PreparedText,
  b: DuplicateSubject,
  bText: PreparedText,
  options: DuplicateScoreOptions = {},
): DuplicateScore {
  const radiusMetres = options.radiusMetres ?? DEFAULT_RADIUS_METRES;
  const sameArea = a.areaUnitId != null && a.areaUnitId === b.areaUnitId;
  const aPoint = readPoint(a);
  const bPoint = readPoint(b);
  const distanceMetres = aPoint && bPoint ? measureDistanceMetres(aPoint, bPoint) : undefined;
  const samePlace = sameArea || (distanceMetres !== undefined && distanceMetres <= radiusMetres);
  const textSimilarity = measurePreparedSimilarity(aText, bText);
  const result: DuplicateScore = { score: samePlace ? textSimilarity : 0, textSimilarity, sameArea, samePlace };
  if (distanceMetres !== undefined) result.distanceMetres = Math.round(distanceMetres);
  return result;
}

/** How likely `b` reports the same thing at the same place as `a` (pure; symmetric). */
export function scoreDuplicate(a: DuplicateSubject, b: DuplicateSubject, options: DuplicateScoreOptions = {}): DuplicateScore {
  return scorePreparedDuplicate(a, prepareSubjectText(a), b, prepareSubjectText(b), options);
}
