// A real second oidc-provider started by a test with its own keys: the upstream "Google" or enterprise IdP of connections (issue 16).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface UpstreamIdp {
  /** The upstream's issuer, http://127.0.0.1:<port> (the outbound client's loopback relaxation outside production). */
  issuer: string;
  /** http://127.0.0.1:<port> (the issuer has a path when the upstream plays an Entra tenant). */
  origin: string;
  port: number;
  provider: Provider;
  /** Registers a confidential client with this redirect URI (dynamic registration); its id and secret. */
  register(redirectUri: string, authMethod?: 'client_secret_basic' | 'client_secret_post'): Promise<{ client_id: string; client_secret: string }>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Clients registered at the upstream (ours, with the redirect_uri a connection answered). */
  clients?: ClientMetadata[];
  /** The claims of each upstream account by its sub (the dev login form's "login"); unknown subs get only sub. */
  accounts?: Map<string, Record<string, unknown>>;
  /**
   * Plays Microsoft Entra ID's tenant `tenant` (a GUID): the issuer is http://127.0.0.1:<port>/<tenant>/v2.0, ID
   * tokens carry `tid` (the account's own `tid` claim, else this tenant), and the discovery documents of other
   * tenants and of the aliases answer as Entra's do (common/organizations: the {tenantid} template).
   */
  entraTenant?: string;
  /** End-user claims in the ID token itself (Apple's email), not only at userinfo. */
  idTokenClaims?: boolean;
  /**
   * The login form's answer signs the member in with the account's own `amr` and `acr` claims (how the upstream
   * says the member signed in: the dev login pages cannot say it), login and consent at once.
   */
  loginAssurance?: boolean;
  /**
   * Plays a token endpoint that checks the client's credentials itself (Apple's ES256 client secret): gets the
   * form body of each token request and answers the body the provider then sees, or a refusal.
   */
  tokenGate?: (body: URLSearchParams) => Promise<URLSearchParams | { refused: string }>;
}

/** The whole request body (a test's token requests are a few hundred bytes). */
async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * What Entra's discovery answers for a tenant path other than the upstream's own: the aliases common and
 * organizations name the {tenantid} template, consumers and a tenant id name their tenant; the endpoints are the upstream's.
 */
function entraDiscovery(origin: string, own: string, path: string): Record<string, unknown> | undefined {
  const match = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
  if (!match || match[1] === own) return undefined;
  const asked = match[1]!;
  const base = `${origin}/${own}/v2.0`;
  return {
    // Entra's consumers document names the personal-accounts tenant.
    issuer: ['common', 'organizations'].includes(asked) ? `${origin}/{tenantid}/v2.0` : `${origin}/${asked === 'consumers' ? '9188040d-6c67-4c5b-b112-36a304b66dad' : asked}/v2.0`,
    authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`, userinfo_endpoint: `${base}/me`,
    code_challenge_methods_supported: ['S256'], id_token_signing_alg_values_supported: ['RS256'], response_types_supported: ['code'], subject_types_supported: ['public'],
  };
}

/** Starts the upstream on a free loopback port with a fresh RS256 key. */
export async function startUpstreamIdp(options: UpstreamOptions = {}): Promise<UpstreamIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const tenant = options.entraTenant;
  const issuer = tenant ? `${origin}/${tenant}/v2.0` : origin;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: options.clients ?? [],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: `upstream-${port}` }] },
    // Open dynamic registration: a test registers our connection's redirect_uri once the admin API answered it.
    features: { devInteractions: { enabled: true }, registration: { enabled: true } },
    // amr and acr go into ID tokens only when a scope names them (loginAssurance: the upstream says how).
    claims: { openid: [...(tenant ? ['sub', 'tid'] : ['sub']), ...(options.loginAssurance ? ['amr', 'acr'] : [])], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
    // Entra puts tid (and the profile) in the ID token itself.
    ...(tenant || options.idTokenClaims ? { conformIdTokenClaims: false } : {}),
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...(tenant ? { tid: tenant } : {}), ...(options.accounts?.get(sub) ?? {}) }) }),
    // Not ours: both servers live on 127.0.0.1, where a browser shares cookies across ports.
    cookies: { names: { session: 'upstream_session', interaction: 'upstream_interaction', resume: 'upstream_resume' }, keys: ['upstream-test-cookie-key'] },
    pkce: { required: () => true },
  });
  if (tenant) {
    const prefix = `/${tenant}/v2.0`;
    const handle = provider.callback();
    server.on('request', (req, res) => {
      const url = req.url ?? '/';
      const other = entraDiscovery(origin, tenant, url);
      if (other) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(other));
        return;
      }
      if (!url.startsWith(prefix)) {
        res.writeHead(404).end();
        return;
      }
      // Mounted under the tenant's path, as an Express mount would: oidc-provider reads the prefix from originalUrl.
      Object.assign(req, { originalUrl: url, url: url.slice(prefix.length) || '/' });
      handle(req, res);
    });
  } else if (options.loginAssurance) {
    const handle = provider.callback();
    server.on('request', (req, res) => {
      if (req.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(req.url ?? '')) return handle(req, res);
      void (async () => {
        const form = new URLSearchParams(await readAll(req));
        const details = await provider.interactionDetails(req, res);
        const sub = form.get('login') ?? '';
        const claims = options.accounts?.get(sub) ?? {};
        const grant = new provider.Grant({ accountId: sub, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, {
          login: { accountId: sub, ...(Array.isArray(claims.amr) ? { amr: claims.amr as string[] } : {}), ...(typeof claims.acr === 'string' ? { acr: claims.acr } : {}) },
          consent: { grantId },
        }, { mergeWithLastSubmission: false });
      })();
    });
  } else if (options.tokenGate) {
    const handle = provider.callback();
    const gate = options.tokenGate;
    server.on('request', (req, res) => {
      if (req.method !== 'POST' || req.url !== '/token') return handle(req, res);
      void (async () => {
        const decided = await gate(new URLSearchParams(await readAll(req)));
        if ('refused' in decided) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: decided.refused }));
          return;
        }
        // The stream is read: oidc-provider takes an already-read form body from req.body.
        Object.assign(req, { body: decided.toString() });
        handle(req, res);
      })();
    });
  } else {
    server.on('request', provider.callback());
  }
  return {
    issuer,
    origin,
    port,
    provider,
    async register(redirectUri, authMethod = 'client_secret_basic') {
      const response = await fetch(`${issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: authMethod }),
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
