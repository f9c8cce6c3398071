// What our SAML IdP role needs, built once by server/container.ts.
import type { Configuration } from 'oidc-provider';
import { CLAIMS } from '../../config/provider.ts';
import type { ClientsRepository } from '../../server/domain/clients/clients.repository.ts';
import type { OidcStore } from '../../server/domain/oidc/oidc-store.repository.ts';
import { SamlIdp } from '../../server/domain/saml-idp/saml-idp.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { deriveKey } from '../../server/security/crypto.ts';

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

/**
 * `findAccount` is oidc-provider's (config/provider.ts): its claims are what an ID token of the same scopes
 * carries. Ours reads no request context, so none is passed.
 */
export function buildSamlIdpDeps(input: { storage: Storage; kek: Buffer; issuer: string; findAccount: NonNullable<Configuration['findAccount']> }): SamlIdpDeps {
  const { storage, kek, issuer, findAccount } = input;
  return {
    idp: new SamlIdp({ keys: storage.samlIdpKeys, sealKey: deriveKey(kek, 'saml-idp-keys'), issuer }),
    clients: storage.clients,
    oidcStore: storage.oidc,
    findAccount: (accountId) => Promise.resolve(findAccount(undefined as never, accountId)) as ReturnType<FindAccount>,
    // The same salt as config/provider.ts pairwiseIdentifier: the NameID is the partner's OIDC `sub`.
    pairwiseSalt: deriveKey(kek, 'pairwise-subjects'),
    claimsByScope: CLAIMS,
    issuer,
  };
}
