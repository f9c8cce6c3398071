// Microsoft Entra ID connections (multi-tenant): a member of an accepted tenant signs in; the issuer follows the ID token's own tid.
import { randomUUID } from 'node:crypto';
import { backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { exchange } from '../support/oidc-client.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('signing in with a microsoft connection (%s)', (store) => {
  const tenant = randomUUID();
  const fx = useFederation(store, {}, { entraTenant: tenant });
  const template = () => `${fx.upstream.origin}/{tenantid}/v2.0`;

  /** A microsoft connection to the local Entra stand-in, registered there; its id. */
  const connect = (settings: Record<string, unknown>) => fx.connect({ kind: 'microsoft', name: undefined, issuer: template(), trusted_email: true, ...settings });

  test('the admin API answers the kind, the tenant and the template issuer; the button says "Continue with Microsoft"', async () => {
    const id = await connect({ tenant: 'common' });
    const read = await fx.admin('GET', `/admin/connections/${id}`);
    expect(read.body).toMatchObject({ kind: 'microsoft', name: 'Microsoft', tenant: 'common', issuer: template() });
  });

  test.each([
    ['common', () => 'common'],
    ['its own tenant id', () => tenant],
    ['organizations', () => 'organizations'],
  ])('a member of the tenant signs up through a connection for %s and comes back to the client with amr fed', async (_name, configured) => {
    const id = await connect({ tenant: configured() });
    const sub = `ms-${randomUUID()}`;
    const email = `ms.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true });
    const trip = await throughUpstream(fx, id, sub);
    const back = await backAtUs(trip);
    expect(back.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect((await exchange(fx.config, back.url, trip.request)).claims()!.amr).toEqual(['fed']);
    expect(await fx.server.container.storage.federatedIdentities.find(id, sub)).toBeDefined();
  });
});
