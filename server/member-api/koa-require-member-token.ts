// require-member-token: the caller presents a JWT access token this provider issued to a member for the
// member API's resource indicator (aud), signed by one of our published keys, unexpired, from a grant that
// still exists, carrying the scope the route needs. Its acr, amr and auth_time (added at issue, see
// extraTokenClaims in config/provider.ts) say how the member signed in.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { isSignedInAcr } from '../../config/assurance.ts';
import { jwtVerify } from 'jose';
import { memberApiResource } from '../../config/provider.ts';
import { partnerIdOf } from '../../config/pairwise.ts';
import { DomainError } from '../domain/errors.ts';
import type { SigningKeys } from '../domain/keys/key-service.ts';
import { currentKeySet } from '../oidc/current-key-set.ts';

/** RFC 6750 b64token; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;
/** Our JWT access tokens are about 1 KB: anything far longer is not one of ours, so skip verification. */
const MAX_TOKEN_LENGTH = 4096;

export interface MemberToken {
  accountId: string;
  clientId: string;
  /** The partner of the client (client metadata partner_id): such a client sees only its partner's entries. */
  partnerId: string | undefined;
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

export function memberTokenVerifier(options: { provider: Provider; issuer: string; keys: SigningKeys }) {
  const keys = currentKeySet(options.keys);
  const audience = memberApiResource(options.issuer);

  return (scope: string): Middleware => async (ctx, next) => {
    const refuse = (message: string): never => {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', message);
    };
    const value = BEARER.exec(ctx.get('authorization'))?.[1];
    if (!value || value.length > MAX_TOKEN_LENGTH) return refuse('a member access token for the member API is required');
    let payload;
    try {
      // Another client's token for another resource (or for userinfo: opaque) fails here on aud or format.
      ({ payload } = await jwtVerify(value, keys, { issuer: options.issuer, audience, typ: 'at+jwt', algorithms: ['RS256', 'ES256', 'EdDSA'] }));
    } catch {
      return refuse('the access token is invalid, expired, or not for the member API');
    }
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : '';
    const grantId = typeof payload.grant_id === 'string' ? payload.grant_id : '';
    if (!clientId || !grantId || payload.sub === undefined || payload.sub === clientId) return refuse('a member access token is required');
    // DPoP / mTLS-bound tokens would need their proof checked here; this API takes plain bearer tokens.
    if (payload.cnf !== undefined) return refuse('sender-constrained tokens are not accepted by this API yet');
    // A deleted client's tokens stop working at once, and so do a revoked grant's (a password reset
    // destroys every grant of the account; revocation of a refresh token destroys its grant).
    const grant = await options.provider.Grant.find(grantId);
    const client = await options.provider.Client.find(clientId);
    if (!grant?.accountId || grant.clientId !== clientId || !client) return refuse('this token is no longer valid');
    const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : []);
    if (!scopes.has(scope)) {
      bearerChallenge(ctx, { error: 'insufficient_scope', scope });
      throw new DomainError('insufficient_scope', `the token lacks the ${scope} scope`);
    }
    // The same rule as the account pages: only a session at a level we issue is signed in. The mfa prompt
    // already mints nothing for a session that owes a factor; a token without one of our acr values (or
    // with the internal pending one) is refused here too rather than read as "signed in somehow".
    if (!isSignedInAcr(payload.acr)) {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', 'this token does not carry a sign-in level this API accepts');
    }
    const memberToken: MemberToken = {
      accountId: grant.accountId,
      clientId,
      partnerId: partnerIdOf(client),
      scopes,
      acr: typeof payload.acr === 'string' ? payload.acr : undefined,
      amr: Array.isArray(payload.amr) ? payload.amr.filter((m): m is string => typeof m === 'string') : [],
      authTime: typeof payload.auth_time === 'number' ? payload.auth_time : undefined,
    };
    ctx.state.memberToken = memberToken;
    await next();
  };
}
