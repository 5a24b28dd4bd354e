export interface GeoPoint {
  latitude: number;
  longitude: number;
}

/** Mean Earth radius (IUGG); the error against the ellipsoid is under 0.5 %, far below GPS noise in a phone. */
const EARTH_RADIUS_METRES = 6_371_008.8;
/** Metres per degree of latitude, for bounding boxes. */
export const METRES_PER_DEGREE_LATITUDE = (Math.PI * EARTH_RADIUS_METRES) / 180;

const toRadians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle (haversine) distance in metres. */
export function measureDistanceMetres(a: GeoPoint, b: GeoPoint): number {
  const dLat = toRadians(b.latitude - a.latitude);
  const dLon = toRadians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a.latitude)) * Math.cos(toRadians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Latitude/longitude box that contains the circle of `radiusMetres` around `centre`: a cheap SQL
 * prefilter, refined with the exact distance afterwards. Hà Nội is far from the poles, so the
 * cosine never gets near zero.
 */
export function computeBoundingBox(centre: GeoPoint, radiusMetres: number) {
  const latitudeDelta = radiusMetres / METRES_PER_DEGREE_LATITUDE;
  const longitudeDelta = radiusMetres / (METRES_PER_DEGREE_LATITUDE * Math.max(0.01, Math.cos(toRadians(centre.latitude))));
  return {
    minLatitude: centre.latitude - latitudeDelta,
    maxLatitude: centre.latitude + latitudeDelta,
    minLongitude: centre.longitude - longitudeDelta,
    maxLongitude: centre.longitude + longitudeDelta,
  };
}
