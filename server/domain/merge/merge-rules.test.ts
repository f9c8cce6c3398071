// The merge's rules on their own: which identifiers the survivor takes, the stricter consent, profile gaps, lifetime carried.
import { consentChanges, identifierMoves, latestAnswers, lifetimeCarried, profileGaps } from './merge-rules.ts';

const account = (emailVerified: boolean, phone: string | null, passwordHash: string | null) => ({ emailVerified, phone, passwordHash });

describe('merge rules', () => {
  test('the survivor keeps its identifiers and takes only what it lacks', () => {
    expect(identifierMoves(account(true, '+33600000001', 'h1'), account(true, '+33600000002', 'h2'))).toEqual({ email: false, phone: false, password: false });
    expect(identifierMoves(account(false, null, null), account(true, '+33600000002', 'h2'))).toEqual({ email: true, phone: true, password: true });
    // An unverified address of the absorbed member never replaces anything.
    expect(identifierMoves(account(false, null, null), account(false, null, null))).toEqual({ email: false, phone: false, password: false });
  });

  test('a refusal beats a grant; a purpose only the absorbed member answered is taken as it is', () => {
    const survivor = [{ purpose: 'marketing_email', version: 1, granted: true }, { purpose: 'profiling', version: 2, granted: false }];
    const absorbed = [
      { purpose: 'marketing_email', version: 2, granted: false },
      { purpose: 'profiling', version: 1, granted: true },
      { purpose: 'partner_sharing', version: 1, granted: true },
    ];
    expect(consentChanges(survivor, absorbed)).toEqual([
      { purpose: 'marketing_email', version: 2, granted: false },
      { purpose: 'partner_sharing', version: 1, granted: true },
    ]);
    expect(latestAnswers([
      { purpose: 'p', version: 1, granted: true, at: new Date(1) },
      { purpose: 'p', version: 1, granted: false, at: new Date(2) },
    ])).toEqual([{ purpose: 'p', version: 1, granted: false }]);
  });

  test('profile gaps are filled, values the survivor has win', () => {
    expect(profileGaps({ given_name: { value: 'Ana' }, birthdate: { value: null } }, { given_name: { value: 'Anna' }, birthdate: { value: '1990-01-01' }, postal_code: { value: '75001' }, city: { value: null } }))
      .toEqual({ birthdate: '1990-01-01', postal_code: '75001' });
  });

  test('the survivor\'s adjust carries the absorbed lifetime beyond the points it moves', () => {
    expect(lifetimeCarried({ balance: 300, lifetimePoints: 1200 })).toBe(900);
    expect(lifetimeCarried({ balance: 0, lifetimePoints: 0 })).toBe(0);
  });
});
