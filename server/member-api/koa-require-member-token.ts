// require-member-token: the caller presents a live access token this provider issued to a member
// (authorization code, refresh or device grant), carrying the scope the route needs. Its acr, amr and
// auth_time (added at issue, see extraTokenClaims in config/provider.ts) say how the member signed in.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { isSignedInAcr } from '../../config/assurance.ts';
import { DomainError } from '../domain/errors.ts';

/** RFC 6750 b64token; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;
/** Our opaque tokens are 43 characters: anything far longer is not one of ours, so skip the store look-up. */
const MAX_TOKEN_LENGTH = 512;

export interface MemberToken {
  accountId: string;
  clientId: string;
  scopes: Set<string>;
  acr: string | undefined;
  amr: string[];
  /** Epoch seconds, or undefined when the token does not say. */
  authTime: number | undefined;
}

export function bearerChallenge(ctx: Context, params: Record<string, string>): void {
  const rendered = Object.entries(params).map(([key, value]) => `${key}="${value.replace(/["\\]/g, '')}"`);
  ctx.set('WWW-Authenticate', ['Bearer realm="loyalty"', ...rendered].join(', '));
}

export function requireMemberToken(provider: Provider, scope: string): Middleware {
  return async (ctx, next) => {
    const value = BEARER.exec(ctx.get('authorization'))?.[1];
    const token = value && value.length <= MAX_TOKEN_LENGTH ? await provider.AccessToken.find(value) : undefined;
    if (!token || token.kind !== 'AccessToken' || token.isExpired || !token.accountId || !token.clientId) {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', 'a valid member access token is required');
    }
    // DPoP / mTLS-bound tokens would need their proof checked here; this API takes plain bearer tokens.
    if (token.jkt || token['x5t#S256']) {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', 'sender-constrained tokens are not accepted by this API yet');
    }
    // A deleted client's tokens stop working at once, and so do a revoked grant's (a password reset
    // destroys every grant of the account; revocation of a refresh token destroys its grant).
    const grant = token.grantId ? await provider.Grant.find(token.grantId) : undefined;
    if (!grant || grant.accountId !== token.accountId || !(await provider.Client.find(token.clientId))) {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', 'this token is no longer valid');
    }
    if (!token.scopes.has(scope)) {
      bearerChallenge(ctx, { error: 'insufficient_scope', scope });
      throw new DomainError('insufficient_scope', `the token lacks the ${scope} scope`);
    }
    const extra = (token.extra ?? {}) as { acr?: unknown; amr?: unknown; auth_time?: unknown };
    // The same rule as the account pages: only a session at a level we issue is signed in. The mfa prompt
    // already mints nothing for a session that owes a factor; a token without one of our acr values (or
    // with the internal pending one) is refused here too rather than read as "signed in somehow".
    if (!isSignedInAcr(extra.acr)) {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', 'this token does not carry a sign-in level this API accepts');
    }
    const memberToken: MemberToken = {
      accountId: token.accountId,
      clientId: token.clientId,
      scopes: token.scopes,
      acr: extra.acr,
      amr: Array.isArray(extra.amr) ? extra.amr.filter((m): m is string => typeof m === 'string') : [],
      authTime: typeof extra.auth_time === 'number' ? extra.auth_time : undefined,
    };
    ctx.state.memberToken = memberToken;
    await next();
  };
}
