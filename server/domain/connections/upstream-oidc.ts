// The OpenID Connect leg to an upstream provider with openid-client: the authorization URL, then code + PKCE + state + nonce, ID token and userinfo.
import { createHmac } from 'node:crypto';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import * as oidc from 'openid-client';
import type { OutboundClient } from '../../security/outbound/outbound-fetch.ts';
import type { OidcConnectionSettings } from './connection-settings.ts';
import { appleClientSecret } from './apple-client-secret.ts';
import { issuerForTenant, tenantAccepted } from './microsoft-tenant.ts';

/** A token endpoint answer read once and handed to openid-client again (Entra: the issuer depends on it). */
interface HeldResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** The parameters of an authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`); anything else is not passed on. */
const RESPONSE_PARAMETERS = new Set(['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state']);

/**
 * Apple's `user` form field, sent on the first sign-in only: {"name":{"firstName","lastName"},"email"}. Unsigned
 * (it arrives in the form, not the ID token), so it only offers names for empty profile fields; never an email.
 */
function appleUserClaims(field: string | null): Record<string, string> {
  if (!field || field.length > 2000) return {};
  try {
    const parsed = JSON.parse(field) as { name?: { firstName?: unknown; lastName?: unknown } };
    const claims: Record<string, string> = {};
    if (typeof parsed.name?.firstName === 'string' && parsed.name.firstName.trim()) claims.given_name = parsed.name.firstName.trim().slice(0, 100);
    if (typeof parsed.name?.lastName === 'string' && parsed.name.lastName.trim()) claims.family_name = parsed.name.lastName.trim().slice(0, 100);
    return claims;
  } catch {
    return {};
  }
}

/** Graph API `me` with the fields we ask for: the id is the subject (there is no ID token). */
const graphMe = z.object({
  id: z.string().regex(/^[0-9]{1,40}$/),
  name: z.string().max(500).optional(),
  email: z.string().max(320).optional(),
  first_name: z.string().max(200).optional(),
  last_name: z.string().max(200).optional(),
});
const GRAPH_FIELDS = 'id,name,email,first_name,last_name';

/** Thrown from the first pass's fetch to stop it once the token answer is held (never leaves this module). */
class TokenResponseHeld extends Error {}

/** What our side keeps between the redirect and the callback (the state record): never sent to the browser but `state`. */
export interface UpstreamRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The upstream identity, as its validated ID token and userinfo describe it. */
export interface UpstreamIdentity {
  subject: string;
  email: string | undefined;
  /** The upstream's own word; believed only for a connection trusted for email (federated-sign-in.ts). */
  emailVerified: boolean;
  amr: string[];
  acr: string | undefined;
  /** Every claim seen (ID token, then userinfo for what the token lacked), for the claim mapping. */
  claims: Record<string, unknown>;
}

/** Why the leg failed, in words safe for logs (never a token or a code). */
export class UpstreamSignInFailed extends Error {
  readonly reason: 'upstream_error' | 'cancelled' | 'invalid_response';

  constructor(reason: UpstreamSignInFailed['reason'], message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'UpstreamSignInFailed';
    this.reason = reason;
  }
}

export class UpstreamOidc {
  private readonly outbound: Pick<OutboundClient, 'fetch' | 'policy'>;

  constructor(outbound: Pick<OutboundClient, 'fetch' | 'policy'>) {
    this.outbound = outbound;
  }

  /**
   * `intercept`, when given, answers the token endpoint instead of the network (the Entra passes below);
   * `issuer` replaces the stored one (Entra: the template filled with the token's tenant).
   */
  private async configuration(settings: OidcConnectionSettings, options: { issuer?: string; intercept?: (send: () => Promise<Response>) => Promise<Response> } = {}): Promise<oidc.Configuration> {
    const auth = await this.clientAuthentication(settings);
    const config = new oidc.Configuration({ ...settings.metadata, issuer: options.issuer ?? settings.metadata.issuer }, settings.client_id, {}, auth);
    // Every request to the upstream goes through the SSRF-safe client (no redirects, no private addresses, bounded).
    config[oidc.customFetch] = (url, init) => {
      const send = () => this.outbound.fetch(url, {
        method: init.method,
        headers: init.headers as Record<string, string>,
        body: init.body as string | URLSearchParams | null | undefined,
      });
      return options.intercept && new URL(url).href === new URL(settings.metadata.token_endpoint).href ? options.intercept(send) : send();
    };
    // Plain http only where the outbound policy itself allows it (loopback outside production).
    if (!this.outbound.policy.requireHttps) oidc.allowInsecureRequests(config);
    return config;
  }

  /** Apple: a fresh ES256 secret in the body (Apple takes client_secret_post only); else the stored secret, or none (PKCE only). */
  private async clientAuthentication(settings: OidcConnectionSettings): Promise<oidc.ClientAuth> {
    if (settings.private_key !== undefined && settings.team_id !== undefined && settings.key_id !== undefined) {
      return oidc.ClientSecretPost(await appleClientSecret({ teamId: settings.team_id, keyId: settings.key_id, clientId: settings.client_id, privateKey: settings.private_key, audience: settings.issuer }));
    }
    if (!settings.client_secret) return oidc.None();
    // Facebook takes the app secret in the body.
    return settings.profile_api === 'facebook_graph' ? oidc.ClientSecretPost(settings.client_secret) : oidc.ClientSecretBasic(settings.client_secret);
  }

  /** A fresh state, nonce and PKCE verifier, and the URL that sends the member to the upstream with them. */
  async begin(settings: OidcConnectionSettings, redirectUri: string, extra: Record<string, string> = {}): Promise<{ url: URL; request: UpstreamRequest }> {
    const request: UpstreamRequest = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(await this.configuration(settings), {
      ...extra,
      ...(settings.response_mode ? { response_mode: settings.response_mode } : {}),
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: settings.scopes.join(' '),
      state: request.state,
      // OAuth 2.0 only (Facebook): no ID token for a nonce to bind.
      ...(settings.profile_api ? {} : { nonce: request.nonce }),
      code_challenge: await oidc.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, request };
  }

  /**
   * The callback: `error` answers are the member's cancel or the upstream's refusal; otherwise the code is
   * exchanged (PKCE), the ID token checked (issuer, audience, signature, expiry, nonce) and userinfo read.
   */
  async finish(settings: OidcConnectionSettings, redirectUri: string, query: URLSearchParams, request: UpstreamRequest): Promise<UpstreamIdentity> {
    const error = query.get('error');
    if (error) throw new UpstreamSignInFailed(error === 'access_denied' ? 'cancelled' : 'upstream_error', `upstream answered ${error.slice(0, 60)}`);
    const config = await this.configuration(settings);
    const currentUrl = new URL(redirectUri);
    // Only the authorization response's own parameters go to openid-client (Apple's form also carries `user`).
    for (const [name, value] of query) if (RESPONSE_PARAMETERS.has(name)) currentUrl.searchParams.append(name, value);
    if (settings.profile_api === 'facebook_graph') return this.finishWithGraph(settings, config, currentUrl, request);
    let claims: Record<string, unknown>;
    let accessToken: string;
    const checks = { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true };
    let used = config;
    try {
      // Entra ID: the issuer the ID token must name depends on its tenant (entraConfiguration).
      if (settings.tenant !== undefined) used = await this.entraConfiguration(settings, currentUrl, checks);
      const tokens = await oidc.authorizationCodeGrant(used, currentUrl, checks);
      claims = { ...(tokens.claims() ?? {}) };
      accessToken = tokens.access_token;
    } catch (cause) {
      if (cause instanceof UpstreamSignInFailed) throw cause;
      throw new UpstreamSignInFailed('invalid_response', `token exchange or ID token refused: ${(cause as Error).message}`, { cause });
    }
    const subject = String(claims.sub);
    // How the member signed in upstream is read from the signed ID token only, never from userinfo.
    const signed = { amr: claims.amr, acr: claims.acr };
    if (settings.metadata.userinfo_endpoint) {
      try {
        const userinfo = await oidc.fetchUserInfo(used, accessToken, subject);
        // The ID token's claims win: they are signed; userinfo only fills what the token left out.
        claims = { ...userinfo, ...claims };
      } catch (cause) {
        throw new UpstreamSignInFailed('invalid_response', `userinfo refused: ${(cause as Error).message}`, { cause });
      }
    }
    if (settings.response_mode === 'form_post') claims = { ...appleUserClaims(query.get('user')), ...claims };
    return {
      subject,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      // Apple writes its booleans as the strings "true"/"false".
      emailVerified: claims.email_verified === true || (settings.private_key !== undefined && claims.email_verified === 'true'),
      amr: Array.isArray(signed.amr) ? signed.amr.filter((value): value is string => typeof value === 'string') : [],
      acr: typeof signed.acr === 'string' ? signed.acr : undefined,
      claims,
    };
  }

  /**
   * Entra ID (multi-tenant): the ID token's issuer is the template filled with the token's own `tid`, known only
   * once the token endpoint answered. The first pass sends the token request and holds the answer (the code is
   * single use, so it is never sent twice); the tenant is checked against the connection's; the second pass
   * hands that answer to openid-client with the tenant's issuer, which then checks the ID token in full
   * (signature, `iss` equal to the tenant's issuer, audience, expiry, nonce). The unverified `tid` only picks
   * which issuer the signed token must name: a token whose `iss` and `tid` disagree fails there.
   */
  private async entraConfiguration(settings: OidcConnectionSettings, currentUrl: URL, checks: oidc.AuthorizationCodeGrantChecks): Promise<oidc.Configuration> {
    let held: HeldResponse | undefined;
    const first = await this.configuration(settings, {
      intercept: async (send) => {
        const response = await send();
        held = { status: response.status, headers: new Headers(response.headers), body: await response.text() };
        throw new TokenResponseHeld('token answer held');
      },
    });
    // An RFC 9207 `iss` in the answer names the tenant's issuer, unknown to this pass: the second pass checks it.
    const withoutIss = new URL(currentUrl);
    withoutIss.searchParams.delete('iss');
    try {
      await oidc.authorizationCodeGrant(first, withoutIss, checks);
    } catch (error) {
      if (!held) throw error;
    }
    const answer = held!;
    let tid: unknown;
    try {
      const body = JSON.parse(answer.body) as { id_token?: unknown };
      tid = typeof body.id_token === 'string' ? decodeJwt(body.id_token).tid : undefined;
    } catch {
      tid = undefined;
    }
    // An error answer (no ID token) goes on to openid-client, which reports it as the upstream's refusal.
    if (answer.status === 200) {
      if (typeof tid !== 'string' || !tenantAccepted(settings.tenant!, tid)) {
        throw new UpstreamSignInFailed('invalid_response', `ID token tenant ${typeof tid === 'string' ? tid.slice(0, 40) : '(none)'} is not accepted by this connection`);
      }
    }
    let replayed = false;
    return await this.configuration(settings, {
      issuer: typeof tid === 'string' && answer.status === 200 ? issuerForTenant(settings.issuer, tid) : settings.metadata.issuer,
      intercept: () => {
        if (replayed) throw new Error('token endpoint called twice');
        replayed = true;
        return Promise.resolve(new Response(answer.body, { status: answer.status, headers: answer.headers }));
      },
    });
  }

  /**
   * Facebook (OAuth 2.0, no ID token): the code is exchanged (state, PKCE), then the member is read from Graph
   * `me` with the access token and its appsecret_proof (HMAC-SHA256 of the token under the app secret, so a
   * token stolen from elsewhere cannot be replayed with our app). The subject is the Graph id. Graph returns only
   * confirmed addresses, but that is believed only for a connection trusted for email (federated-sign-in.ts).
   */
  private async finishWithGraph(settings: OidcConnectionSettings, config: oidc.Configuration, currentUrl: URL, request: UpstreamRequest): Promise<UpstreamIdentity> {
    let accessToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, idTokenExpected: false });
      accessToken = tokens.access_token;
    } catch (cause) {
      throw new UpstreamSignInFailed('invalid_response', `token exchange refused: ${(cause as Error).message}`, { cause });
    }
    const url = new URL(settings.metadata.userinfo_endpoint!);
    url.searchParams.set('fields', GRAPH_FIELDS);
    url.searchParams.set('appsecret_proof', createHmac('sha256', settings.client_secret ?? '').update(accessToken).digest('hex'));
    let me: z.infer<typeof graphMe>;
    try {
      const response = await oidc.fetchProtectedResource(config, accessToken, url, 'GET');
      if (response.status !== 200) throw new Error(`Graph me answered HTTP ${response.status}`);
      me = graphMe.parse(await response.json());
    } catch (cause) {
      throw new UpstreamSignInFailed('invalid_response', `Graph me refused: ${(cause as Error).message}`, { cause });
    }
    return { subject: me.id, email: me.email, emailVerified: me.email !== undefined, amr: [], acr: undefined, claims: { ...me } };
  }
}
