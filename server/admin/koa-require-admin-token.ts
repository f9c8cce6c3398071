// require-admin-token: the caller presents a live client-credentials token with the admin scope,
// issued by this provider to a client that still exists and is still allowed `admin`.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { ADMIN_SCOPE } from '../../config/provider.ts';
import { DomainError } from '../domain/errors.ts';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

function challenge(ctx: Context, error: 'invalid_token' | 'insufficient_scope'): void {
  ctx.set('WWW-Authenticate', `Bearer realm="admin", error="${error}"${error === 'insufficient_scope' ? `, scope="${ADMIN_SCOPE}"` : ''}`);
}

export function requireAdminToken(provider: Provider): Middleware {
  return async (ctx, next) => {
    const value = BEARER.exec(ctx.get('authorization'))?.[1];
    // Only client-credentials tokens: a member's access token never administers anything.
    const token = value && value.length <= 512 ? await provider.ClientCredentials.find(value) : undefined;
    // Sender-constrained tokens (DPoP, mTLS) would need their proof checked; admin tokens are plain bearer.
    const constrained = token && (token.jkt || token['x5t#S256']);
    if (!token || token.isExpired || constrained || !token.clientId) {
      challenge(ctx, 'invalid_token');
      throw new DomainError('unauthorized', 'a valid admin access token is required');
    }
    const client = await provider.Client.find(token.clientId);
    const clientMayAdmin = (client?.scope ?? '').split(' ').includes(ADMIN_SCOPE);
    if (!client) {
      challenge(ctx, 'invalid_token');
      throw new DomainError('unauthorized', 'the client this token was issued to no longer exists');
    }
    if (!token.scopes.has(ADMIN_SCOPE) || !clientMayAdmin) {
      challenge(ctx, 'insufficient_scope');
      throw new DomainError('forbidden', 'the token lacks the admin scope');
    }
    ctx.state.adminClientId = token.clientId;
    await next();
  };
}
