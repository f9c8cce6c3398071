// The assurance of an upstream sign-in in our ID token: amr fed always, plus mfa (and loa:2) only when the connection is trusted for MFA and the upstream's signed ID token says so.
import { randomUUID } from 'node:crypto';
import { backAtUs, throughUpstream, useFederation } from '../support/federation.ts';
import { exchange } from '../support/oidc-client.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('amr and acr of an upstream sign-in (%s)', (store) => {
  const fx = useFederation(store, {}, { loginAssurance: true });
  let trusted: string;
  let untrusted: string;

  beforeAll(async () => {
    trusted = await fx.connect({ name: 'Staff IdP', trusted_email: true, trusted_mfa: true });
    untrusted = await fx.connect({ name: 'Other IdP', trusted_email: true, trusted_mfa: false });
  });

  async function signInClaims(connection: string, amr: string[] | undefined) {
    const sub = `s-${randomUUID()}`;
    fx.accounts.set(sub, { email: `amr.${randomUUID()}@example.com`, email_verified: true, ...(amr ? { amr } : {}) });
    const trip = await throughUpstream(fx, connection, sub);
    const back = await backAtUs(trip);
    expect(back.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    return (await exchange(fx.config, back.url, trip.request)).claims()!;
  }

  test('trusted for MFA, and the upstream says mfa: amr fed + mfa, acr loa:2', async () => {
    const claims = await signInClaims(trusted, ['pwd', 'mfa']);
    expect(claims.amr).toEqual(['fed', 'mfa']);
    expect(claims.acr).toBe('urn:loyalty:loa:2');
  });

  test('trusted for MFA, but the upstream says only pwd: amr fed, acr loa:1', async () => {
    const claims = await signInClaims(trusted, ['pwd']);
    expect(claims.amr).toEqual(['fed']);
    expect(claims.acr).toBe('urn:loyalty:loa:1');
  });

  test('not trusted for MFA, whatever the upstream says: amr fed, acr loa:1', async () => {
    const claims = await signInClaims(untrusted, ['pwd', 'mfa']);
    expect(claims.amr).toEqual(['fed']);
    expect(claims.acr).toBe('urn:loyalty:loa:1');
  });
});
