// The assurance of an upstream sign-in: amr fed, plus mfa and loa:2 only when the connection is trusted for MFA and the upstream says so.
import { assuranceOf } from './federated-sign-in.ts';
import type { OidcConnectionSettings } from './connection-settings.ts';
import type { UpstreamIdentity } from './upstream-oidc.ts';

const settings = (trusted_mfa: boolean): OidcConnectionSettings => ({
  issuer: 'https://idp.example', client_id: 'c', scopes: ['openid'], claim_mapping: {}, trusted_email: false, trusted_mfa, domains: [],
  metadata: { issuer: 'https://idp.example', authorization_endpoint: 'https://idp.example/auth', token_endpoint: 'https://idp.example/token', jwks_uri: 'https://idp.example/jwks' },
});
const identity = (amr: string[], acr?: string): UpstreamIdentity => ({ subject: 's', email: undefined, emailVerified: false, amr, acr, claims: {} });

describe('assurance of an upstream sign-in', () => {
  test('one factor class (fed, loa:1) by default, whatever the upstream claims', () => {
    expect(assuranceOf(settings(false), identity(['pwd', 'mfa'], 'urn:mace:incommon:iap:silver'))).toEqual({ amr: ['fed'], acr: 'urn:loyalty:loa:1' });
    expect(assuranceOf(settings(false), identity([], 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'))).toEqual({ amr: ['fed'], acr: 'urn:loyalty:loa:1' });
  });

  test('a connection trusted for MFA: fed + mfa and loa:2 only when the upstream says MFA', () => {
    expect(assuranceOf(settings(true), identity(['pwd', 'mfa']))).toEqual({ amr: ['fed', 'mfa'], acr: 'urn:loyalty:loa:2' });
    expect(assuranceOf(settings(true), identity([], 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'))).toEqual({ amr: ['fed', 'mfa'], acr: 'urn:loyalty:loa:2' });
    expect(assuranceOf(settings(true), identity(['pwd']))).toEqual({ amr: ['fed'], acr: 'urn:loyalty:loa:1' });
  });
});
