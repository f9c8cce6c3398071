// Risk rule: a sign-in from a browser this account never signed in on. Stolen passwords are used from the
// thief's own browser, so by default this alone asks for a second factor (like adaptive MFA's new-device
// check); operators who turn that off keep it as a weaker signal that adds up with the others.
import type { RiskRule } from '../risk.ts';

/** Enough on its own for a step-up (HIGH_RISK_SCORE). */
export const NEW_DEVICE_SCORE = 60;
/** With RISK_NEW_DEVICE_STEP_UP=false: a step-up only with another signal (e.g. a new country). */
export const NEW_DEVICE_SIGNAL_SCORE = 20;

export function newDevice(stepUpAlone: boolean): RiskRule {
  const score = stepUpAlone ? NEW_DEVICE_SCORE : NEW_DEVICE_SIGNAL_SCORE;
  return {
    name: 'new-device',
    assess(facts) {
      if (facts.purpose !== 'sign-in' || facts.deviceHash === undefined) return undefined;
      const known = facts.devices.some((device) => device.deviceHash === facts.deviceHash);
      return known ? undefined : { rule: this.name, score };
    },
  };
}
