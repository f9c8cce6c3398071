// Threat: a thief signed in on a partner site keeps that session after the member ends it here. Sessions
// ended by our own pages ("Sign out everywhere else", password reset or change) send the partners of
// those sessions a back-channel logout token, as a sign-out through end_session does.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { accountCsrf, openSecurityPage, signedInMember } from '../../support/account.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../../support/logout-receiver.ts';
import { followLink, openLoginPage, signIn, UserAgent } from '../../support/member.ts';
import type { oidc } from '../../support/oidc-client.ts';
import { authorizationRequest, discover, exchange, REDIRECT_URI, registerClient } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';

describe.each(STORES)('back-channel logout when our pages end sessions (%s)', (store) => {
  // Deliveries go through the outbound guard (loopback receivers allowed outside production); a failed one
  // is retried, quickly here so settled() does not wait the production minute.
  const fx = useMemberServer(store, { BACKCHANNEL_LOGOUT_RETRY_SECONDS: '0.05,0.05' }, { publicHost: 'localhost' });
  let receiver: LogoutReceiver;
  let partner: oidc.Configuration;
  /** A second partner whose logout endpoint is down: its failure must not stop the others or the sign-out. */
  let unreachable: oidc.Configuration;

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    const client = await registerClient(fx.server, { first_party: true, backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true });
    partner = await discover(fx.server, client);
    const down = await registerClient(fx.server, { first_party: true, backchannel_logout_uri: 'http://127.0.0.1:9/backchannel', backchannel_logout_session_required: true });
    unreachable = await discover(fx.server, down);
  });
  afterAll(() => {
    receiver?.server.close();
  });

  /** Signs this browser in at `config`'s client (single sign-on when it has a session): the ID token's claims. */
  async function signInAt(ua: UserAgent, email: string, config: oidc.Configuration) {
    const request = await authorizationRequest(config);
    let page = await ua.follow(request.url);
    if (!page.url.startsWith(REDIRECT_URI)) page = await signIn(ua, page, email);
    return (await exchange(config, page.url, request)).claims()!;
  }

  /** The logout tokens received since `before`, verified (signature, issuer, audience), as their claims. */
  async function logoutTokensSince(before: number) {
    await fx.server.container.backchannelLogout.settled();
    const jwks = createRemoteJWKSet(new URL(partner.serverMetadata().jwks_uri!));
    const verified = await Promise.all(receiver.tokens.slice(before).map((token) =>
      jwtVerify(token, jwks, { issuer: fx.server.url, audience: partner.clientMetadata().client_id })));
    return verified.map(({ payload }) => payload);
  }

  test('"Sign out everywhere else" logs the other browsers out of the partner, not this one', async () => {
    const { ua: here, email } = await signedInMember(fx, 'bcl-others');
    const there = new UserAgent(fx.server.url);
    const thereClaims = await signInAt(there, email, partner);
    const hereClaims = await signInAt(here, email, partner);
    expect(thereClaims.sid).not.toBe(hereClaims.sid);
    const before = receiver.tokens.length;

    const page = await openSecurityPage(here);
    const after = await here.follow('/account/sessions/end-others', { form: { csrf: accountCsrf(page) } });
    expect(after.url).toContain('/account/security');

    const tokens = await logoutTokensSince(before);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ sub: thereClaims.sub, sid: thereClaims.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(tokens[0]!.nonce).toBeUndefined();
  });

  test('a password reset logs every browser out of the partner, even when another partner cannot be reached', async () => {
    const { ua: first, email } = await signedInMember(fx, 'bcl-reset');
    const firstClaims = await signInAt(first, email, partner);
    await signInAt(first, email, unreachable);
    const second = new UserAgent(fx.server.url);
    const secondClaims = await signInAt(second, email, partner);
    const before = receiver.tokens.length;

    const thief = new UserAgent(fx.server.url);
    const forgot = await followLink(thief, await openLoginPage(thief, (await authorizationRequest(fx.config)).url), '/forgot');
    const mails = fx.sink.countFor(email);
    const reset = await thief.submit(forgot, '/forgot', { email });
    const done = await thief.submit(reset, '/reset', { code: await fx.sink.waitForCode(email, { after: mails }), password: 'a brand new passphrase 42' });
    expect(done.status).toBeLessThan(400);

    const tokens = await logoutTokensSince(before);
    expect(tokens.map((token) => token.sid).sort()).toEqual([firstClaims.sid, secondClaims.sid].sort());
    // The partner that could not be reached was tried three times, each failure audited, the last one final.
    const failures = (await fx.server.container.audit.list({ types: ['backchannel_logout.failed'], limit: 10 })).events
      .filter((event) => event.details.client_id === unreachable.clientMetadata().client_id);
    expect(failures.map((event) => [event.details.attempt, event.details.final]).sort()).toEqual([[1, false], [2, false], [3, true]]);
    expect(new Set(tokens.map((token) => token.sub))).toEqual(new Set([firstClaims.sub]));
    // And the sessions are gone here: a silent request at the partner needs a login again.
    const silent = await first.follow((await authorizationRequest(partner, { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
  });
});
