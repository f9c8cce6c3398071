// When a code is the only way to step up, the page sends it on arrival (its script posts the send form:
// no "Send code" click), and "Send again" waits for the cooldown. Page views never send: a reload inside
// the cooldown sends no second code. A member with another way picks it first and gets no auto-send.
import { isStepUpPage, openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { memberWithPhone } from '../support/phone.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const LOA2 = 'urn:loyalty:loa:2';

describe.each(STORES)('a step-up code that is the only way is sent on arrival (%s)', (store) => {
  // A real resend wait (the test servers' default is none).
  const fx = useMemberServer(store, { CODE_RESEND_COOLDOWN_SECONDS: '60' });

  async function stepUpPage(email: string) {
    const ua = new UserAgent(fx.server.url);
    const page = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url), email);
    expect(isStepUpPage(page)).toBe(true);
    return { ua, page };
  }

  test('the email-only member\'s page posts the send form itself; reloads and early resends send nothing more', async () => {
    const email = uniqueEmail('auto-send');
    const signUp = new UserAgent(fx.server.url);
    await signUpAndVerify(signUp, await openLoginPage(signUp, (await authorizationRequest(fx.config)).url), fx.sink, email);
    await fx.server.container.deliveries.drain();
    const before = fx.sink.countFor(email);

    const { ua, page } = await stepUpPage(email);
    expect(page.body).toMatch(/<form[^>]*action="[^"]*\/mfa\/send"[^>]*data-auto-send/);
    expect(page.body).toContain('<script src="/static/auto-send.js" defer></script>');
    const script = await fetch(`${fx.server.url}/static/auto-send.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('data-auto-send');

    // Viewing (and reloading) the page sends nothing: only the post does.
    await ua.follow(page.url);
    await fx.server.container.deliveries.drain();
    expect(fx.sink.countFor(email)).toBe(before);

    const sent = await ua.submit(page, '/mfa/send', { channel: 'email' });
    expect(sent.body).toContain('name="code"');
    expect(sent.body).not.toContain('data-auto-send');
    expect(sent.body).toMatch(/<button[^>]*>Send again<\/button>/);
    expect(sent.body).toMatch(/You can ask for a new code in \d+ seconds?\./);
    await fx.sink.waitForCode(email, { after: before });

    // The script running again (a reload of the form post, a second tab) inside the cooldown sends no code.
    await ua.submit(page, '/mfa/send', { channel: 'email' });
    const reloaded = await ua.follow(sent.url);
    expect(reloaded.body).toContain('name="code"');
    await fx.server.container.deliveries.drain();
    expect(fx.sink.countFor(email)).toBe(before + 1);
  });

  test('a member with a phone too chooses: no auto-send', async () => {
    const { email } = await memberWithPhone(fx, 'auto-send-choice');
    const { page } = await stepUpPage(email);
    expect(page.body).toContain('/mfa/send"');
    expect(page.body).not.toContain('data-auto-send');
    expect(page.body).not.toContain('auto-send.js');
  });
});
