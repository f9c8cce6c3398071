// Recipe "Keycloak as a broker" (docs/partners.md), issue 14 item 20. Keycloak cannot run here, so a stand-in
// on loopback makes the exchange Keycloak's OIDC identity provider makes (authorization request with state and
// nonce to .../broker/{alias}/endpoint, token request with "Client secret sent as post", userinfo) and
// answers back-channel logout at .../protocol/openid-connect/logout/backchannel-logout the way Keycloak's
// LogoutEndpoint does: a logout token with `sid` is matched to the brokered session by the broker session id
// Keycloak took from the token response's `session_state` (which we do not send, so nothing matches); a token
// without `sid` is matched by the brokered user (`sub`), and every session of that user ends. Hence the
// recipe: register Keycloak's client with backchannel_logout_session_required false.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { adminCreate, memberSignsUpThrough } from '../support/interop.ts';
import type { UserAgent } from '../support/member.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const REALM = 'shop';
const ALIAS = 'loyalty-id';

interface BrokeredSession {
  id: string;
  /** Keycloak: `${alias}.${tokenResponse.session_state}`, null when the provider sends none. */
  brokerSessionId: string | null;
  /** Keycloak: `${alias}.${id_token.sub}`. */
  brokerUserId: string;
  idToken: string;
}

/** The parts of a Keycloak realm with one OIDC identity provider (ours) that the exchange touches. */
async function startKeycloakStandIn(issuer: string) {
  const sessions = new Map<string, BrokeredSession>();
  const logoutAnswers: number[] = [];
  let discovery: Record<string, string> = {};
  let clientId = '';
  let clientSecret = '';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === `/realms/${REALM}/protocol/openid-connect/logout/backchannel-logout`) {
        void backchannelLogout(new URLSearchParams(body).get('logout_token')).then((status) => {
          logoutAnswers.push(status);
          res.writeHead(status).end();
        });
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pending = new Map<string, string>();

  /** LogoutEndpoint.backchannelLogout + TokenManager.verifyLogoutToken, as Keycloak runs them. */
  async function backchannelLogout(token: string | null): Promise<number> {
    if (!token) return 400;
    const claims = decodeJwt(token);
    const events = claims.events as Record<string, unknown> | undefined;
    if ((!claims.sid && !claims.sub) || !events?.['http://schemas.openid.net/event/backchannel-logout'] || claims.nonce !== undefined || !claims.jti || !claims.iat) return 400;
    // validateLogoutTokenAgainstIdpProvider: issuer, signature (JWKS URL), audience.
    try {
      await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri!)), { issuer, audience: clientId });
    } catch {
      return 400;
    }
    const ended = [...sessions.values()].filter((session) => (claims.sid ? session.brokerSessionId === `${ALIAS}.${String(claims.sid)}` : session.brokerUserId === `${ALIAS}.${String(claims.sub)}`));
    for (const session of ended) sessions.delete(session.id);
    return 200;
  }

  return {
    base,
    redirectUri: `${base}/realms/${REALM}/broker/${ALIAS}/endpoint`,
    backchannelLogoutUri: `${base}/realms/${REALM}/protocol/openid-connect/logout/backchannel-logout`,
    sessions,
    logoutAnswers,
    async configure(id: string, secret: string) {
      clientId = id;
      clientSecret = secret;
      // "Discovery endpoint" in the identity provider form imports these.
      discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    },
    /** "Sign in with Loyalty ID": AbstractOAuth2IdentityProvider.createAuthorizationUrl. */
    authorizationUrl(): string {
      const state = randomBytes(16).toString('base64url');
      const nonce = randomBytes(16).toString('base64url');
      pending.set(state, nonce);
      const url = new URL(discovery.authorization_endpoint!);
      url.search = new URLSearchParams({ scope: 'openid email profile', state, response_type: 'code', client_id: clientId, redirect_uri: `${base}/realms/${REALM}/broker/${ALIAS}/endpoint`, nonce }).toString();
      return url.href;
    },
    /** The broker endpoint: code → tokens (client_secret_post), ID token checks, userinfo, a brokered session. */
    async callback(callbackUrl: string): Promise<BrokeredSession> {
      const params = new URL(callbackUrl).searchParams;
      const nonce = pending.get(params.get('state') ?? '');
      if (!nonce) throw new Error('unknown state');
      const response = await fetch(discovery.token_endpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code: params.get('code')!, grant_type: 'authorization_code', redirect_uri: `${base}/realms/${REALM}/broker/${ALIAS}/endpoint`, client_id: clientId, client_secret: clientSecret }),
      });
      if (response.status !== 200) throw new Error(`token request: ${response.status} ${await response.text()}`);
      const tokens = (await response.json()) as { access_token: string; id_token: string; session_state?: string };
      const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(discovery.jwks_uri!)), { issuer, audience: clientId });
      if (payload.nonce !== nonce) throw new Error('nonce mismatch');
      const userinfo = await fetch(discovery.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      if (userinfo.status !== 200) throw new Error(`userinfo: ${userinfo.status}`);
      const session: BrokeredSession = {
        id: randomBytes(8).toString('hex'),
        brokerSessionId: tokens.session_state ? `${ALIAS}.${tokens.session_state}` : null,
        brokerUserId: `${ALIAS}.${payload.sub!}`,
        idToken: tokens.id_token,
      };
      sessions.set(session.id, session);
      return session;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(STORES)('recipe: Keycloak as a broker (%s)', (store) => {
  const fx = useMemberServer(store);

  /** Registers Keycloak's client as the recipe says (or with session_required true), signs a member in through it, and out here. */
  async function brokeredSignInThenSignOut(sessionRequired: boolean) {
    const keycloak = await startKeycloakStandIn(fx.server.url);
    try {
      const registered = await adminCreate(fx.server, 'clients', {
        client_name: 'Shop (Keycloak broker)',
        redirect_uris: [keycloak.redirectUri],
        scope: 'openid email profile',
        token_endpoint_auth_method: 'client_secret_post',
        backchannel_logout_uri: keycloak.backchannelLogoutUri,
        backchannel_logout_session_required: sessionRequired,
      });
      await keycloak.configure(registered.client_id, registered.client_secret!);
      const { callbackUrl, ua } = await memberSignsUpThrough(fx, keycloak.authorizationUrl());
      const session = await keycloak.callback(callbackUrl);
      expect(keycloak.sessions.size).toBe(1);
      expect(session.brokerSessionId).toBeNull(); // no session_state in our token response

      await signOutHere(ua, session.idToken);
      return { sessionsLeft: keycloak.sessions.size, answers: [...keycloak.logoutAnswers] };
    } finally {
      await keycloak.close();
    }
  }

  /** The member signs out at the identity provider (RP-initiated logout from Keycloak's ID token, confirmed). */
  async function signOutHere(ua: UserAgent, idToken: string) {
    const confirm = await ua.follow(`${fx.server.url}/session/end?id_token_hint=${encodeURIComponent(idToken)}`);
    await ua.submit(confirm, '/session/end/confirm', { logout: 'yes' });
    await fx.server.container.backchannelLogout.settled();
  }

  test('with backchannel_logout_session_required false, the logout token carries sub and Keycloak ends the brokered session', async () => {
    expect(await brokeredSignInThenSignOut(false)).toEqual({ sessionsLeft: 0, answers: [200] });
  });

  test('with backchannel_logout_session_required true, the token carries sid, which Keycloak cannot match: the session survives', async () => {
    // Keycloak answers 200 either way; only the recipe's setting actually ends the session.
    expect(await brokeredSignInThenSignOut(true)).toEqual({ sessionsLeft: 1, answers: [200] });
  });
});
