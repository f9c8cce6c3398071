// Upstream sign-in threats: an upstream email equal to a member's links only after that member proves the account and confirms; replayed, mixed-up or failed answers sign no one in and create no one.
import { randomUUID } from 'node:crypto';
import { backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { PASSWORD, signUpAndVerify, uniqueEmail, openLoginPage, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, registerClient } from '../support/oidc-client.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const FAILED = 'couldn&#39;t sign you in with the other service';
const signInPage = (page: Page) => page.status === 200 && page.body.includes('name="password"');

describe.each(STORES)('upstream sign-in threats (%s)', (store) => {
  const fx = useFederation(store);
  let trusted: string;
  let untrusted: string;

  beforeAll(async () => {
    trusted = await fx.connect({ name: 'Google', trusted_email: true });
    untrusted = await fx.connect({ name: 'Partner IdP', trusted_email: false });
  });

  const storage = () => fx.server.container.storage;

  /** A member with a verified email and a password, signed up the usual way. */
  async function member(): Promise<{ email: string; id: string }> {
    const email = uniqueEmail('owner');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email, PASSWORD);
    return { email, id: (await storage().accounts.findByEmail(email))!.id };
  }

  test.each([
    ['an unverified upstream email at an untrusted connection', () => untrusted, false],
    ['a verified upstream email at a connection trusted for email', () => trusted, true],
  ])('%s equal to a member\'s: no silent link, no sign-in, no second account', async (_name, connection, verified) => {
    const owner = await member();
    const sub = `attacker-${randomUUID()}`;
    fx.accounts.set(sub, { email: owner.email, email_verified: verified });
    const page = await backAtUs(await throughUpstream(fx, connection(), sub));
    expect(signInPage(page)).toBe(true);
    expect(page.body).toContain('You already have an account with');
    expect(await storage().federatedIdentities.find(connection(), sub)).toBeUndefined();
    expect(await storage().federatedIdentities.listByAccount(owner.id)).toEqual([]);
    // The member's account is untouched: still verified, still the same password.
    expect(await storage().accounts.findByEmail(owner.email)).toMatchObject({ id: owner.id, emailVerified: true, passwordHash: expect.any(String) });
  });

  test('an upstream subject stays linked to its member even when the upstream email changes to another member\'s', async () => {
    const owner = await member();
    const sub = `g-${randomUUID()}`;
    const first = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email: first, email_verified: true });
    const trip = await throughUpstream(fx, trusted, sub);
    expect((await backAtUs(trip)).url).toMatch(/callback\?code=/);
    const linked = (await storage().accounts.findByEmail(first))!;
    fx.accounts.set(sub, { email: owner.email, email_verified: true });
    expect((await backAtUs(await throughUpstream(fx, trusted, sub))).url).toMatch(/callback\?code=/);
    expect(await storage().federatedIdentities.find(trusted, sub)).toMatchObject({ accountId: linked.id });
    expect(await storage().federatedIdentities.listByAccount(owner.id)).toEqual([]);
  });

  test('a replayed callback (state and code used once already) signs no one in', async () => {
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, { email: `fed.${randomUUID()}@example.com`, email_verified: true });
    const trip = await throughUpstream(fx, trusted, sub);
    const request = await authorizationRequest(fx.config);
    // Stopped before our callback: a second flow in the same browser, then the first answer twice.
    const loginPage = await openLoginPage(trip.ua, request.url);
    expect(loginPage.status).toBe(200);
    const retrip = await throughUpstream(fx, trusted, sub, { ua: trip.ua, request, loginPage });
    expect((await backAtUs(retrip)).url).toMatch(/callback\?code=/);
    // The same answer again: its state record is gone.
    const replay = await trip.ua.follow(retrip.callbackUrl);
    expect(replay.url).not.toMatch(/127\.0\.0\.1:9\/callback/);
    expect(replay.status).toBeGreaterThanOrEqual(400);
  });

  test('a mix-up: connection A\'s callback with connection B\'s state signs no one in', async () => {
    const sub = `g-${randomUUID()}`;
    const email = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true });
    const trip = await throughUpstream(fx, untrusted, sub);
    const mixed = trip.callbackUrl.replace(`/connections/${untrusted}/`, `/connections/${trusted}/`);
    const page = await trip.ua.follow(mixed);
    expect(signInPage(page)).toBe(true);
    expect(page.body).toContain(FAILED);
    expect(await storage().accounts.findByEmail(email)).toBeUndefined();
    const events = await fx.server.container.audit.list({ types: ['sign_in.failure'], limit: 50 });
    expect(events.events.some((event) => event.reason === 'connection_state_mismatch')).toBe(true);
    // And the state was spent by the attempt: the genuine answer no longer works either.
    const genuine = await trip.ua.follow(trip.callbackUrl);
    expect(genuine.url).not.toMatch(/127\.0\.0\.1:9\/callback/);
    expect(await storage().accounts.findByEmail(email)).toBeUndefined();
  });

  test('a cancel at the upstream brings the member back to our page with a plain message, and creates no one', async () => {
    const sub = `g-${randomUUID()}`;
    const email = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true });
    const page = await backAtUs(await throughUpstream(fx, trusted, sub, { cancel: true }));
    expect(signInPage(page)).toBe(true);
    expect(page.body).toContain('You cancelled signing in with the other service');
    expect(await storage().accounts.findByEmail(email)).toBeUndefined();
  });

  test('an upstream failing at the token exchange leaves no half-created member', async () => {
    const broken = await fx.connect({ name: 'Broken', trusted_email: true });
    expect((await fx.admin('PATCH', `/admin/connections/${broken}`, { client_secret: 'not-the-secret' })).status).toBe(200);
    const sub = `g-${randomUUID()}`;
    const email = `fed.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true });
    const page = await backAtUs(await throughUpstream(fx, broken, sub));
    expect(signInPage(page)).toBe(true);
    expect(page.body).toContain(FAILED);
    expect(await storage().accounts.findByEmail(email)).toBeUndefined();
    expect(await storage().federatedIdentities.find(broken, sub)).toBeUndefined();
  });

  test('a client that narrows its connections shows and starts only those', async () => {
    const client = await registerClient(fx.server, { first_party: true, connections: [untrusted] } as never);
    const config = await discover(fx.server, client);
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(config)).url);
    expect(login.body).toContain('Continue with Partner IdP');
    expect(login.body).not.toContain('Continue with Google');
    const uid = new URL(login.url).pathname.split('/')[2];
    const csrf = /name="csrf" value="([^"]*)"/.exec(login.body)?.[1] ?? '';
    const refused = await ua.request(`/interaction/${uid}/connections/${trusted}`, { form: { csrf } });
    expect(refused.status).toBe(404);
  });
});

describe.each(STORES)('linking an upstream identity to an existing member (%s)', (store) => {
  const fx = useFederation(store);
  let google: string;

  beforeAll(async () => {
    google = await fx.connect({ name: 'Google', trusted_email: true });
  });

  const storage = () => fx.server.container.storage;

  async function owner(): Promise<{ email: string; id: string }> {
    const email = uniqueEmail('owner');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email, PASSWORD);
    return { email, id: (await storage().accounts.findByEmail(email))!.id };
  }

  test('the member proves the account with the password and confirms "Link": linked, and the next upstream sign-in is that member', async () => {
    const member = await owner();
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, { email: member.email, email_verified: true });
    const trip = await throughUpstream(fx, google, sub);
    const signInPage = await backAtUs(trip);
    expect(signInPage.body).toContain('Sign in to it to link the other service');
    expect(await storage().federatedIdentities.find(google, sub)).toBeUndefined();

    const linkPage = await trip.ua.submit(signInPage, '/login', { email: member.email, password: PASSWORD });
    expect(linkPage.url).toMatch(/\/connections\/link$/);
    expect(linkPage.body).toContain('Link Google to your account?');
    // Still nothing linked while the member has not answered.
    expect(await storage().federatedIdentities.find(google, sub)).toBeUndefined();
    let done = await trip.ua.submit(linkPage, '/connections/link', { decision: 'link' });
    if (done.status === 200 && done.body.includes('/consent"')) done = await trip.ua.submit(done, '/consent', { decision: 'allow' });
    expect(done.url).toMatch(/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await exchange(fx.config, done.url, trip.request);
    expect(tokens.claims()!.amr).toEqual(['pwd']);
    expect(await storage().federatedIdentities.find(google, sub)).toMatchObject({ accountId: member.id });

    const next = await throughUpstream(fx, google, sub);
    const nextDone = await backAtUs(next);
    const nextTokens = await exchange(fx.config, nextDone.url, next.request);
    expect(nextTokens.claims()!.sub).toBe(tokens.claims()!.sub);
    expect(nextTokens.claims()!.amr).toEqual(['fed']);
  });

  test('"Not now" signs the member in without linking', async () => {
    const member = await owner();
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, { email: member.email, email_verified: true });
    const trip = await throughUpstream(fx, google, sub);
    const linkPage = await trip.ua.submit(await backAtUs(trip), '/login', { email: member.email, password: PASSWORD });
    let done = await trip.ua.submit(linkPage, '/connections/link', { decision: 'skip' });
    if (done.status === 200 && done.body.includes('/consent"')) done = await trip.ua.submit(done, '/consent', { decision: 'allow' });
    expect(done.url).toMatch(/127\.0\.0\.1:9\/callback\?code=/);
    expect(await storage().federatedIdentities.listByAccount(member.id)).toEqual([]);
  });

  test('signing in to ANOTHER account after the upstream answer links nothing to it', async () => {
    const member = await owner();
    const other = await owner();
    const sub = `g-${randomUUID()}`;
    fx.accounts.set(sub, { email: member.email, email_verified: true });
    const trip = await throughUpstream(fx, google, sub);
    let done = await trip.ua.submit(await backAtUs(trip), '/login', { email: other.email, password: PASSWORD });
    if (done.status === 200 && done.body.includes('/consent"')) done = await trip.ua.submit(done, '/consent', { decision: 'allow' });
    expect(done.url).toMatch(/127\.0\.0\.1:9\/callback\?code=/);
    expect(await storage().federatedIdentities.find(google, sub)).toBeUndefined();
    expect(await storage().federatedIdentities.listByAccount(other.id)).toEqual([]);
  });
});
