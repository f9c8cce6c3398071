// require-admin-token: the caller presents a live client-credentials token with the admin scope,
// issued by this provider to a client that still exists and is still allowed `admin`.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { ADMIN_SCOPE } from '../../config/provider.ts';
import { DomainError } from '../domain/errors.ts';

/** RFC 6750 b64token; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;
/** Our opaque tokens are 43 characters: anything far longer is not one of ours, so skip the store look-up. */
const MAX_TOKEN_LENGTH = 512;

function challenge(ctx: Context, error: 'invalid_token' | 'insufficient_scope'): void {
  ctx.set('WWW-Authenticate', `Bearer realm="admin", error="${error}"${error === 'insufficient_scope' ? `, scope="${ADMIN_SCOPE}"` : ''}`);
}

function invalidToken(ctx: Context, message: string): DomainError {
  challenge(ctx, 'invalid_token');
  return new DomainError('unauthorized', message);
}

export function requireAdminToken(provider: Provider): Middleware {
  return async (ctx, next) => {
    // The token value is a credential: it is never logged or echoed back, only looked up.
    const value = BEARER.exec(ctx.get('authorization'))?.[1];
    // Only the ClientCredentials model is consulted: a member's access token never administers anything,
    // whatever scope it carries. The kind check repeats that in case an adapter ever mixes models up.
    const token = value && value.length <= MAX_TOKEN_LENGTH ? await provider.ClientCredentials.find(value) : undefined;
    if (!token || token.kind !== 'ClientCredentials' || token.isExpired || !token.clientId) {
      throw invalidToken(ctx, 'a valid admin access token is required');
    }
    // Sender-constrained tokens (DPoP, mTLS) would need their proof checked here; admin tokens are plain bearer.
    if (token.jkt || token['x5t#S256']) throw invalidToken(ctx, 'sender-constrained tokens are not accepted here');
    // Deleting the client (or taking `admin` away from it) must cut its outstanding tokens off at once.
    const client = await provider.Client.find(token.clientId);
    if (!client) throw invalidToken(ctx, 'the client this token was issued to no longer exists');
    const clientMayAdmin = (client.scope ?? '').split(' ').includes(ADMIN_SCOPE);
    if (!token.scopes.has(ADMIN_SCOPE) || !clientMayAdmin) {
      challenge(ctx, 'insufficient_scope');
      throw new DomainError('forbidden', 'the token lacks the admin scope');
    }
    ctx.state.adminClientId = token.clientId;
    await next();
  };
}
