// The code sign-in pages' security rules, as data. They count every request, member or not, so a limit
// never tells an address or number with an account from one without (the SMS guard counts only sends).
import type { AttackProtection } from '../../config/attack-protection.ts';
import type { LimitRule } from '../../server/security/rate-limit/rate-limiter.ts';

const HOUR = 3600;

export function codeSignInRules(settings: AttackProtection): Record<'emailAddress' | 'emailDestination' | 'smsAddress' | 'smsDestination', LimitRule> {
  return {
    emailAddress: { name: 'code-sign-in-email-address', points: 30, durationSeconds: HOUR },
    emailDestination: { name: 'code-sign-in-email', points: 5, durationSeconds: HOUR },
    // No looser than the SMS guard's own limits, so it is never the guard that answers first.
    smsAddress: { name: 'code-sign-in-sms-address', points: settings.sms.perIpPerHour, durationSeconds: HOUR },
    smsDestination: { name: 'code-sign-in-sms-number', points: settings.sms.perNumberPerHour, durationSeconds: HOUR },
  };
}
