// Tiers follow lifetime points; request hashes tell a replay from a different request.
import { requestHash, tierFor } from './loyalty-service.ts';

describe('tiers', () => {
  it.each([[0, 'member'], [999, 'member'], [1000, 'silver'], [4999, 'silver'], [5000, 'gold'], [19_999, 'gold'], [20_000, 'platinum'], [1e9, 'platinum']])(
    '%i lifetime points is %s', (points, tier) => {
      expect(tierFor(points)).toBe(tier);
    });
});

describe('requestHash', () => {
  it('ignores key order and tells different values apart', () => {
    expect(requestHash({ a: 1, b: 'x' })).toBe(requestHash({ b: 'x', a: 1 }));
    expect(requestHash({ a: 1, b: 'x' })).not.toBe(requestHash({ a: 2, b: 'x' }));
    expect(requestHash({ a: 1, b: null })).not.toBe(requestHash({ a: 1, b: 'null' }));
  });
});
