// A real second oidc-provider started by a test with its own keys: the upstream "Google" or enterprise IdP of connections (issue 16).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface UpstreamIdp {
  /** The upstream's issuer, http://127.0.0.1:<port> (the outbound client's loopback relaxation outside production). */
  issuer: string;
  port: number;
  provider: Provider;
  /** Registers a confidential client with this redirect URI (dynamic registration); its id and secret. */
  register(redirectUri: string): Promise<{ client_id: string; client_secret: string }>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Clients registered at the upstream (ours, with the redirect_uri a connection answered). */
  clients?: ClientMetadata[];
  /** The claims of each upstream account by its sub (the dev login form's "login"); unknown subs get only sub. */
  accounts?: Map<string, Record<string, unknown>>;
}

/** Starts the upstream on a free loopback port with a fresh RS256 key. */
export async function startUpstreamIdp(options: UpstreamOptions = {}): Promise<UpstreamIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: options.clients ?? [],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: `upstream-${port}` }] },
    // Open dynamic registration: a test registers our connection's redirect_uri once the admin API answered it.
    features: { devInteractions: { enabled: true }, registration: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...(options.accounts?.get(sub) ?? {}) }) }),
    // Not ours: both servers live on 127.0.0.1, where a browser shares cookies across ports.
    cookies: { names: { session: 'upstream_session', interaction: 'upstream_interaction', resume: 'upstream_resume' }, keys: ['upstream-test-cookie-key'] },
    pkce: { required: () => true },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    port,
    provider,
    async register(redirectUri) {
      const response = await fetch(`${issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }),
      });
      const body = (await response.json()) as { client_id?: string; client_secret?: string };
      if (!body.client_id || !body.client_secret) throw new Error(`upstream registration: ${JSON.stringify(body)}`);
      return { client_id: body.client_id, client_secret: body.client_secret };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
