// The sign-in page's security rules, as data: the lockout and stuffing counters (see SignInGuard).
import type { AttackProtection } from '../../config/attack-protection.ts';
import type { SignInRules } from '../../server/security/lockout/sign-in-guard.ts';

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Counters that only count (their thresholds are in `stuffing`): never "full". */
const COUNTER = 100_000;
const BURST_WINDOW = 5 * 60;
const BURST_FLAG = 30 * 60;
/** Spraying is slow on purpose (a few tries per account): ten minutes sees a campaign, not one member's typos. */
const SPRAY_WINDOW = 10 * 60;

export function signInRules(settings: AttackProtection): SignInRules {
  const { signIn, stuffing } = settings;
  return {
    // Failures within the block's length count as one streak; the attempt after the last point is refused
    // and blocks the pair that long. A success resets the streak.
    pair: { name: 'sign-in-pair', points: signIn.pairFailures, durationSeconds: signIn.pairBlockSeconds, blockSeconds: signIn.pairBlockSeconds },
    account: { name: 'sign-in-account', points: signIn.accountFailuresPerHour, durationSeconds: HOUR },
    address: { name: 'sign-in-address', points: signIn.ipFailuresPerDay, durationSeconds: DAY },
    addressAccount: { name: 'stuffing-address-email', points: COUNTER, durationSeconds: HOUR },
    addressAccounts: { name: 'stuffing-address-emails', points: COUNTER, durationSeconds: HOUR },
    addressFlag: { name: 'stuffing-address-flag', points: 1, durationSeconds: DAY },
    burstFailures: { name: 'stuffing-burst-failures', points: COUNTER, durationSeconds: BURST_WINDOW },
    burstUnknown: { name: 'stuffing-burst-unknown', points: COUNTER, durationSeconds: BURST_WINDOW },
    burstAddress: { name: 'stuffing-burst-address', points: COUNTER, durationSeconds: BURST_WINDOW },
    burstAddresses: { name: 'stuffing-burst-addresses', points: COUNTER, durationSeconds: BURST_WINDOW },
    burstFlag: { name: 'stuffing-burst-flag', points: 1, durationSeconds: BURST_FLAG },
    sprayAccount: { name: 'spray-password-account', points: COUNTER, durationSeconds: SPRAY_WINDOW },
    sprayAccounts: { name: 'spray-password-accounts', points: COUNTER, durationSeconds: SPRAY_WINDOW },
    stuffing: {
      accountsPerAddress: stuffing.accountsPerIp,
      burstFailures: stuffing.failuresPer5Min,
      burstAddresses: stuffing.minAddresses,
      unknownPercent: stuffing.unknownPercent,
      sprayAccounts: settings.spraying.accountsPerPassword,
    },
  };
}

/** The account owner hears of an attack at most once a day; an unlock link goes out at most every 10 minutes. */
export const LOCKOUT_NOTICE = { name: 'lockout-notice', points: 1, durationSeconds: DAY };
export const UNLOCK_MAIL = { name: 'unlock-mail', points: 1, durationSeconds: 10 * 60 };
