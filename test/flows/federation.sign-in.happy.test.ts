// Signing up and in through an upstream OpenID provider ("Continue with Google"): back to the client with fed amr, the same member next time.
import { randomUUID } from 'node:crypto';
import { exchange } from '../support/oidc-client.ts';
import { backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { STORES } from '../support/test-server.ts';
import { openLoginPage, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';

describe.each(STORES)('signing in through an upstream connection (%s)', (store) => {
  const fx = useFederation(store);
  let google: string;

  beforeAll(async () => {
    google = await fx.connect({ trusted_email: true, claim_mapping: { given_name: 'given_name' } });
  });

  test('the sign-in and sign-up pages show "Continue with Google"', async () => {
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    expect(login.body).toContain('Continue with Google');
    const register = await ua.follow(new URL(`${new URL(login.url).pathname}/register`, fx.server.url).href);
    expect(register.body).toContain('Continue with Google');
  });

  test('a new member signs up with a trusted, verified upstream email and comes back to the client; the next sign-in is the same member', async () => {
    const sub = `g-${randomUUID()}`;
    const email = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true, given_name: 'Ana' });
    const trip = await throughUpstream(fx, google, sub);
    const back = await backAtUs(trip);
    expect(back.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await exchange(fx.config, back.url, trip.request);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(['fed']);
    expect(claims.acr).toBe('urn:loyalty:loa:1');
    const account = await fx.server.container.storage.accounts.findByEmail(email);
    expect(account).toMatchObject({ emailVerified: true, passwordHash: null });
    expect(claims.sub).toBeTruthy();

    const again = await throughUpstream(fx, google, sub);
    const secondTokens = await exchange(fx.config, (await backAtUs(again)).url, again.request);
    expect(secondTokens.claims()!.sub).toBe(claims.sub);
    expect(await fx.server.container.storage.federatedIdentities.listByAccount(account!.id)).toEqual([expect.objectContaining({ connectionId: google, subject: sub })]);
  });

  test('mapped claims fill empty profile fields only: what the member has is never overwritten', async () => {
    const sub = `g-${randomUUID()}`;
    const email = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true, given_name: 'Ana' });
    await backAtUs(await throughUpstream(fx, google, sub));
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    const profiles = fx.server.container.storage.profiles;
    expect((await profiles.find(account.id)).fields.given_name?.value).toBe('Ana');
    // The upstream's name changes: ours stays what it was.
    fx.accounts.set(sub, { email, email_verified: true, given_name: 'Anita' });
    await backAtUs(await throughUpstream(fx, google, sub));
    expect((await profiles.find(account.id)).fields.given_name?.value).toBe('Ana');
  });

  test('an untrusted upstream email is verified with our code before the account is usable, then linked', async () => {
    const untrusted = await fx.connect({ name: 'Partner IdP', trusted_email: false });
    const sub = `p-${randomUUID()}`;
    const email = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true });
    const trip = await throughUpstream(fx, untrusted, sub);
    const verifyPage = await backAtUs(trip);
    expect(verifyPage.url).toMatch(/\/verify$/);
    expect((await fx.server.container.storage.accounts.findByEmail(email))!.emailVerified).toBe(false);
    expect(await fx.server.container.storage.federatedIdentities.find(untrusted, sub)).toBeUndefined();
    const code = await fx.sink.waitForCode(email);
    let page = await trip.ua.submit(verifyPage, '/verify', { code });
    if (page.status === 200 && page.body.includes('/consent"')) page = await trip.ua.submit(page, '/consent', { decision: 'allow' });
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await exchange(fx.config, page.url, trip.request);
    expect(tokens.claims()!.amr).toEqual(['fed']);
    expect(await fx.server.container.storage.federatedIdentities.find(untrusted, sub)).toMatchObject({ subject: sub });
  });

  test('a google-kind connection signs a new member up the same way', async () => {
    const preset = await fx.connect({ kind: 'google', name: undefined, trusted_email: true });
    const sub = `g-${randomUUID()}`;
    const email = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true });
    const trip = await throughUpstream(fx, preset, sub);
    const back = await backAtUs(trip);
    expect(back.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect((await exchange(fx.config, back.url, trip.request)).claims()!.amr).toEqual(['fed']);
  });

  test('home-realm discovery: an email at a routed domain goes to that IdP from the sign-in form', async () => {
    const domain = `partner-${store}-${randomUUID().slice(0, 8)}.example`;
    const enterprise = await fx.connect({ name: 'Partner staff', domains: [domain] });
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    const sent = await ua.submit(login, '/login', { email: `ana@${domain}`, password: '' });
    expect(sent.url.startsWith(fx.upstream.issuer)).toBe(true);
    expect(new URL(sent.url).searchParams.get('login_hint')).toBe(`ana@${domain}`);
    expect(enterprise).toBeTruthy();
  });
});
