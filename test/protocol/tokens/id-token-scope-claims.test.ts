// Relying parties that read only the ID token (Auth.js and others) get the claims of the scopes the member
// granted, as from Auth0 and Keycloak; scopes not requested add nothing. Read with openid-client.
import { randomUUID } from 'node:crypto';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../../support/oidc-client.ts';

describe.each(STORES)('ID tokens carry the claims of the granted scopes (%s)', (store) => {
  const fx = useMemberServer(store);
  let app: oidc.Configuration;
  const email = uniqueEmail('idtoken');
  const ua = () => new UserAgent(fx.server.url);
  let agent: UserAgent;

  beforeAll(async () => {
    const client = await registerClient(fx.server, { first_party: true, scope: 'openid email phone profile address loyalty' });
    app = await discover(fx.server, client);
    agent = ua();
    await signUpAndVerify(agent, await openLoginPage(agent, (await authorizationRequest(app)).url), fx.sink, email);
    const account = await fx.server.container.storage.accounts.findByEmail(email);
    await fx.server.container.loyalty.earn({ accountId: account!.id, points: 1500, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${randomUUID()}` });
  });

  async function idTokenClaims(scope: string) {
    const request = await authorizationRequest(app, { scope });
    let page = await agent.follow(request.url);
    if (page.body.includes('name="password"')) page = await signIn(agent, page, email);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(app, page.url, request);
    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, tokens.claims()!.sub);
    return { claims: tokens.claims()!, userinfo };
  }

  test('email: the ID token has email and email_verified, like userinfo', async () => {
    const { claims, userinfo } = await idTokenClaims('openid email');
    expect(claims).toMatchObject({ email, email_verified: true });
    expect(userinfo).toMatchObject({ email, email_verified: true });
  });

  test('loyalty and profile: member number, tier and balance, and updated_at', async () => {
    const { claims, userinfo } = await idTokenClaims('openid profile loyalty');
    expect(claims).toMatchObject({ tier: userinfo.tier, points_balance: 1500, member_number: userinfo.member_number });
    expect(String(claims.member_number)).toMatch(/^[1-9][0-9]{10}$/);
    expect(typeof claims.updated_at).toBe('number');
    expect(claims.email).toBeUndefined();
  });

  test('openid alone: only the subject and how the member signed in', async () => {
    const { claims } = await idTokenClaims('openid');
    expect(claims.email).toBeUndefined();
    expect(claims.points_balance).toBeUndefined();
    expect(claims.phone_number).toBeUndefined();
    expect(claims).toMatchObject({ acr: expect.any(String), amr: expect.any(Array), auth_time: expect.any(Number) });
  });
});
