import { describe, expect, it } from 'vitest';
import { computeBoundingBox, measureDistanceMetres } from '../../../workflows/duplicates/measure-distance.js';
import { scoreDuplicate } from '../../../workflows/duplicates/score-duplicate.js';

const HOAN_KIEM_LAKE = { latitude: 21.0288, longitude: 105.8525 };
const REPORT = 'Đèn đường ngõ 20 phố Hàng Bông hỏng hơn một tuần, buổi tối tối om, phụ nữ đi làm về rất sợ.';

describe('measureDistanceMetres', () => {
  it('measures known distances', () => {
    expect(measureDistanceMetres(HOAN_KIEM_LAKE, HOAN_KIEM_LAKE)).toBe(0);
    // One thousandth of a degree of latitude is ~111 m everywhere.
    expect(measureDistanceMetres(HOAN_KIEM_LAKE, { ...HOAN_KIEM_LAKE, latitude: 21.0298 })).toBeCloseTo(111.2, 0);
    // Hồ Gươm to Nội Bài airport (21.2187, 105.8042): about 21.6 km as the crow flies.
    const airport = measureDistanceMetres(HOAN_KIEM_LAKE, { latitude: 21.2187, longitude: 105.8042 });
    expect(airport).toBeGreaterThan(21_000);
    expect(airport).toBeLessThan(22_500);
  });

  it('builds a bounding box that contains the circle', () => {
    const box = computeBoundingBox(HOAN_KIEM_LAKE, 1_000);
    expect(measureDistanceMetres(HOAN_KIEM_LAKE, { latitude: box.maxLatitude, longitude: HOAN_KIEM_LAKE.longitude })).toBeCloseTo(1_000, 0);
    expect(measureDistanceMetres(HOAN_KIEM_LAKE, { latitude: HOAN_KIEM_LAKE.latitude, longitude: box.minLongitude })).toBeCloseTo(1_000, -1);
  });
});

describe('scoreDuplicate', () => {
  const base = { description: REPORT, areaUnitId: 70, ...HOAN_KIEM_LAKE };

  it('scores the same report in the same ward high, symmetric', () => {
    const copy = { description: 'Đèn đường ngõ 20 Hàng Bông hỏng cả tuần nay, tối om', areaUnitId: 70 };
    const score = scoreDuplicate(base, copy);
    expect(score.sameArea).toBe(true);
    expect(score.samePlace).toBe(true);
    expect(score.distanceMetres).toBeUndefined();
    expect(score.score).toBeGreaterThan(0.5);
    expect(scoreDuplicate(copy, base).score).toBeCloseTo(score.score, 12);
  });

  it('finds an accent-less copy', () => {
    const score = scoreDuplicate(base, { description: 'den duong ngo 20 pho hang bong hong hon 1 tuan, toi om, phu nu di lam ve so', areaUnitId: 70 });
    expect(score.score).toBeGreaterThan(0.6);
  });

  it('scores 0 for the same text at another place, but keeps the text similarity', () => {
    const far = { description: REPORT, areaUnitId: 4, latitude: 21.25, longitude: 105.85 };
    const score = scoreDuplicate(base, far);
    expect(score.samePlace).toBe(false);
    expect(score.score).toBe(0);
    expect(score.textSimilarity).toBeCloseTo(1, 10);
    expect(score.distanceMetres).toBeGreaterThan(20_000);
  });

  it('counts a nearby case in the next ward as the same place, within the radius only', () => {
    const nearby = { description: REPORT, areaUnitId: 71, latitude: HOAN_KIEM_LAKE.latitude + 0.0027, longitude: HOAN_KIEM_LAKE.longitude };
    const within = scoreDuplicate(base, nearby);
    expect(within.sameArea).toBe(false);
    expect(within.samePlace).toBe(true);
    expect(within.distanceMetres).toBeCloseTo(300, -1);
    expect(scoreDuplicate(base, nearby, { radiusMetres: 250 }).score).toBe(0);
  });

  it('keeps another issue at the same address below the default threshold', () => {
    const other = { description: 'Rác thải ở đầu ngõ 20 phố Hàng Bông tồn đọng ba ngày không ai thu gom, bốc mùi hôi.', areaUnitId: 70 };
    expect(scoreDuplicate(base, other).score).toBeLessThan(0.35);
  });

  it('does not treat two cases without a ward as the same place', () => {
    expect(scoreDuplicate({ description: REPORT }, { description: REPORT }).samePlace).toBe(false);
  });
});
