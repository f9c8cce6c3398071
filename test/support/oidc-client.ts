// openid-client (the independent relying party) against a test server, plus client registration helpers.
import * as oidc from 'openid-client';
import { randomUUID } from 'node:crypto';
import type { ClientMetadata } from '../../server/domain/clients/clients.repository.ts';
import type { TestServer } from './test-server.ts';

export { oidc };

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
  metadata: ClientMetadata;
}

/** Registers a client straight in the store (the admin API has its own tests). */
export async function registerClient(server: TestServer, overrides: Partial<ClientMetadata> = {}): Promise<RegisteredClient> {
  const clientId = overrides.client_id ?? `client-${randomUUID()}`;
  const publicClient = overrides.token_endpoint_auth_method === 'none';
  const metadata: ClientMetadata = {
    client_name: 'Partner Shop',
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: ['http://127.0.0.1:9/signed-out'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid email profile offline_access',
    token_endpoint_auth_method: 'client_secret_basic',
    ...(publicClient ? {} : { client_secret: `secret-${randomUUID()}` }),
    ...overrides,
    client_id: clientId,
  };
  await server.container.storage.clients.create(metadata);
  return { clientId, clientSecret: metadata.client_secret as string | undefined, metadata };
}

export async function discover(server: TestServer, client: RegisteredClient, auth?: oidc.ClientAuth): Promise<oidc.Configuration> {
  const method = client.metadata.token_endpoint_auth_method;
  const clientAuth = auth ?? (method === 'none' ? oidc.None() : method === 'client_secret_post' ? oidc.ClientSecretPost(client.clientSecret) : oidc.ClientSecretBasic(client.clientSecret));
  return oidc.discovery(new URL(server.url), client.clientId, { ...client.metadata } as Partial<oidc.ClientMetadata>, clientAuth, {
    execute: [oidc.allowInsecureRequests],
  });
}

export interface AuthRequest {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(config: oidc.Configuration, params: Record<string, string> = {}): Promise<AuthRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url: url.href, verifier, state, nonce };
}

export async function exchange(config: oidc.Configuration, callbackUrl: string, request: AuthRequest, verifier = request.verifier) {
  return oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
    pkceCodeVerifier: verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
  });
}
