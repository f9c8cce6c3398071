// Two instances on one store serve the same JWKS and accept each other's tokens; private keys are encrypted at rest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { discover, oidc, registerClient } from '../../support/oidc-client.ts';

describe.each(STORES)('signing keys shared through the store (%s)', (store) => {
  let a: TestServer;
  let b: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-shared-'));
    const mongoDb = `shared_${Date.now()}`;
    // Boot both at once: racing first boots must still agree on one key set.
    [a, b] = await Promise.all([startTestServer({ store, dataDir, mongoDb }), startTestServer({ store, dataDir, mongoDb })]);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('both serve the same JWKS', async () => {
    const jwksA = await (await fetch(`${a.url}/jwks`)).json();
    const jwksB = await (await fetch(`${b.url}/jwks`)).json();
    expect(jwksA).toEqual(jwksB);
  });

  test('a token minted by one instance introspects as active on the other', async () => {
    const client = await registerClient(a, { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'email' });
    const onA = await discover(a, client);
    const tokens = await oidc.clientCredentialsGrant(onA, { scope: 'email' });
    const onB = await discover(b, client);
    // Issuers differ by port in this test, so introspect over plain HTTP rather than through discovery.
    const response = await fetch(onB.serverMetadata().introspection_endpoint!, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(await response.json()).toMatchObject({ active: true, client_id: client.clientId });
  });

  test('private keys are stored encrypted', async () => {
    const keys = await a.container.storage.keys.list();
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      expect(key.encryptedPrivateJwk.startsWith('v1.')).toBe(true);
      expect(key.encryptedPrivateJwk).not.toContain('"d"');
      expect(key.publicJwk.d).toBeUndefined();
    }
  });
});
