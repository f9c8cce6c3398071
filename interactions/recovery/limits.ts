// The forgot-password page's security rules, as data: each request mails a code, so it is mail-bombing
// and enumeration cost; counted for every email, member or not.
import type { LimitRule } from '../../server/security/rate-limit/rate-limiter.ts';

export const RECOVERY_RULES: Record<'address' | 'destination', LimitRule> = {
  address: { name: 'recovery-address', points: 30, durationSeconds: 3600 },
  destination: { name: 'recovery-email', points: 5, durationSeconds: 3600 },
};
