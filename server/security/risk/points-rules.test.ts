// The points-fraud rules one by one (each fires on what a thief does and stays quiet on what a member does),
// and the outcome ladder a score leads to.
import { ACR } from '../../../config/assurance.ts';
import { DEFAULT_POINTS_FRAUD } from '../../../config/points-fraud.ts';
import type { KnownDevice } from '../../domain/devices/devices.repository.ts';
import type { LedgerEntry, LedgerKind } from '../../domain/loyalty/loyalty.repository.ts';
import type { RedemptionFacts } from './points-risk.ts';
import { createMemoryRateLimitStore } from '../rate-limit/memory-store.ts';
import { CouponDeviceGuard } from './coupon-device-guard.ts';
import { redemptionOutcome } from './redemption-risk.ts';
import { couponDeviceSharing } from './rules/coupon-device-sharing.ts';
import { balanceDrain } from './rules/balance-drain.ts';
import { partnerEarnBurst } from './rules/partner-earn-burst.ts';
import { redemptionAfterNewCountry } from './rules/redemption-after-new-country.ts';
import { redemptionAfterNewDevice } from './rules/redemption-after-new-device.ts';
import { redemptionAfterNewLink } from './rules/redemption-after-new-link.ts';
import { redemptionVelocity } from './rules/redemption-velocity.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-12-05T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function device(firstSeenAgo: number, lastSeenAgo: number, country: string | null = 'MX'): KnownDevice {
  return { accountId: 'm', deviceHash: `d${firstSeenAgo}-${lastSeenAgo}`, firstSeenAt: ago(firstSeenAgo), lastSeenAt: ago(lastSeenAgo), lastIp: null, lastCountry: country, userAgent: null };
}

let sequence = 0;
function entry(kind: LedgerKind, points: number, whenAgo: number, partnerId: string | null = null): LedgerEntry {
  sequence += 1;
  return { id: `e${sequence}`, accountId: 'm', sequence, kind, points, balanceAfter: 0, lifetimeAfter: 0, partnerId, reason: '', idempotencyKey: `k${sequence}`, requestHash: 'h', createdAt: ago(whenAgo) };
}

function facts(over: Partial<RedemptionFacts> = {}): RedemptionFacts {
  return { at: NOW, points: 100, balance: 2000, devices: [device(90 * DAY, HOUR)], linkedAt: [], entries: [], settings: DEFAULT_POINTS_FRAUD, ...over };
}

const fired = (rule: { assess(f: RedemptionFacts): unknown }, f: RedemptionFacts) => rule.assess(f) !== undefined;

describe('points-fraud rules', () => {
  test('redemption after a new device: a device first seen yesterday beside an old one fires; old devices only, or a first device, do not', () => {
    expect(fired(redemptionAfterNewDevice, facts({ devices: [device(DAY, HOUR), device(90 * DAY, 5 * DAY)] }))).toBe(true);
    expect(fired(redemptionAfterNewDevice, facts({ devices: [device(10 * DAY, HOUR), device(90 * DAY, 5 * DAY)] }))).toBe(false);
    expect(fired(redemptionAfterNewDevice, facts({ devices: [device(DAY, HOUR)] }))).toBe(false);
  });

  test('redemption after a new country: a sign-in from Brazil yesterday after months in Mexico fires; Mexico again does not', () => {
    expect(fired(redemptionAfterNewCountry, facts({ devices: [device(DAY, HOUR, 'BR'), device(90 * DAY, 10 * DAY, 'MX')] }))).toBe(true);
    expect(fired(redemptionAfterNewCountry, facts({ devices: [device(DAY, HOUR, 'MX'), device(90 * DAY, 10 * DAY, 'MX')] }))).toBe(false);
    expect(fired(redemptionAfterNewCountry, facts({ devices: [device(DAY, HOUR, 'BR')] }))).toBe(false);
  });

  test('redemption after a new linked account: linked an hour ago fires; linked last month does not', () => {
    expect(fired(redemptionAfterNewLink, facts({ linkedAt: [ago(HOUR)] }))).toBe(true);
    expect(fired(redemptionAfterNewLink, facts({ linkedAt: [ago(30 * DAY)] }))).toBe(false);
  });

  test('redemption velocity: a fourth redemption this hour fires; a member who always redeems in bursts does not', () => {
    const burst = [entry('redeem', -100, 10 * 60_000), entry('hold', -100, 20 * 60_000), entry('redeem', -100, 30 * 60_000)];
    expect(fired(redemptionVelocity, facts({ entries: burst }))).toBe(true);
    expect(fired(redemptionVelocity, facts({ entries: burst.slice(0, 2) }))).toBe(false);
    // The same member's history: bursts of 3 in one hour on an earlier day, so 4 now is under 3 × 3.
    const habit = [10, 11, 12].map(() => entry('redeem', -100, 5 * DAY));
    expect(fired(redemptionVelocity, facts({ entries: [...burst, ...habit] }))).toBe(false);
  });

  test('redemption velocity by points: 6,000 points in a day fires against the floor; not for a member whose days reach 3,000', () => {
    const today = [entry('redeem', -3000, 3 * HOUR), entry('redeem', -2500, 6 * HOUR)];
    expect(fired(redemptionVelocity, facts({ points: 500, entries: today }))).toBe(true);
    expect(fired(redemptionVelocity, facts({ points: 500, entries: [...today, entry('redeem', -3000, 8 * DAY)] }))).toBe(false);
  });

  test('balance drain: 90% of 5,000 fires; 50% does not; all of a 300-point balance does not', () => {
    expect(fired(balanceDrain, facts({ points: 4500, balance: 5000 }))).toBe(true);
    expect(fired(balanceDrain, facts({ points: 2500, balance: 5000 }))).toBe(false);
    expect(fired(balanceDrain, facts({ points: 300, balance: 300 }))).toBe(false);
  });

  test('partner earn burst: 8,000 points from one partner today fires; the same from three partners, or a partner who usually gives that much, does not', () => {
    expect(fired(partnerEarnBurst, facts({ entries: [entry('earn', 5000, HOUR, 'p1'), entry('earn', 3000, 2 * HOUR, 'p1')] }))).toBe(true);
    expect(fired(partnerEarnBurst, facts({ entries: [entry('earn', 3000, HOUR, 'p1'), entry('earn', 3000, HOUR, 'p2'), entry('earn', 2000, HOUR, 'p3')] }))).toBe(false);
    expect(fired(partnerEarnBurst, facts({ entries: [entry('earn', 8000, HOUR, 'p1'), entry('earn', 4000, 10 * DAY, 'p1')] }))).toBe(false);
  });
});

describe('coupon device sharing', () => {
  test('the rule fires at the limit of other members on the device, not below it', () => {
    expect(couponDeviceSharing.assess({ members: 3, limit: 3 })).toEqual({ rule: 'coupon-device-sharing', score: 100 });
    expect(couponDeviceSharing.assess({ members: 2, limit: 3 })).toBeUndefined();
  });

  test('the guard counts different members per campaign and device: the fourth member on one browser is refused, the first three (again) and another browser are not', async () => {
    const guard = new CouponDeviceGuard(createMemoryRateLimitStore(), { couponMembersPerDevice: 3, recentMs: DEFAULT_POINTS_FRAUD.recentMs });
    const use = (accountId: string, device = 'browser-1', campaignId = 'c1') => ({ campaignId, device, accountId });
    for (const member of ['a', 'b', 'c']) {
      expect(await guard.check(use(member))).toBeUndefined();
      await guard.record(use(member));
    }
    await guard.record(use('a'));
    expect(await guard.check(use('a'))).toBeUndefined();
    expect(await guard.check(use('d'))).toMatchObject({ rule: 'coupon-device-sharing' });
    expect(await guard.check(use('d', 'browser-2'))).toBeUndefined();
    expect(await guard.check(use('d', 'browser-1', 'c2'))).toBeUndefined();
  });
});

describe('redemption outcome', () => {
  const nowS = Math.floor(NOW.getTime() / 1000);
  const settings = { passkeyScore: 70, denyScore: 100 };
  const two = (ageS: number) => ({ acr: ACR.twoFactors, authTime: nowS - ageS });
  const passkey = (ageS: number) => ({ acr: ACR.phishingResistant, authTime: nowS - ageS });

  test('low risk: two factors in 10 minutes; high: in 2 minutes', () => {
    expect(redemptionOutcome(0, two(300), settings, NOW.getTime())).toEqual({ outcome: 'allow' });
    expect(redemptionOutcome(0, two(900), settings, NOW.getTime())).toMatchObject({ outcome: 'step_up', maxAge: 600 });
    expect(redemptionOutcome(50, two(300), settings, NOW.getTime())).toMatchObject({ outcome: 'step_up', maxAge: 120, acrValues: ACR.twoFactors });
    expect(redemptionOutcome(50, two(60), settings, NOW.getTime())).toEqual({ outcome: 'allow' });
  });

  test('highest risk: a fresh passkey passes, fresh two factors are held, anything older asks for a passkey; deny score refuses', () => {
    expect(redemptionOutcome(70, passkey(60), settings, NOW.getTime())).toEqual({ outcome: 'allow' });
    expect(redemptionOutcome(70, two(60), settings, NOW.getTime())).toEqual({ outcome: 'hold' });
    expect(redemptionOutcome(70, passkey(600), settings, NOW.getTime())).toMatchObject({ outcome: 'step_up', acrValues: `${ACR.phishingResistant} ${ACR.twoFactors}` });
    expect(redemptionOutcome(100, passkey(10), settings, NOW.getTime())).toEqual({ outcome: 'deny' });
    expect(redemptionOutcome(100, passkey(10), { passkeyScore: 101, denyScore: 101 }, NOW.getTime())).toEqual({ outcome: 'allow' });
  });
});
