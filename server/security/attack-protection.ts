// Composition of the attack protection (issue 5): lockout and stuffing counters, risk engine, sign-up
// velocity, SMS pumping guard and the device cookie, built once from the config and the store.
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { LOCKOUT_NOTICE, signInRules, UNLOCK_MAIL } from '../../interactions/login/limits.ts';
import { signUpRules } from '../../interactions/registration/limits.ts';
import type { Mailer } from '../domain/mail/mailer.ts';
import type { SmsSender } from '../domain/sms/sms-sender.ts';
import type { Storage } from '../domain/storage.ts';
import { deriveKey } from './crypto.ts';
import { DeviceCookie } from './device-cookie.ts';
import { countryCentroid, distanceKm } from './geo/country-centroids.ts';
import { loadGeoLookup } from './geo/ip-country.ts';
import { SignInGuard } from './lockout/sign-in-guard.ts';
import { UnlockLinks } from './lockout/unlock-links.ts';
import { RiskEngine, riskRules } from './risk/risk-engine.ts';
import type { SecurityEvents } from './security-events.ts';
import { SignInProtection } from './sign-in-protection.ts';
import { SignUpProtection } from './sign-up-protection.ts';
import { guardSmsSender, smsRules } from './sms-guard.ts';

export interface AttackProtectionParts {
  signIns: SignInProtection;
  signUps: SignUpProtection;
  risk: RiskEngine;
  deviceCookie: DeviceCookie;
  /** The SMS sender behind the pumping guard (undefined stays undefined: no SMS offered). */
  guardSms(sender: SmsSender | undefined): SmsSender | undefined;
}

export async function createAttackProtection(deps: {
  config: Readonly<Config>;
  storage: Storage;
  mailer: Mailer;
  events: SecurityEvents;
  logger: Logger;
}): Promise<AttackProtectionParts> {
  const { config, storage, mailer, events, logger } = deps;
  const settings = config.attackProtection;
  const kek = config.keyEncryptionKey;
  const store = storage.rateLimits;
  const guard = new SignInGuard(store, signInRules(settings));
  const risk = new RiskEngine({
    devices: storage.devices,
    geo: await loadGeoLookup(),
    places: { centroid: countryCentroid, distanceKm },
    recentFailures: (email) => guard.recentFailures(email),
    rules: riskRules(settings.newDeviceStepUp),
  });
  const signIns = new SignInProtection({
    guard,
    risk,
    devices: storage.devices,
    accounts: storage.accounts,
    events,
    mailer,
    unlockLinks: new UnlockLinks(deriveKey(kek, 'unlock-links')),
    uses: storage.factors,
    rateLimits: store,
    noticeRule: LOCKOUT_NOTICE,
    unlockMailRule: UNLOCK_MAIL,
    issuer: config.issuer,
    sprayKey: deriveKey(kek, 'password-spraying'),
    logger,
  });
  const rules = smsRules(settings.sms);
  return {
    signIns,
    signUps: new SignUpProtection(store, signUpRules(settings), () => guard.underBurst()),
    risk,
    deviceCookie: new DeviceCookie(deriveKey(kek, 'device-cookie'), config.env === 'production'),
    guardSms: (sender) => (sender ? guardSmsSender(sender, { store, rules, events, logger }) : undefined),
  };
}
