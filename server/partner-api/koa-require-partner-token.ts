// require-partner-token: a JWT access token this provider issued by client credentials for the partner
// API (resource indicator), to a client that still exists and belongs to a partner, with the scope the
// route needs. Verified locally against our own signing keys.
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { jwtVerify } from 'jose';
import { partnerIdOf } from '../../config/pairwise.ts';
import { DomainError } from '../domain/errors.ts';
import type { SigningKeys } from '../domain/keys/key-service.ts';
import { bearerChallenge } from '../member-api/koa-require-member-token.ts';
import { currentKeySet } from '../oidc/current-key-set.ts';

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;
const MAX_TOKEN_LENGTH = 4096;

export interface PartnerCaller {
  clientId: string;
  partnerId: string;
}

export function partnerTokenVerifier(options: { provider: Provider; issuer: string; audience: string; keys: SigningKeys }) {
  const keys = currentKeySet(options.keys);

  return (scope: string): Middleware => async (ctx, next) => {
    const refuse = (message: string): never => {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', message);
    };
    const value = BEARER.exec(ctx.get('authorization'))?.[1];
    if (!value || value.length > MAX_TOKEN_LENGTH) return refuse('a partner access token is required');
    let payload;
    try {
      ({ payload } = await jwtVerify(value, keys, { issuer: options.issuer, audience: options.audience, typ: 'at+jwt', algorithms: ['RS256', 'ES256', 'EdDSA'] }));
    } catch {
      return refuse('the access token is invalid or expired');
    }
    // Client-credentials tokens have no subject but the client; a member's token is not a partner's.
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : '';
    if (!clientId || (payload.sub !== undefined && payload.sub !== clientId)) return refuse('a client-credentials token is required');
    if (payload.cnf !== undefined) return refuse('sender-constrained tokens are not accepted by this API yet');
    const client = await options.provider.Client.find(clientId);
    const partnerId = client ? partnerIdOf(client) : undefined;
    if (!partnerId) return refuse('the client of this token no longer exists or belongs to no partner');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(scope)) {
      bearerChallenge(ctx, { error: 'insufficient_scope', scope });
      throw new DomainError('insufficient_scope', `the token lacks the ${scope} scope`);
    }
    const caller: PartnerCaller = { clientId, partnerId };
    ctx.state.partner = caller;
    await next();
  };
}
