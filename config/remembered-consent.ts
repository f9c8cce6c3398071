// Consent to a partner outlives the session and the device: a signed-in member whose new session has no
// grant for the client gets one rebuilt from what they consented to before (server/domain/consent).
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import type { ConsentsRepository, StoredConsent } from '../server/domain/consent/consents.repository.ts';
import { isSignedInAcr } from './assurance.ts';

/**
 * The grant of the member's earlier consent to this client, or undefined (none, or the session still owes
 * a factor). The consent prompt then asks only for what the request adds to it (new scopes or claims).
 */
export async function loadRememberedGrant(ctx: KoaContextWithOIDC, consents: ConsentsRepository): Promise<Grant | undefined> {
  const { client, session } = ctx.oidc;
  if (!client || !session?.accountId || !isSignedInAcr(session.acr)) return undefined;
  const stored = await consents.find(session.accountId, client.clientId);
  if (!stored) return undefined;
  const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  if (stored.scopes.length) grant.addOIDCScope(stored.scopes.join(' '));
  if (stored.claims.length) grant.addOIDCClaims(stored.claims);
  for (const { resource, scopes } of stored.resources) {
    if (scopes.length) grant.addResourceScope(resource, scopes.join(' '));
  }
  await grant.save();
  return grant;
}

/** What `grant` holds, as the member's consent to its client (saved after each consent page). */
export function consentOf(grant: Grant, at = new Date()): StoredConsent {
  const words = (scope: string | undefined) => (scope ?? '').split(' ').filter(Boolean);
  return {
    accountId: String(grant.accountId),
    clientId: String(grant.clientId),
    scopes: words(grant.openid?.scope),
    claims: [...(grant.openid?.claims ?? [])],
    resources: Object.entries(grant.resources ?? {}).map(([resource, scope]) => ({ resource, scopes: words(scope) })),
    updatedAt: at,
  };
}
