// The attack-protection settings (issue 5): thresholds an operator may tune, each documented for the README table.
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

/** A whole number in [min, max], named in the error so the boot message says what is expected. */
const count = (min: number, max: number) => z.coerce
  .number({ error: `expected a whole number ${min}-${max}` })
  .int(`expected a whole number ${min}-${max}`)
  .min(min, `expected a whole number ${min}-${max}`)
  .max(max, `expected a whole number ${min}-${max}`);

const countryList = z
  .string()
  .transform((value) => value.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean))
  .refine((codes) => codes.length > 0 && codes.every((c) => c === '*' || (/^[A-Z]{2}$/.test(c) && isSupportedCountry(c))), 'expected comma-separated ISO 3166-1 alpha-2 country codes such as GB,IE (or * for every country)');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const attackProtectionSettings = {
  RISK_NEW_DEVICE_STEP_UP: {
    schema: bool.default(true),
    description: 'A right password on a browser the member never signed in on asks for a second factor (a code to the verified email when the member has nothing else), as adaptive MFA does: a stolen password alone takes over nothing. false: a new device only counts toward the risk score with the other signals (new country, impossible travel, recent failures).',
    defaultText: 'true',
  },
  SIGN_IN_PAIR_FAILURES: {
    schema: count(3, 1000).default(10),
    description: 'Failed sign-ins for one email from one IP address within SIGN_IN_PAIR_BLOCK_MINUTES before that pair is blocked for SIGN_IN_PAIR_BLOCK_MINUTES. A success resets the count.',
    defaultText: '10',
  },
  SIGN_IN_PAIR_BLOCK_MINUTES: {
    schema: count(1, 1440).default(15),
    description: 'How long a blocked (email, IP) pair stays blocked, and the window its failures are counted in.',
    defaultText: '15',
  },
  SIGN_IN_ACCOUNT_FAILURES_PER_HOUR: {
    schema: count(10, 100000).default(100),
    description: 'Failed sign-ins for one email from any addresses in an hour before that account needs extra proof on unrecognised devices: the bot challenge plus an emailed unlock link (never a hard lockout). Devices the member signed in on before are not affected.',
    defaultText: '100',
  },
  SIGN_IN_IP_FAILURES_PER_DAY: {
    schema: count(10, 100000).default(100),
    description: 'Failed sign-ins from one IP address in a day before password sign-ins from it are refused until the day is over.',
    defaultText: '100',
  },
  SIGN_UPS_PER_IP_PER_HOUR: {
    schema: count(1, 100000).default(50),
    description: 'Sign-ups from one IP address in an hour; more are refused with a page saying when to try again.',
    defaultText: '50',
  },
  SIGN_UPS_PER_DEVICE_PER_HOUR: {
    schema: count(1, 1000).default(5),
    description: 'Sign-ups from one browser (device cookie) in an hour.',
    defaultText: '5',
  },
  STUFFING_ACCOUNTS_PER_IP: {
    schema: count(2, 10000).default(5),
    description: 'Credential stuffing, one source: when this many different emails fail to sign in from one IP address within an hour, sign-ins from that address on unrecognised devices need the bot challenge for 24 hours.',
    defaultText: '5',
  },
  STUFFING_FAILURES_PER_5_MIN: {
    schema: count(10, 100000).default(100),
    description: 'Credential stuffing, many sources: when this many sign-ins fail within 5 minutes from at least 10 addresses and at least STUFFING_UNKNOWN_PERCENT of them name no account, every sign-in on an unrecognised device needs the bot challenge for 30 minutes.',
    defaultText: '100',
  },
  STUFFING_UNKNOWN_PERCENT: {
    schema: count(1, 100).default(50),
    description: 'Share (percent) of failed sign-ins naming no account that marks a burst of failures as credential stuffing.',
    defaultText: '50',
  },
  SPRAY_ACCOUNTS_PER_PASSWORD: {
    schema: count(3, 10000).default(20),
    description: 'Password spraying: when this many different existing accounts fail to sign in with the same password within 10 minutes (from any addresses), every sign-in on an unrecognised device needs the bot challenge for 30 minutes, as in a credential-stuffing burst. The password is counted only as a keyed hash (HMAC with a key derived from KEY_ENCRYPTION_KEY), never stored.',
    defaultText: '20',
  },
  CODES_PER_ACCOUNT_PER_DAY: {
    schema: count(1, 1000).default(10),
    description: 'One-time codes one account (or one unknown email or number) may be sent per purpose (email verification, sign-in code, step-up, reset, phone verification, card claim) in 24 hours; more are refused with a page saying when to try again (24 hours from the first code), and the first refusal is audited (code.budget_exhausted).',
    defaultText: '10',
  },
  CODE_FAILURES_PER_ACCOUNT_PER_DAY: {
    schema: count(1, 1000).default(20),
    description: 'Wrong one-time codes one account (or one unknown email or number) may enter per purpose in 24 hours, across all its codes; past it, codes of that purpose are refused, even the right one, until the 24 hours from the first wrong code are over (the page says how long; audited as code.budget_exhausted). Other ways in (password, passkey) are not affected.',
    defaultText: '20',
  },
  SMS_PER_NUMBER_PER_HOUR: {
    schema: count(1, 100).default(3),
    description: 'Text messages to one mobile number in an hour (SMS pumping defence).',
    defaultText: '3',
  },
  SMS_PER_IP_PER_HOUR: {
    schema: count(1, 10000).default(10),
    description: 'Text messages triggered from one IP address in an hour.',
    defaultText: '10',
  },
  SMS_DAILY_BUDGET: {
    schema: count(1, 100000).default(1000),
    description: 'Text messages the whole program sends in a day; past it, SMS sends stop until the day is over and an alert event is logged.',
    defaultText: '1000',
  },
  SMS_ALLOWED_COUNTRIES: {
    schema: countryList.optional(),
    description: 'Countries (comma-separated ISO 3166-1 alpha-2, or *) whose mobile numbers may receive text messages, checked again at sending time. Narrow it below SMS_COUNTRIES to pause texts to a country.',
    defaultText: 'SMS_COUNTRIES',
  },
  UNVERIFIED_ACCOUNT_DAYS: {
    schema: count(1, 365).default(7),
    description: 'Sign-ups whose email is still unverified after this many days are deleted (fake-account clean-up).',
    defaultText: '7',
  },
  PWNED_PASSWORDS_URL: {
    schema: z.string().refine((value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'expected a URL starting with http:// or https://').optional(),
    description: 'A k-anonymity range service for breached passwords (such as https://api.pwnedpasswords.com/range/): only the first 5 hex characters of the password\'s SHA-1 are sent. Unreachable or slow (over 1.5 s) means the shipped common-password list alone decides.',
    defaultText: '',
  },
} as const;
