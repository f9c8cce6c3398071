// Partners for protocol tests: one made with the admin API (a pairwise web client and a back-end client),
// its client-credentials tokens for the partner API, and members who signed in to it.
import { Buffer } from 'node:buffer';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, type RegisteredClient } from '../../support/oidc-client.ts';
import type { MemberServer } from '../../support/suite.ts';
import type { adminCaller } from '../admin/admin-api.ts';

export interface PartnerSetup {
  partnerId: string;
  web: oidc.Configuration;
  api: { clientId: string; secret: string };
}

export function partnerFixture(fx: MemberServer, admin: () => ReturnType<typeof adminCaller>) {
  const resource = () => `${fx.server.url}/partner-api`;

  async function partner(name: string): Promise<PartnerSetup> {
    const created = await admin()('POST', '/admin/partners', { name });
    expect(created.status).toBe(201);
    const partnerId = (created.body as { id: string }).id;
    const webClient = await admin()('POST', '/admin/clients', {
      client_name: `${name} web`, redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], scope: 'openid email loyalty', partner_id: partnerId,
    });
    expect(webClient.status).toBe(201);
    expect(webClient.body).toMatchObject({ subject_type: 'pairwise', partner_id: partnerId });
    const apiClient = await admin()('POST', '/admin/clients', {
      client_name: `${name} back end`, grant_types: ['client_credentials'], scope: 'loyalty:earn members:read', allowed_resources: [resource()], partner_id: partnerId,
    });
    expect([apiClient.status, apiClient.body?.details]).toEqual([201, undefined]); // details name the refused field
    const registered: RegisteredClient = { clientId: webClient.body!.client_id!, clientSecret: webClient.body!.client_secret, metadata: webClient.body as never };
    return { partnerId, web: await discover(fx.server, registered), api: { clientId: apiClient.body!.client_id!, secret: apiClient.body!.client_secret! } };
  }

  async function partnerToken(setup: PartnerSetup, scope = 'loyalty:earn members:read', withResource = true): Promise<string> {
    const basic = Buffer.from(`${setup.api.clientId}:${setup.api.secret}`).toString('base64');
    const response = await fetch(`${fx.server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, ...(withResource ? { resource: resource() } : {}) }),
    });
    const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!body.access_token) throw new Error(`no partner token: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  /** A member who signs up and then signs in to `setup`'s web client (consenting); returns their sub there. */
  async function memberOf(setup: PartnerSetup, scope = 'openid email loyalty') {
    const email = uniqueEmail('partner');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(setup.web, { scope });
    const login = await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email);
    const done = await signIn(ua, login, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(setup.web, done.url, request)).claims()!;
    const account = await fx.server.container.storage.accounts.findByEmail(email);
    return { email, sub: claims.sub, accountId: account!.id, ua };
  }

  return { resource, partner, partnerToken, memberOf };
}
