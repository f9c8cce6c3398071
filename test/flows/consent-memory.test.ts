// Consent to a partner is remembered across sessions and devices: asked again only for new scopes or after
// the member withdrew it (the partner revoked the refresh token). Logging out does not forget it.
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient, type RegisteredClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const isConsentPage = (page: Page) => page.status === 200 && page.body.includes('/consent"');

describe.each(STORES)('consent to a partner is remembered (%s)', (store) => {
  const fx = useMemberServer(store);
  let partner: RegisteredClient;
  let shop: oidc.Configuration;

  beforeAll(async () => {
    partner = await registerClient(fx.server, { client_name: 'Partner Shop' });
    shop = await discover(fx.server, partner);
  });

  async function newMember(prefix: string): Promise<string> {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    return email;
  }

  /** A new browser signs in at the partner; returns where the password led (consent page or the partner). */
  async function signInOnNewDevice(email: string, params: Record<string, string> = {}) {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(shop, params);
    const page = await signIn(ua, await openLoginPage(ua, request.url), email, undefined, { consent: false });
    return { ua, request, page };
  }

  test('asked once; a new session on another device goes straight to the partner; a new scope asks for that scope only', async () => {
    const email = await newMember('consent-memory');
    const first = await signInOnNewDevice(email);
    expect(isConsentPage(first.page)).toBe(true);
    const allowed = await first.ua.submit(first.page, '/consent', { decision: 'allow' });
    expect(allowed.url.startsWith(REDIRECT_URI)).toBe(true);

    const second = await signInOnNewDevice(email);
    expect(second.page.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(shop, second.page.url, second.request)).claims()!.email).toBe(email);

    // The same browser, a request for more: only the new scope is asked for.
    const more = await authorizationRequest(shop, { scope: 'openid email profile' });
    const asked = await second.ua.follow(more.url);
    expect(isConsentPage(asked)).toBe(true);
    expect(asked.body).toContain('See your name and basic profile details');
    expect(asked.body).not.toContain('See your email address');
    const done = await second.ua.submit(asked, '/consent', { decision: 'allow' });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);

    const third = await signInOnNewDevice(email, { scope: 'openid email profile' });
    expect(third.page.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('withdrawn when the partner revokes the refresh token: the next sign-in asks again', async () => {
    const email = await newMember('consent-withdrawn');
    const first = await signInOnNewDevice(email, { scope: 'openid email offline_access', prompt: 'consent' });
    expect(isConsentPage(first.page)).toBe(true);
    const allowed = await first.ua.submit(first.page, '/consent', { decision: 'allow' });
    const tokens = await exchange(shop, allowed.url, first.request);
    expect(tokens.refresh_token).toBeDefined();
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    expect(await fx.server.container.storage.consents.find(accountId, partner.clientId)).toMatchObject({ scopes: expect.arrayContaining(['openid', 'email', 'offline_access']) });

    await oidc.tokenRevocation(shop, tokens.refresh_token!);
    expect(await fx.server.container.storage.consents.find(accountId, partner.clientId)).toBeUndefined();
    const again = await signInOnNewDevice(email);
    expect(isConsentPage(again.page)).toBe(true);
  });

  test('revoking only an access token withdraws nothing', async () => {
    const email = await newMember('consent-access-token');
    const first = await signInOnNewDevice(email);
    const tokens = await exchange(shop, (await first.ua.submit(first.page, '/consent', { decision: 'allow' })).url, first.request);
    await oidc.tokenRevocation(shop, tokens.access_token);
    const second = await signInOnNewDevice(email);
    expect(second.page.url.startsWith(REDIRECT_URI)).toBe(true);
  });
});
