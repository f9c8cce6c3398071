// Linking an upstream identity to an existing member who proves the account with a passkey: then "Link", signed in with the passkey's assurance.
import { randomUUID } from 'node:crypto';
import { backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { exchange } from '../support/oidc-client.ts';
import { interactionOf, postJson, requestOptions, signUpWithPasskey } from '../support/soft-authenticator.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('proving the existing account with a passkey before linking (%s)', (store) => {
  const fx = useFederation(store, {}, {}, { publicHost: 'localhost' });
  let google: string;

  beforeAll(async () => {
    google = await fx.connect({ name: 'Google', trusted_email: true });
  });

  test('a passkey member whose email the upstream brings signs in with the passkey, confirms, and the link is made', async () => {
    const member = await signUpWithPasskey(fx, 'pk-link');
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, { email: member.email, email_verified: true });
    const trip = await throughUpstream(fx, google, sub);
    const signInPage = await backAtUs(trip);
    expect(signInPage.body).toContain('Sign in to it to link the other service');
    expect(await fx.server.container.storage.federatedIdentities.find(google, sub)).toBeUndefined();

    const at = interactionOf(trip.ua, trip.request, signInPage);
    const reply = await postJson(at, '/passkey/login', { csrf: at.csrf, mode: 'button', response: member.authenticator.get(await requestOptions(at)) }, { keepCookies: true });
    expect(reply.status).toBe(200);
    expect(reply.body.location).toBe(`/interaction/${at.uid}/connections/link`);
    const linkPage = await trip.ua.follow(reply.body.location!);
    expect(linkPage.body).toContain('Link Google to your account?');
    let done = await trip.ua.submit(linkPage, '/connections/link', { decision: 'link' });
    if (done.status === 200 && done.body.includes('/consent"')) done = await trip.ua.submit(done, '/consent', { decision: 'allow' });
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const claims = (await exchange(fx.config, done.url, trip.request)).claims()!;
    expect(claims.sub).toBe(member.claims.sub);
    expect(claims.acr).toBe('urn:loyalty:loa:phr');
    expect(claims.amr).toContain('user');
    const account = (await fx.server.container.storage.accounts.findByEmail(member.email))!;
    expect(await fx.server.container.storage.federatedIdentities.find(google, sub)).toMatchObject({ accountId: account.id });
  });
});
