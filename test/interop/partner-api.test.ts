// Recipe "partner API" (docs/partners.md): a partner's back end gets a client-credentials token for the
// partner API resource with openid-client, awards points to a member who signed in at the partner's site (by
// the pairwise sub the partner knows), and reads the claims the member granted.
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { adminCreate, memberSignsUpThrough } from '../support/interop.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';

describe.each(STORES)('recipe: partner API (%s)', (store) => {
  const fx = useMemberServer(store);

  test('client credentials for the partner API, award points, read the member', async () => {
    const resource = `${fx.server.url}/partner-api`;
    const partner = await adminCreate<{ id: string }>(fx.server, 'partners', { name: 'Cafe Uno' });
    const web = await adminCreate(fx.server, 'clients', { client_name: 'Cafe Uno web', redirect_uris: [REDIRECT], scope: 'openid email loyalty', partner_id: partner.id });
    const backEnd = await adminCreate(fx.server, 'clients', {
      client_name: 'Cafe Uno back end', grant_types: ['client_credentials'], scope: 'loyalty:earn members:read', allowed_resources: [resource], partner_id: partner.id,
    });

    // The member signs in at the partner's site once: that links them to the partner (by a pairwise sub).
    const webConfig = await client.discovery(new URL(fx.server.url), web.client_id, web.client_secret, client.ClientSecretBasic(web.client_secret), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(webConfig, { redirect_uri: REDIRECT, scope: 'openid email loyalty', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const { callbackUrl, email } = await memberSignsUpThrough(fx, url.href);
    const sub = (await client.authorizationCodeGrant(webConfig, new URL(callbackUrl), { pkceCodeVerifier: verifier, idTokenExpected: true })).claims()!.sub;

    // The back end: a token for the partner API resource.
    const apiConfig = await client.discovery(new URL(fx.server.url), backEnd.client_id, backEnd.client_secret, client.ClientSecretBasic(backEnd.client_secret), { execute: [client.allowInsecureRequests] });
    const { access_token: token } = await client.clientCredentialsGrant(apiConfig, { scope: 'loyalty:earn members:read', resource });

    const award = await fetch(`${resource}/v1/members/${encodeURIComponent(sub)}/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ points: 120, reason: 'order 7781' }),
    });
    expect(award.status).toBe(201);
    expect(await award.json()).toMatchObject({ points: 120, points_balance: 120 });

    const member = await fetch(`${resource}/v1/members/${encodeURIComponent(sub)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(member.status).toBe(200);
    expect(await member.json()).toMatchObject({ sub, email, points_balance: 120 });
  });
});
