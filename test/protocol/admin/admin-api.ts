// Helpers for the admin API tests: JSON calls with a bearer token, and client-credentials tokens at /token.
import { Buffer } from 'node:buffer';
import { startTestServer, type StoreKind, type TestServer } from '../../support/test-server.ts';

/** The fields of admin API responses these tests read. */
export interface AdminBody {
  client_id?: string;
  client_secret?: string;
  client_name?: string;
  redirect_uris?: string[];
  response_types?: string[];
  grant_types?: string[];
  token_endpoint_auth_method?: string;
  created_at?: string;
  updated_at?: string;
  error?: string;
  error_description?: string;
  details?: { fields: Record<string, string> };
  items?: ({ client_id: string } & Record<string, unknown>)[];
  next?: string | null;
}

export interface AdminResponse {
  status: number;
  headers: Headers;
  body: AdminBody | undefined;
}

export type AdminCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<AdminResponse>;

/**
 * A caller bound to a server and a token getter. A string body is sent verbatim (to test broken JSON);
 * anything else as JSON. `headers` override the defaults (set authorization to '' to send none).
 */
export function adminCaller(server: () => TestServer, token: () => string): AdminCall {
  return async (method, path, body, headers = {}) => {
    const merged: Record<string, string> = {
      authorization: `Bearer ${token()}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    };
    // fetch sends an empty Authorization header as is; drop it to test "no header at all".
    if (merged.authorization === '') delete merged.authorization;
    const response = await fetch(`${server().url}${path}`, {
      method,
      headers: merged,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as AdminBody) : undefined };
  };
}

export interface TokenResponse {
  status: number;
  body: { access_token?: string; scope?: string; error?: string };
}

/** client_credentials at our own /token with client_secret_basic; no scope parameter when `scope` is empty. */
export async function clientCredentials(server: TestServer, clientId: string, secret: string, scope = ''): Promise<TokenResponse> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  return { status: response.status, body: (await response.json()) as TokenResponse['body'] };
}

/** A confidential web client as a partner brand would register it. */
export const webClient = {
  client_name: 'Partner Shop',
  redirect_uris: ['https://shop.example/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid email offline_access',
};

/** A partner back end calling the partner API: client credentials only, no redirects. */
export const serviceClient = { client_name: 'Partner back end', grant_types: ['client_credentials'], scope: 'email' };

export interface AdminFixture {
  server: TestServer;
  token: string;
  /** Admin API calls with `token` as the bearer. */
  call: AdminCall;
}

/** Registers beforeAll/afterAll hooks: a server on `store` and an admin token, filled in before the first test. */
export function useAdminServer(store: StoreKind): AdminFixture {
  const fixture = {} as AdminFixture;
  fixture.call = adminCaller(() => fixture.server, () => fixture.token);
  beforeAll(async () => {
    fixture.server = await startTestServer({ store });
    fixture.token = await fixture.server.adminToken();
  });
  afterAll(async () => fixture.server?.close());
  return fixture;
}
