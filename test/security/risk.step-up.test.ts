// Threat: a stolen password used from the thief's own browser or far away. A right password on a device
// the account never used, or after impossible travel, needs a second factor before any token; passing it
// makes the device known. Giving up on the step-up and starting over meets the same prompt.
import { GEO_IPS } from '../support/geo-ips.ts';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, member, PASSWORD } from '../support/attack.ts';
import { isStepUpPage, stepUpWithEmailCode } from '../support/member.ts';
import { REDIRECT_URI } from '../support/oidc-client.ts';

describe.each(STORES)('risk-based step-up at sign-in (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', RISK_NEW_DEVICE_STEP_UP: 'true' });

  test('a right password on a new device asks for a code; after it the device is known', async () => {
    const { email } = await member(fx, 'newdevice', GEO_IPS.GB);
    const laptop = browserFrom(fx, GEO_IPS.GB);
    const first = await attempt(fx, laptop, email, PASSWORD);
    expect(isStepUpPage(first)).toBe(true);
    expect(first.body).toContain('We do not recognise this device or place');
    const done = await stepUpWithEmailCode(laptop, first, fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    // Next time on this device (its device cookie, a new session): no extra step.
    const later = browserFrom(fx, GEO_IPS.GB);
    later.setCookie('device', laptop.cookie('device')!);
    const again = await attempt(fx, later, email, PASSWORD);
    expect(again.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('abandoning the step-up and starting a new authorization request meets the same step-up', async () => {
    const { email } = await member(fx, 'abandon', GEO_IPS.GB);
    const thief = browserFrom(fx, GEO_IPS.GB);
    expect(isStepUpPage(await attempt(fx, thief, email, PASSWORD))).toBe(true);
    // The session now knows the account, at the "step-up required" level: a fresh request must not skip it.
    const { loginPage } = await import('../support/attack.ts');
    const restarted = await loginPage(fx, thief);
    expect(isStepUpPage(restarted)).toBe(true);
  });

  test('the device the member signed up on signs in without a step-up', async () => {
    const { email, ua } = await member(fx, 'home', GEO_IPS.GB);
    expect((await attempt(fx, ua, email, PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('impossible travel: a known device seen in Britain minutes ago, now in Australia, must step up', async () => {
    const { email } = await member(fx, 'travel', GEO_IPS.GB);
    const ua = browserFrom(fx, GEO_IPS.GB);
    await stepUpWithEmailCode(ua, await attempt(fx, ua, email, PASSWORD), fx.sink, email);
    // Same browser (its device cookie), now from an Australian address.
    const cookie = ua.cookie('device');
    const far = browserFrom(fx, GEO_IPS.AU);
    far.setCookie('device', cookie!);
    const page = await attempt(fx, far, email, PASSWORD);
    expect(isStepUpPage(page)).toBe(true);
    const events = await fx.server.container.audit.list({ accountId: (await fx.server.container.storage.accounts.findByEmail(email))!.id, types: ['sign_in.step_up'], limit: 10 });
    expect(events.events[0]?.details.signals).toContain('impossible-travel');
    expect(events.events[0]?.country).toBe('AU');
  });
});
