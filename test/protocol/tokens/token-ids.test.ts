// Stored tokens are named by issue time, then oidc-provider's 256 random bits: still opaque and
// unguessable to a client, and looked up, revoked and introspected like any other.
import { Buffer } from 'node:buffer';
import { ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, STORES } from '../../support/test-server.ts';
import { clientCredentials, useAdminServer } from '../admin/admin-api.ts';

/** 12 hex digits of issue time in milliseconds, then 43 base64url characters (256 bits). */
const TOKEN_ID = /^([0-9a-f]{12})[A-Za-z0-9_-]{43}$/;

describe.each(STORES)('stored token ids (%s)', (store) => {
  const admin = useAdminServer(store);
  const basic = `Basic ${Buffer.from(`${ADMIN_CLIENT_ID}:${ADMIN_CLIENT_SECRET}`).toString('base64')}`;

  async function issue(): Promise<string> {
    const response = await clientCredentials(admin.server, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, 'admin');
    expect(response.status).toBe(200);
    return response.body.access_token!;
  }

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${admin.server.url}/token/introspection`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  test('begin with the issue time, so tokens issued later sort after earlier ones, and differ in their random part', async () => {
    const before = Date.now();
    const tokens = [];
    for (let i = 0; i < 5; i++) tokens.push(await issue());
    const after = Date.now();
    for (const token of tokens) {
      const [, time] = TOKEN_ID.exec(token) ?? [];
      expect(time).toBeDefined();
      expect(Number.parseInt(time!, 16)).toBeGreaterThanOrEqual(before);
      expect(Number.parseInt(time!, 16)).toBeLessThanOrEqual(after);
    }
    expect(tokens.map((token) => token.slice(0, 12))).toEqual(tokens.map((token) => token.slice(0, 12)).sort());
    expect(new Set(tokens.map((token) => token.slice(12))).size).toBe(tokens.length);
  });

  test('are introspected, accepted and revoked by their full value only', async () => {
    const token = await issue();
    expect(await introspect(token)).toMatchObject({ active: true, client_id: ADMIN_CLIENT_ID, scope: 'admin' });
    // The time part alone, or the token with its random part altered, names nothing.
    expect(await introspect(token.slice(0, 12))).toEqual({ active: false });
    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await introspect(altered)).toEqual({ active: false });
    const list = (bearer: string) => fetch(`${admin.server.url}/admin/clients`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await list(token)).status).toBe(200);
    expect((await list(altered)).status).toBe(401);

    const revoked = await fetch(`${admin.server.url}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(revoked.status).toBe(200);
    expect(await introspect(token)).toEqual({ active: false });
    expect((await list(token)).status).toBe(401);
  });
});
