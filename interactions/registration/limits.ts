// The sign-up page's security rules, as data: velocity per address and per browser (see SignUpProtection).
import type { AttackProtection } from '../../config/attack-protection.ts';
import type { SignUpRules } from '../../server/security/sign-up-protection.ts';

const HOUR = 3600;

export function signUpRules(settings: AttackProtection): SignUpRules {
  const { perIpPerHour, perDevicePerHour } = settings.signUp;
  return {
    perAddress: { name: 'sign-up-address', points: perIpPerHour, durationSeconds: HOUR },
    perDevice: { name: 'sign-up-device', points: perDevicePerHour, durationSeconds: HOUR },
    // A household or an office signs up a few members; a script signs up dozens.
    challengeAfter: Math.max(3, Math.floor(perIpPerHour / 10)),
    // Without JavaScript the check cannot run: a challenged address still gets this many sign-ups an hour
    // that way, so a member without scripts is never stuck, and a script that skips the check gains no more.
    noScriptPerAddress: { name: 'sign-up-no-script-address', points: 2, durationSeconds: HOUR },
  };
}
