// The partner API under /partner-api/v1: a partner awards points to, and reads the granted claims of,
// members who signed in to it — found by the pairwise sub the partner knows, never by anything else —
// and runs coupon campaigns (coupon-routes.ts).
// Per route: require-partner-token → load-linked-member → [parse-json-body] → handler.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { CLAIMS } from '../../config/provider.ts';
import type { AccountService } from '../domain/accounts/account-service.ts';
import type { CouponService } from '../domain/coupons/coupon-service.ts';
import { DomainError } from '../domain/errors.ts';
import { textField } from '../domain/text.ts';
import { fieldErrors } from '../admin/client-input.ts';
import type { SigningKeys } from '../domain/keys/key-service.ts';
import { type LoyaltyService, MAX_POINTS_PER_ENTRY } from '../domain/loyalty/loyalty-service.ts';
import type { PurposeConsentService } from '../domain/consent/purpose-consent-service.ts';
import type { MemberMerge } from '../domain/merge/member-merge.ts';
import type { PartnerLinks } from '../domain/partners/partner-links.ts';
import type { PartnerMemberLink } from '../domain/partners/partners.repository.ts';
import { jsonBody } from '../middleware/koa-json-body.ts';
import { idempotencyKey, markReplayed } from '../member-api/idempotency.ts';
import { couponRoutes } from './coupon-routes.ts';
import type { RateLimitStore } from '../security/rate-limit/rate-limiter.ts';
import { partnerOpenApi } from './openapi.ts';
import { type PartnerCaller, partnerTokenVerifier } from './koa-require-partner-token.ts';

export const PARTNER_API_PREFIX = '/partner-api/v1';
/** The resource indicator partners ask tokens for. */
export const partnerResource = (issuer: string) => `${issuer}/partner-api`;

export interface PartnerApiDeps {
  provider: Provider;
  issuer: string;
  /** Our signing keys: partner tokens are verified against the ones published now. */
  keys: SigningKeys;
  accounts: AccountService;
  loyalty: LoyaltyService;
  links: PartnerLinks;
  coupons: CouponService;
  rateLimits: RateLimitStore;
  /** Issue 17: the member's purpose consents (read under the consents scope, recorded at a partner's counter). */
  purposeConsents?: PurposeConsentService;
  /** Issue 21: an absorbed member's old sub answers 410 member_merged with the survivor's sub (for 90 days). */
  merges?: Pick<MemberMerge, 'redirectFor' | 'absorbedBy'>;
}

/** A consent given at the partner's counter: one purpose, the version the member was shown, yes or no. */
const consentBody = z.object({
  purpose: z.string().min(1).max(80),
  version: z.number().int().min(1),
  granted: z.boolean(),
}).strict();

const earnBody = z.object({
  points: z.number().int().min(1).max(MAX_POINTS_PER_ENTRY),
  reason: textField(200),
}).strict();

/** The claims of the scopes the member granted this partner, from the account as it is now. */
async function grantedClaims(deps: PartnerApiDeps, link: PartnerMemberLink): Promise<Record<string, unknown>> {
  const account = await deps.accounts.findById(link.accountId);
  if (!account) throw new DomainError('not_found', 'no member with this subject for your organization');
  const scopes = new Set(link.scope.split(' '));
  const available: Record<string, unknown> = {
    email: account.email,
    email_verified: account.emailVerified,
    ...(account.phone ? { phone_number: account.phone, phone_number_verified: true } : {}),
    updated_at: Math.floor(account.updatedAt.getTime() / 1000),
    ...(scopes.has('loyalty') ? await deps.loyalty.claims(account.id) : {}),
    ...(scopes.has('consents') && deps.purposeConsents ? { consents: await deps.purposeConsents.claim(account.id) } : {}),
  };
  const released: Record<string, unknown> = { sub: link.subject };
  for (const [scope, claims] of Object.entries(CLAIMS)) {
    if (!scopes.has(scope)) continue;
    for (const claim of claims) if (claim in available) released[claim] = available[claim];
  }
  delete released.acr;
  delete released.amr;
  delete released.auth_time;
  return released;
}

export function partnerApiRouter(deps: PartnerApiDeps): Router {
  const router = new Router({ prefix: PARTNER_API_PREFIX });
  const requireToken = partnerTokenVerifier({ provider: deps.provider, issuer: deps.issuer, audience: partnerResource(deps.issuer), keys: deps.keys });
  const document = partnerOpenApi(deps.issuer);
  const callerOf = (ctx: Context) => ctx.state.partner as PartnerCaller;
  const linkOf = (ctx: Context) => ctx.state.link as PartnerMemberLink;

  /** The member behind :sub for this partner. Unknown and someone else's subjects look the same. */
  const loadLinkedMember: Middleware = async (ctx, next) => {
    const subject = String(ctx.params.sub ?? '');
    const link = subject.length <= 128 ? await deps.links.find(callerOf(ctx).partnerId, subject) : undefined;
    if (!link) {
      // Only a sub this very partner knew has a redirect (keyed by partner): it tells no one anything new.
      const survivor = subject.length <= 128 ? await deps.merges?.redirectFor(callerOf(ctx).partnerId, subject) : undefined;
      if (survivor) {
        ctx.status = 410;
        ctx.body = { error: 'member_merged', error_description: 'this member was merged into another: use sub from now on', sub: survivor };
        return;
      }
      throw new DomainError('not_found', 'no member with this subject for your organization');
    }
    ctx.state.link = link;
    await next();
  };

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });

  router.get('/members/:sub', requireToken('members:read'), loadLinkedMember, async (ctx) => {
    ctx.body = await grantedClaims(deps, linkOf(ctx));
  });

  router.post('/members/:sub/points', requireToken('loyalty:earn'), loadLinkedMember, jsonBody(), async (ctx) => {
    const { partnerId } = callerOf(ctx);
    const link = linkOf(ctx);
    const key = idempotencyKey(ctx);
    const parsed = earnBody.safeParse(ctx.request.body);
    if (!parsed.success) throw new DomainError('invalid_input', 'body must be {"points": 1..1000000, "reason": 1-200 characters without control characters}', { details: { fields: fieldErrors(parsed.error) } });
    await deps.loyalty.ensureMember(link.accountId);
    const result = await deps.loyalty.earn({
      accountId: link.accountId,
      points: parsed.data.points,
      partnerId,
      reason: parsed.data.reason,
      idempotencyKey: `earn:${partnerId}:${key}`,
    });
    if (!result.ok && result.reason === 'idempotency_conflict') throw new DomainError('idempotency_conflict', 'this Idempotency-Key was used for a different request');
    if (!result.ok) {
      // Issue 21: the member was merged while this request was on its way; nothing was written. Once the merge moved
      // its links, the old sub answers as a read would (410 and the survivor's sub); while it runs, a retry will.
      const survivor = await deps.merges?.redirectFor(partnerId, link.subject);
      if (survivor) {
        ctx.status = 410;
        ctx.body = { error: 'member_merged', error_description: 'this member was merged into another: use sub from now on', sub: survivor };
        return;
      }
      if (await deps.merges?.absorbedBy(link.accountId)) throw new DomainError('conflict', 'this member is being merged into another: nothing was written; retry shortly');
      throw new DomainError('not_found', 'no member with this subject for your organization');
    }
    markReplayed(ctx, result.replayed);
    ctx.status = 201;
    // The balance is the member's business: shown only to a partner granted the loyalty scope.
    const showBalance = link.scope.split(' ').includes('loyalty');
    ctx.body = {
      id: result.entry.id,
      points: result.entry.points,
      reason: result.entry.reason,
      created_at: result.entry.createdAt.toISOString(),
      ...(showBalance ? { points_balance: result.entry.balanceAfter } : {}),
    };
  });

  // Issue 17: a consent the member gave at the partner's counter, recorded with channel partner and the partner's
  // client; the answer is the member's consents as they now are. Unknown purpose or stale version: 400, nothing changed.
  router.post('/members/:sub/consents', requireToken('consents:write'), loadLinkedMember, jsonBody(), async (ctx) => {
    if (!deps.purposeConsents) throw new DomainError('not_found', 'no such partner API endpoint');
    const parsed = consentBody.safeParse(ctx.request.body);
    if (!parsed.success) throw new DomainError('invalid_input', 'body must be {"purpose": "<purpose id>", "version": <its current version>, "granted": true|false}', { details: { fields: fieldErrors(parsed.error) } });
    const link = linkOf(ctx);
    const receipt = await deps.purposeConsents.record(link.accountId, [parsed.data], { channel: 'partner', clientId: callerOf(ctx).clientId, method: 'partner_api' });
    ctx.status = 201;
    ctx.body = { receipt_id: receipt.id, consents: await deps.purposeConsents.claim(link.accountId) };
  });

  couponRoutes(router, { coupons: deps.coupons, requireToken, loadLinkedMember, rateLimits: deps.rateLimits });

  router.all('{/*rest}', () => {
    throw new DomainError('not_found', 'no such partner API endpoint');
  });
  return router;
}
