// The account pages' security rules, as data: claiming an old card sends a code to someone's contact on
// file (per member and per card), and coupon codes can be guessed (per member).
import type { LimitRule } from '../../server/security/rate-limit/rate-limiter.ts';

export const ACCOUNT_RULES: Record<'cardClaimMember' | 'cardClaimCard' | 'couponMember' | 'exportMember' | 'receiptEmailMember' | 'consentChangeMember', LimitRule> = {
  cardClaimMember: { name: 'card-claim-member', points: 10, durationSeconds: 3600 },
  cardClaimCard: { name: 'card-claim-card', points: 3, durationSeconds: 3600 },
  couponMember: { name: 'coupon-member', points: 20, durationSeconds: 3600 },
  exportMember: { name: 'export-member', points: 5, durationSeconds: 24 * 3600 },
  receiptEmailMember: { name: 'receipt-email-member', points: 10, durationSeconds: 24 * 3600 },
  // Each change signs and stores a receipt: plenty for a member changing their mind, not a flood of rows.
  consentChangeMember: { name: 'consent-change-member', points: 60, durationSeconds: 3600 },
};
