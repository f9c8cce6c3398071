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
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Clients registered at the upstream (ours, with the redirect_uri a connection answered). */
  clients?: ClientMetadata[];
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
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
    pkce: { required: () => true },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    port,
    provider,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
