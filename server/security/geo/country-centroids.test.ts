// Country centroids and great-circle distance, as the impossible-travel rule will use them.
import { ipv4Table } from '../../../test/support/geo-ips.ts';
import { countryCentroid, distanceKm } from './country-centroids.ts';

const at = (country: string) => {
  const point = countryCentroid(country);
  if (!point) throw new Error(`no centroid for ${country}`);
  return point;
};

describe('countryCentroid', () => {
  it.each(['GB', 'FR', 'US', 'AU'])('knows %s', (country) => {
    const { lat, lon } = at(country);
    expect(Math.abs(lat)).toBeLessThanOrEqual(90);
    expect(Math.abs(lon)).toBeLessThanOrEqual(180);
  });

  it('reads codes in any case', () => {
    expect(countryCentroid('gb')).toEqual(at('GB'));
    expect(countryCentroid('Fr')).toEqual(at('FR'));
  });

  it.each(['', 'ZZ', 'XX', 'GBR', 'G', '1A', undefined as unknown as string])('knows nothing of %j', (country) => {
    expect(countryCentroid(country)).toBeUndefined();
  });

  it('has a centroid for every country the IP data can answer', () => {
    const countries = ipv4Table().codes.filter((code) => code !== undefined);
    expect(countries.filter((code) => countryCentroid(code) === undefined)).toEqual([]);
  });
});

describe('distanceKm', () => {
  it('puts France a short hop from Britain and Australia across the world', () => {
    const gbFr = distanceKm(at('GB'), at('FR'));
    expect(gbFr).toBeGreaterThan(300);
    expect(gbFr).toBeLessThan(1000);
    expect(distanceKm(at('GB'), at('AU'))).toBeGreaterThan(14_000);
  });

  it('is zero from a point to itself and the same both ways', () => {
    expect(distanceKm(at('US'), at('US'))).toBe(0);
    expect(distanceKm(at('US'), at('JP'))).toBeCloseTo(distanceKm(at('JP'), at('US')), 9);
  });

  it('measures on a sphere of radius 6371 km', () => {
    expect(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * 6371, 6);
    expect(distanceKm({ lat: 90, lon: 0 }, { lat: -90, lon: 0 })).toBeCloseTo(Math.PI * 6371, 6);
    expect(distanceKm({ lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 })).toBeCloseTo((Math.PI * 6371) / 180, 6);
  });
});
