// What our SAML IdP role needs (built once in server/container.ts).
import type { ClientsRepository } from '../../server/domain/clients/clients.repository.ts';
import type { OidcStore } from '../../server/domain/oidc/oidc-store.repository.ts';
import type { SamlIdp } from '../../server/domain/saml-idp/saml-idp.ts';

/** The member's claims as our OIDC side computes them (config/provider.ts findAccount). */
export type FindAccount = (accountId: string) => Promise<{ claims(use: string, scope: string, requested: Record<string, unknown>, rejected: string[]): Promise<Record<string, unknown>> } | undefined>;

export interface SamlIdpDeps {
  idp: SamlIdp;
  clients: ClientsRepository;
  oidcStore: OidcStore;
  findAccount: FindAccount;
  pairwiseSalt: Buffer;
  /** Which scope releases which claim (config/provider.ts CLAIMS). */
  claimsByScope: Record<string, readonly string[]>;
  issuer: string;
}
