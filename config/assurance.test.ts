// The assurance model as a pure function of amr: distinct factor classes, never a count of steps.
import { ACR, acrFromAmr, currentAmr, factorClasses, factorClassOf, FACTOR_STRENGTH, isSignedInAcr, RISK_PENDING_ACR, strongestFactor, withMfaMarker } from './assurance.ts';

describe('factor classes of amr values', () => {
  test('each value we issue names its class; mfa and unknown values name none', () => {
    expect(factorClassOf('pwd')).toBe('knowledge');
    expect(factorClassOf('email')).toBe('mailbox');
    expect(factorClassOf('sms')).toBe('phone');
    expect(factorClassOf('otp')).toBe('device');
    expect(factorClassOf('swk')).toBe('device');
    expect(factorClassOf('hwk')).toBe('device');
    expect(factorClassOf('user')).toBe('inherence');
    expect(factorClassOf('mfa')).toBeUndefined();
    expect(factorClassOf('face')).toBeUndefined();
  });

  test('a lone otp (a session from before emailed codes had their own value) counts as the mailbox', () => {
    expect([...factorClasses(['otp'])]).toEqual(['mailbox']);
    expect([...factorClasses(['pwd', 'otp', 'mfa'])].sort()).toEqual(['device', 'knowledge']);
  });
});

describe('acr from amr', () => {
  test('one class is one factor, however many steps proved it', () => {
    expect(acrFromAmr(['pwd'])).toBe(ACR.oneFactor);
    expect(acrFromAmr(['email'])).toBe(ACR.oneFactor);
    expect(acrFromAmr(['email', 'email'])).toBe(ACR.oneFactor);
    expect(acrFromAmr(withMfaMarker(['sms', 'sms']))).toBe(ACR.oneFactor);
    // An old email-code session stepping up by email again is still one mailbox.
    expect(acrFromAmr(withMfaMarker([...currentAmr(['otp']), 'email']))).toBe(ACR.oneFactor);
  });

  test('a password set through the emailed reset code is the mailbox: with an emailed code it is one factor', () => {
    const reset = { passwordProvesMailbox: true };
    expect(factorClassOf('pwd', reset)).toBe('mailbox');
    expect(withMfaMarker(['pwd', 'email'], reset)).toEqual(['pwd', 'email']);
    expect(acrFromAmr(['pwd', 'email'], reset)).toBe(ACR.oneFactor);
    expect(acrFromAmr(['pwd', 'email', 'mfa'], reset)).toBe(ACR.oneFactor);
    expect(acrFromAmr(withMfaMarker(['pwd', 'sms'], reset), reset)).toBe(ACR.twoFactors);
    expect(withMfaMarker(['pwd', 'otp'], reset)).toEqual(['pwd', 'otp', 'mfa']);
  });

  test('two different classes are two factors, marked mfa', () => {
    expect(withMfaMarker(['pwd', 'email'])).toEqual(['pwd', 'email', 'mfa']);
    expect(acrFromAmr(['pwd', 'email', 'mfa'])).toBe(ACR.twoFactors);
    expect(acrFromAmr(withMfaMarker(['email', 'sms']))).toBe(ACR.twoFactors);
    expect(acrFromAmr(withMfaMarker(['pwd', 'otp']))).toBe(ACR.twoFactors);
    expect(withMfaMarker(['email', 'email'])).toEqual(['email']);
  });

  test('a passkey with user verification is phishing-resistant; nothing at all is no level', () => {
    expect(acrFromAmr(['swk', 'user', 'mfa'])).toBe(ACR.phishingResistant);
    expect(acrFromAmr(withMfaMarker(['pwd', 'hwk', 'user']))).toBe(ACR.phishingResistant);
    expect(acrFromAmr([])).toBeUndefined();
    expect(acrFromAmr('pwd')).toBeUndefined();
  });
});

describe('signed-in levels and factor strength', () => {
  test('only the acr values we issue are signed in; a pending step-up is not', () => {
    expect(isSignedInAcr(ACR.oneFactor)).toBe(true);
    expect(isSignedInAcr(ACR.phishingResistant)).toBe(true);
    expect(isSignedInAcr(RISK_PENDING_ACR)).toBe(false);
    expect(isSignedInAcr(undefined)).toBe(false);
    expect(isSignedInAcr('urn:other:loa:9')).toBe(false);
  });

  test('phr > device > phone or mailbox > password', () => {
    expect(strongestFactor(['swk', 'user', 'mfa'])).toBe(FACTOR_STRENGTH.phishingResistant);
    expect(strongestFactor(['pwd', 'otp', 'mfa'])).toBe(FACTOR_STRENGTH.device);
    expect(strongestFactor(['pwd', 'email', 'mfa'])).toBe(FACTOR_STRENGTH.mailbox);
    expect(strongestFactor(['pwd', 'sms', 'mfa'])).toBe(FACTOR_STRENGTH.phone);
    expect(strongestFactor(['pwd'])).toBe(FACTOR_STRENGTH.password);
    expect(strongestFactor([])).toBe(0);
  });
});
