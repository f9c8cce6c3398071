// Sign in with Apple: the answer comes by form POST (no cookies on it), the client secret is an ES256 JWT Apple verifies, and the name arrives once.
import { randomUUID } from 'node:crypto';
import { connectApple, followBack, postToCallback, throughApple, useAppleFederation } from '../support/apple.ts';
import { exchange } from '../support/oidc-client.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('signing in with an apple connection (%s)', (store) => {
  const apple = useAppleFederation(store);
  const { fx, team } = apple;

  test('the admin API answers the kind and Apple\'s ids, never the key; the member is sent with response_mode=form_post', async () => {
    const read = await fx.admin('GET', `/admin/connections/${apple.connectionId}`);
    expect(read.body).toMatchObject({ kind: 'apple', name: 'Apple', team_id: team.teamId, key_id: team.keyId, has_private_key: true, has_client_secret: false, scopes: ['openid', 'email', 'name'] });
    expect(JSON.stringify(read.body)).not.toContain('PRIVATE KEY');
    const post = await throughApple(fx, apple.connectionId, `a-${randomUUID()}`);
    expect(new URL(post.authorizationUrl).searchParams.get('response_mode')).toBe('form_post');
  });

  test('a new member signs up: the form post comes back without cookies, the name of the first sign-in fills the profile, the next sign-in is the same member', async () => {
    const sub = `a-${randomUUID()}`;
    const email = `apple.${randomUUID()}@privaterelay.example`;
    fx.accounts.set(sub, { email, email_verified: 'true' });
    const post = await throughApple(fx, apple.connectionId, sub);
    const redirect = await postToCallback(fx, post, { user: JSON.stringify({ name: { firstName: 'Ana', lastName: 'Souza' }, email }) });
    expect(redirect.status).toBe(303);
    // The code stays on the server: only the state travels in the URL.
    expect(redirect.headers.get('location')).not.toMatch(/code=/);
    const back = await followBack(post, redirect);
    expect(back.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const claims = (await exchange(fx.config, back.url, post.request)).claims()!;
    expect(claims.amr).toEqual(['fed']);
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    expect(account.emailVerified).toBe(true);
    const profile = await fx.server.container.storage.profiles.find(account.id);
    expect([profile.fields.given_name?.value, profile.fields.family_name?.value]).toEqual(['Ana', 'Souza']);

    // The stand-in verified our secret: ES256 with the team's key id, iss team, sub our client id, short-lived.
    const last = team.accepted.at(-1)!;
    expect(last.header).toMatchObject({ alg: 'ES256', kid: team.keyId });
    expect(last.claims).toMatchObject({ iss: team.teamId, aud: fx.upstream.issuer });
    expect(last.claims.exp! - last.claims.iat!).toBeLessThanOrEqual(15_777_000);

    // Apple sends no `user` the second time: the same member, the name kept.
    const again = await throughApple(fx, apple.connectionId, sub);
    const secondBack = await followBack(again, await postToCallback(fx, again));
    expect((await exchange(fx.config, secondBack.url, again.request)).claims()!.sub).toBe(claims.sub);
    expect((await fx.server.container.storage.profiles.find(account.id)).fields.given_name?.value).toBe('Ana');
  });

  test('a name in the first sign-in never overwrites what the member already entered', async () => {
    const sub = `a-${randomUUID()}`;
    const email = `apple.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: 'true' });
    const post = await throughApple(fx, apple.connectionId, sub);
    await followBack(post, await postToCallback(fx, post, { user: JSON.stringify({ name: { firstName: 'Bia' } }) }));
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    const later = await throughApple(fx, apple.connectionId, sub);
    await followBack(later, await postToCallback(fx, later, { user: JSON.stringify({ name: { firstName: 'Other' } }) }));
    expect((await fx.server.container.storage.profiles.find(account.id)).fields.given_name?.value).toBe('Bia');
  });

  test('at a connection not trusted for email, the name of the first sign-in survives our email code and fills the profile once linked', async () => {
    const untrusted = await connectApple(fx, team, { name: 'Apple (untrusted)' });
    const sub = `a-${randomUUID()}`;
    const email = `apple.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: 'true' });
    const post = await throughApple(fx, untrusted, sub);
    const verifyPage = await followBack(post, await postToCallback(fx, post, { user: JSON.stringify({ name: { firstName: 'Caio', lastName: 'Lima' } }) }));
    expect(verifyPage.url).toMatch(/\/verify$/);
    let page = await post.ua.submit(verifyPage, '/verify', { code: await fx.sink.waitForCode(email) });
    if (page.status === 200 && page.body.includes('/consent"')) page = await post.ua.submit(page, '/consent', { decision: 'allow' });
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    expect(await fx.server.container.storage.federatedIdentities.find(untrusted, sub)).toMatchObject({ accountId: account.id });
    const profile = await fx.server.container.storage.profiles.find(account.id);
    expect([profile.fields.given_name?.value, profile.fields.family_name?.value]).toEqual(['Caio', 'Lima']);
  });
});
