// First-party clients (client metadata first_party: true) skip the consent page: the program owns them.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { isSignedInAcr } from './assurance.ts';
import { clientMetadata } from '../server/oidc/client-metadata.ts';

export async function loadFirstPartyGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client;
  const session = oidc.session;
  // A session that still owes a factor (risk-pending) is not signed in: no grant is made or used for it
  // (nor a partner link recorded, see loadExistingGrant) until the mfa prompt has raised it.
  if (!client || !session?.accountId || !isSignedInAcr(session.acr)) return undefined;

  const grantId = oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!(clientMetadata(client) as { first_party?: boolean }).first_party) return existing;

  // Grant exactly what was asked (never more), so a first-party token is still least-privilege.
  const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const scope = [...(oidc.requestParamOIDCScopes ?? [])].join(' ');
  if (scope) grant.addOIDCScope(scope);
  const claims = [...(oidc.requestParamClaims ?? [])];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [resource, scopes] of Object.entries(oidc.resourceServers ?? {})) {
    grant.addResourceScope(resource, scopes.scope);
  }
  await grant.save();
  return grant;
}
