// Where a country is, roughly (world-countries' `latlng`, ODbL 1.0), and how far apart two places are: enough
// for "impossible travel" between the countries of two sign-ins, which is all a country database can tell.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Coordinates } from './geo.ts';

const EARTH_RADIUS_KM = 6371;

let centroids: ReadonlyMap<string, Coordinates> | undefined;

/**
 * The package's 1.4 MB JSON, read once on first use and reduced to code → coordinates: importing it
 * would keep every name, currency and translation of every country in memory for the process's life.
 */
function loadCentroids(): ReadonlyMap<string, Coordinates> {
  const path = createRequire(import.meta.url).resolve('world-countries/countries.json');
  const countries = JSON.parse(readFileSync(path, 'utf8')) as Array<{ cca2?: unknown; latlng?: unknown }>;
  const byCode = new Map<string, Coordinates>();
  for (const { cca2, latlng } of countries) {
    if (typeof cca2 !== 'string' || !Array.isArray(latlng)) continue;
    const [lat, lon] = latlng as unknown[];
    if (typeof lat !== 'number' || typeof lon !== 'number') continue;
    byCode.set(cca2.toUpperCase(), Object.freeze({ lat, lon }));
  }
  return byCode;
}

/** A representative point of the country (ISO 3166-1 alpha-2, any case); undefined when unknown. */
export function countryCentroid(country: string): Coordinates | undefined {
  if (typeof country !== 'string' || country.length !== 2) return undefined;
  centroids ??= loadCentroids();
  return centroids.get(country.toUpperCase());
}

const radians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle distance in km (haversine on a sphere of radius 6371 km). */
export function distanceKm(a: Coordinates, b: Coordinates): number {
  const dLat = radians(b.lat - a.lat);
  const dLon = radians(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLon / 2) ** 2;
  // min() guards asin against rounding just above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
