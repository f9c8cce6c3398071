// Attack-protection settings as the services use them (thresholds, SMS budget, clean-up), from the raw env.
import type { RawConfig } from './schema.ts';

export interface AttackProtection {
  signIn: {
    pairFailures: number;
    pairBlockSeconds: number;
    accountFailuresPerHour: number;
    ipFailuresPerDay: number;
  };
  signUp: { perIpPerHour: number; perDevicePerHour: number };
  stuffing: { accountsPerIp: number; failuresPer5Min: number; unknownPercent: number; minAddresses: number };
  /** Password spraying: distinct existing accounts failing with one password (keyed hash) in the spray window. */
  spraying: { accountsPerPassword: number };
  /** Daily budget of one-time codes per (purpose, account): codes issued and wrong tries. */
  codes: { perAccountPerDay: number; failuresPerAccountPerDay: number };
  sms: {
    perNumberPerHour: number;
    perIpPerHour: number;
    dailyBudget: number;
    /** Upper-case alpha-2 codes; undefined means every country. */
    allowedCountries: readonly string[] | undefined;
  };
  unverifiedAccountDays: number;
  pwnedPasswordsUrl: string | undefined;
  /** Whether a new device alone asks for a step-up (else it only adds to the risk score). */
  newDeviceStepUp: boolean;
}

/** At least this many distinct addresses make a burst of failures "many sources" (not one noisy client). */
const STUFFING_MIN_ADDRESSES = 10;

export function attackProtection(raw: RawConfig): AttackProtection {
  const listed = raw.SMS_ALLOWED_COUNTRIES ?? raw.SMS_COUNTRIES;
  return {
    signIn: {
      pairFailures: raw.SIGN_IN_PAIR_FAILURES,
      pairBlockSeconds: raw.SIGN_IN_PAIR_BLOCK_MINUTES * 60,
      accountFailuresPerHour: raw.SIGN_IN_ACCOUNT_FAILURES_PER_HOUR,
      ipFailuresPerDay: raw.SIGN_IN_IP_FAILURES_PER_DAY,
    },
    signUp: { perIpPerHour: raw.SIGN_UPS_PER_IP_PER_HOUR, perDevicePerHour: raw.SIGN_UPS_PER_DEVICE_PER_HOUR },
    stuffing: {
      accountsPerIp: raw.STUFFING_ACCOUNTS_PER_IP,
      failuresPer5Min: raw.STUFFING_FAILURES_PER_5_MIN,
      unknownPercent: raw.STUFFING_UNKNOWN_PERCENT,
      minAddresses: STUFFING_MIN_ADDRESSES,
    },
    spraying: { accountsPerPassword: raw.SPRAY_ACCOUNTS_PER_PASSWORD },
    codes: { perAccountPerDay: raw.CODES_PER_ACCOUNT_PER_DAY, failuresPerAccountPerDay: raw.CODE_FAILURES_PER_ACCOUNT_PER_DAY },
    sms: {
      perNumberPerHour: raw.SMS_PER_NUMBER_PER_HOUR,
      perIpPerHour: raw.SMS_PER_IP_PER_HOUR,
      dailyBudget: raw.SMS_DAILY_BUDGET,
      allowedCountries: listed.includes('*') ? undefined : Object.freeze([...new Set(listed)]),
    },
    unverifiedAccountDays: raw.UNVERIFIED_ACCOUNT_DAYS,
    pwnedPasswordsUrl: raw.PWNED_PASSWORDS_URL,
    newDeviceStepUp: raw.RISK_NEW_DEVICE_STEP_UP,
  };
}
