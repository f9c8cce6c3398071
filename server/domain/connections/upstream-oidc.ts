// The OpenID Connect leg to an upstream provider with openid-client: the authorization URL, then code + PKCE + state + nonce, ID token and userinfo.
import * as oidc from 'openid-client';
import type { OutboundClient } from '../../security/outbound/outbound-fetch.ts';
import type { OidcConnectionSettings } from './connection-settings.ts';

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

  private configuration(settings: OidcConnectionSettings): oidc.Configuration {
    const auth = settings.client_secret ? oidc.ClientSecretBasic(settings.client_secret) : oidc.None();
    const config = new oidc.Configuration({ ...settings.metadata }, settings.client_id, {}, auth);
    // Every request to the upstream goes through the SSRF-safe client (no redirects, no private addresses, bounded).
    config[oidc.customFetch] = (url, options) => this.outbound.fetch(url, {
      method: options.method,
      headers: options.headers as Record<string, string>,
      body: options.body as string | URLSearchParams | null | undefined,
    });
    // Plain http only where the outbound policy itself allows it (loopback outside production).
    if (!this.outbound.policy.requireHttps) oidc.allowInsecureRequests(config);
    return config;
  }

  /** A fresh state, nonce and PKCE verifier, and the URL that sends the member to the upstream with them. */
  async begin(settings: OidcConnectionSettings, redirectUri: string, extra: Record<string, string> = {}): Promise<{ url: URL; request: UpstreamRequest }> {
    const request: UpstreamRequest = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(this.configuration(settings), {
      ...extra,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: settings.scopes.join(' '),
      state: request.state,
      nonce: request.nonce,
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
    const config = this.configuration(settings);
    const currentUrl = new URL(redirectUri);
    for (const [name, value] of query) currentUrl.searchParams.append(name, value);
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      accessToken = tokens.access_token;
    } catch (cause) {
      throw new UpstreamSignInFailed('invalid_response', `token exchange or ID token refused: ${(cause as Error).message}`, { cause });
    }
    const subject = String(claims.sub);
    if (settings.metadata.userinfo_endpoint) {
      try {
        const userinfo = await oidc.fetchUserInfo(config, accessToken, subject);
        // The ID token's claims win: they are signed; userinfo only fills what the token left out.
        claims = { ...userinfo, ...claims };
      } catch (cause) {
        throw new UpstreamSignInFailed('invalid_response', `userinfo refused: ${(cause as Error).message}`, { cause });
      }
    }
    return {
      subject,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      emailVerified: claims.email_verified === true,
      amr: Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [],
      acr: typeof claims.acr === 'string' ? claims.acr : undefined,
      claims,
    };
  }
}
