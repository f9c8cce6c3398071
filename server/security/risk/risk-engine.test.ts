// The risk rules, one by one and added up, on a real store's device history: each rule changes the outcome.
import { openSqliteStorage } from '../../../adapters/sqlite/index.ts';
import type { Storage } from '../../domain/storage.ts';
import { countryCentroid, distanceKm } from '../geo/country-centroids.ts';
import { HIGH_RISK_SCORE, RiskEngine, riskRules } from './risk-engine.ts';

const GEO: Record<string, string> = { '81.2.69.160': 'GB', '1.1.1.1': 'AU', '2.2.2.2': 'FR', '3.3.3.3': 'US', '4.4.4.4': 'IE' };
const HOUR = 3_600_000;

describe('risk engine', () => {
  let storage: Storage;
  let failures = 0;
  beforeAll(async () => {
    storage = await openSqliteStorage({ dataDir: ':memory:' });
  });
  afterAll(() => storage.close());

  function engine(newDeviceStepUp = true) {
    return new RiskEngine({
      devices: storage.devices,
      geo: { country: (ip) => GEO[ip] },
      places: { centroid: countryCentroid, distanceKm },
      recentFailures: async () => failures,
      rules: riskRules(newDeviceStepUp),
    });
  }

  async function history(accountId: string, country: string, hoursAgo: number, device = 'home-device-hash-000') {
    await storage.devices.record(accountId, device, { at: new Date(Date.now() - hoursAgo * HOUR), ip: null, country, userAgent: null });
  }

  const signIn = (accountId: string, ip: string, deviceHash: string | undefined, extra: { credentialsChangedAt?: Date } = {}) =>
    ({ purpose: 'sign-in' as const, accountId, email: `${accountId}@example.com`, ip, deviceHash, credentialsChangedAt: extra.credentialsChangedAt ?? null });

  beforeEach(() => {
    failures = 0;
  });

  test('a known device in a known country is low risk', async () => {
    await history('a1', 'GB', 48);
    const risk = await engine().assess(signIn('a1', '81.2.69.160', 'home-device-hash-000'));
    expect(risk).toMatchObject({ score: 0, high: false, signals: [], country: 'GB' });
  });

  test('new device: alone high by default, a 20-point signal when RISK_NEW_DEVICE_STEP_UP is off', async () => {
    await history('a2', 'GB', 48);
    expect((await engine().assess(signIn('a2', '81.2.69.160', 'other-device-hash-00'))).high).toBe(true);
    const weak = await engine(false).assess(signIn('a2', '81.2.69.160', 'other-device-hash-00'));
    expect(weak).toMatchObject({ high: false, signals: [{ rule: 'new-device', score: 20 }] });
    // API calls carry no device cookie: the rule says nothing.
    expect((await engine().assess({ ...signIn('a2', '81.2.69.160', undefined), purpose: 'redemption' })).signals).toEqual([]);
  });

  test('new country adds up with a new device (off-by-default knob) to a step-up; alone it does not', async () => {
    await history('a3', 'GB', 72);
    const alone = await engine(false).assess(signIn('a3', '2.2.2.2', 'home-device-hash-000'));
    expect(alone.signals.map((s) => s.rule)).toEqual(['new-country']);
    expect(alone.high).toBe(false);
    const both = await engine(false).assess(signIn('a3', '2.2.2.2', 'other-device-hash-00'));
    expect(both.score).toBe(50);
    expect(both.high).toBe(true);
  });

  test('impossible travel: Britain an hour ago, Australia now; the same trip over two days is fine', async () => {
    await history('a4', 'GB', 1);
    const jump = await engine().assess(signIn('a4', '1.1.1.1', 'home-device-hash-000'));
    expect(jump.signals.map((s) => s.rule)).toEqual(['new-country', 'impossible-travel']);
    expect(jump.score).toBe(100);
    await history('a5', 'GB', 48);
    const trip = await engine().assess(signIn('a5', '1.1.1.1', 'home-device-hash-000'));
    expect(trip.signals.map((s) => s.rule)).toEqual(['new-country']);
    // Neighbours (centroids under 500 km apart, Britain and Ireland ~410 km) never count, however quick:
    // country centroids are too coarse to tell a border crossing from a flight.
    await history('a6', 'GB', 0.1);
    expect((await engine().assess(signIn('a6', '4.4.4.4', 'home-device-hash-000'))).signals.map((s) => s.rule)).toEqual(['new-country']);
    // London to Paris (~930 km between centroids) in six minutes is not a trip anyone makes.
    await history('a9', 'GB', 0.1);
    expect((await engine().assess(signIn('a9', '2.2.2.2', 'home-device-hash-000'))).signals.map((s) => s.rule)).toContain('impossible-travel');
  });

  test('recent failures: five this hour add 30, so a new device with the knob off steps up', async () => {
    await history('a7', 'GB', 48);
    failures = 4;
    expect((await engine(false).assess(signIn('a7', '81.2.69.160', 'other-device-hash-00'))).high).toBe(false);
    failures = 5;
    const risk = await engine(false).assess(signIn('a7', '81.2.69.160', 'other-device-hash-00'));
    expect(risk.signals.map((s) => s.rule)).toEqual(['new-device', 'recent-failures']);
    expect(risk.score).toBeGreaterThanOrEqual(HIGH_RISK_SCORE);
  });

  test('credential change within 7 days counts for redemptions only; with a new country it is high', async () => {
    await history('a8', 'GB', 48);
    const changed = new Date(Date.now() - 3 * 24 * HOUR);
    const redemption = { ...signIn('a8', '3.3.3.3', undefined, { credentialsChangedAt: changed }), purpose: 'redemption' as const };
    const risk = await engine().assess(redemption);
    expect(risk.signals.map((s) => s.rule)).toEqual(['new-country', 'credential-change']);
    expect(risk.high).toBe(true);
    expect((await engine().assess({ ...redemption, credentialsChangedAt: new Date(Date.now() - 8 * 24 * HOUR) })).high).toBe(false);
    expect((await engine().assess(signIn('a8', '81.2.69.160', 'home-device-hash-000', { credentialsChangedAt: changed }))).signals).toEqual([]);
  });

  test('an account with no history and an address no database places give nothing to compare', async () => {
    const risk = await engine(false).assess(signIn('nobody', '10.0.0.1', undefined));
    expect(risk).toMatchObject({ score: 0, high: false, country: undefined });
  });
});
