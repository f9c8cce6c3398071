// Redemption needs a verified member, a two-factor sign-in within 10 minutes, and no credential change
// in the last 24 hours.
import type { Account } from '../accounts/account.ts';
import { checkRedemption } from './redemption-policy.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const now = Math.floor(NOW / 1000);
const account = (overrides: Partial<Account> = {}): Account => ({
  id: 'a1', email: 'a@example.com', emailVerified: true, phone: null, passwordHash: 'x',
  createdAt: new Date(0), updatedAt: new Date(0), credentialsChangedAt: null, contactChangedAt: null, passwordFromMailboxAt: null, ...overrides,
});

describe('checkRedemption', () => {
  it('allows loa:2 and phr within 10 minutes', () => {
    expect(checkRedemption(account(), { acr: 'urn:loyalty:loa:2', authTime: now - 600 }, NOW)).toEqual({ ok: true });
    expect(checkRedemption(account(), { acr: 'urn:loyalty:loa:phr', authTime: now }, NOW)).toEqual({ ok: true });
  });

  it.each([
    ['one factor', { acr: 'urn:loyalty:loa:1', authTime: now }],
    ['no acr', { acr: undefined, authTime: now }],
    ['an unknown acr', { acr: 'urn:other:gold', authTime: now }],
    ['an old sign-in', { acr: 'urn:loyalty:loa:2', authTime: now - 601 }],
    ['no auth_time', { acr: 'urn:loyalty:loa:2', authTime: undefined }],
    ['an auth_time in the future', { acr: 'urn:loyalty:loa:2', authTime: now + 3600 }],
  ])('asks for a step-up after %s', (_name, auth) => {
    expect(checkRedemption(account(), auth, NOW)).toEqual({ ok: false, reason: 'step_up' });
  });

  it('refuses an unverified member before anything else', () => {
    expect(checkRedemption(account({ emailVerified: false }), { acr: 'urn:loyalty:loa:2', authTime: now }, NOW)).toEqual({ ok: false, reason: 'not_verified' });
  });

  it('freezes redemption for 24 hours after a credential change', () => {
    const changed = account({ credentialsChangedAt: new Date(NOW - 3600_000) });
    expect(checkRedemption(changed, { acr: 'urn:loyalty:loa:2', authTime: now }, NOW)).toEqual({ ok: false, reason: 'frozen', retryAfterSeconds: 23 * 3600 });
    const phoneChanged = account({ credentialsChangedAt: new Date(NOW - 48 * 3600_000), contactChangedAt: new Date(NOW - 2 * 3600_000) });
    expect(checkRedemption(phoneChanged, { acr: 'urn:loyalty:loa:2', authTime: now }, NOW)).toEqual({ ok: false, reason: 'frozen', retryAfterSeconds: 22 * 3600 });
    const dayOld = account({ credentialsChangedAt: new Date(NOW - 24 * 3600_000) });
    expect(checkRedemption(dayOld, { acr: 'urn:loyalty:loa:2', authTime: now }, NOW)).toEqual({ ok: true });
  });
});
