// What the upstream sign-in flow needs (built once in server/container.ts).
import type { ConnectionsRepository } from '../../server/domain/connections/connections.repository.ts';
import type { FederatedSignIn } from '../../server/domain/connections/federated-sign-in.ts';
import type { UpstreamOidc } from '../../server/domain/connections/upstream-oidc.ts';
import type { SamlAssertionIdsRepository } from '../../server/domain/connections/saml-assertion-ids.repository.ts';
import type { UpstreamSaml } from '../../server/domain/connections/upstream-saml.ts';
import type { OidcStore } from '../../server/domain/oidc/oidc-store.repository.ts';

export interface FederationDeps {
  connections: ConnectionsRepository;
  upstream: UpstreamOidc;
  signIn: FederatedSignIn;
  /** Holds the state records (state → interaction, nonce, PKCE verifier) between the redirect and the callback. */
  oidcStore: OidcStore;
  issuer: string;
  /** saml connections: the SP leg (node-saml) and the replay cache of accepted assertion ids. */
  saml: UpstreamSaml;
  samlAssertionIds: SamlAssertionIdsRepository;
}
