// Microsoft Entra ID threats: a token of another tenant than the connection accepts, or whose tid disagrees with its issuer, signs no one in and creates no one.
import { randomUUID } from 'node:crypto';
import { backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { STORES } from '../support/test-server.ts';
import { CONSUMERS_TENANT_ID } from '../../server/domain/connections/microsoft-tenant.ts';

const FAILED = 'couldn&#39;t sign you in with the other service';

describe.each(STORES)('microsoft tenant threats (%s)', (store) => {
  const tenant = randomUUID();
  const fx = useFederation(store, {}, { entraTenant: tenant });
  const connect = (settings: Record<string, unknown>) => fx.connect({ kind: 'microsoft', name: undefined, issuer: `${fx.upstream.origin}/{tenantid}/v2.0`, trusted_email: true, ...settings });

  async function refused(connectionId: string, claims: Record<string, unknown> = {}) {
    const sub = `ms-${randomUUID()}`;
    const email = `ms.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: true, ...claims });
    const page = await backAtUs(await throughUpstream(fx, connectionId, sub));
    expect(page.url).not.toMatch(/127\.0\.0\.1:9\/callback/);
    expect(page.body).toContain(FAILED);
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
    expect(await fx.server.container.storage.federatedIdentities.find(connectionId, sub)).toBeUndefined();
  }

  test('a token from another tenant than the configured one is refused', async () => {
    await refused(await connect({ tenant: randomUUID() }));
  });

  test('a work tenant at a consumers connection is refused', async () => {
    await refused(await connect({ tenant: 'consumers' }));
  });

  test('a token whose tid names another tenant than its issuer is refused (iss must be the template with its own tid)', async () => {
    await refused(await connect({ tenant: 'common' }), { tid: randomUUID() });
  });

  test('a tid that is not a tenant id cannot steer the issuer comparison', async () => {
    await refused(await connect({ tenant: 'common' }), { tid: `${tenant}/v2.0/../x` });
  });

  test('the consumers tenant at an organizations connection is refused', async () => {
    await refused(await connect({ tenant: 'organizations' }), { tid: CONSUMERS_TENANT_ID });
  });
});
