// The partner API under /partner-api/v1: a partner awards points to, and reads the granted claims of,
// members who signed in to it — found by the pairwise sub the partner knows, never by anything else.
// Per route: require-partner-token → load-linked-member → [parse-json-body] → handler.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { CLAIMS } from '../../config/provider.ts';
import type { AccountService } from '../domain/accounts/account-service.ts';
import type { CouponProblem, CouponService } from '../domain/coupons/coupon-service.ts';
import type { Campaign } from '../domain/coupons/coupons.repository.ts';
import { COUPON_CODE, normaliseCouponCode } from '../domain/coupons/coupon-rules.ts';
import { DomainError } from '../domain/errors.ts';
import type { PrivateJwk } from '../domain/keys/key-service.ts';
import { type LoyaltyService, MAX_POINTS_PER_ENTRY } from '../domain/loyalty/loyalty-service.ts';
import type { PartnerLinks } from '../domain/partners/partner-links.ts';
import type { PartnerMemberLink } from '../domain/partners/partners.repository.ts';
import { jsonBody } from '../middleware/koa-json-body.ts';
import { idempotencyKey, markReplayed } from '../member-api/idempotency.ts';
import { partnerOpenApi } from './openapi.ts';
import { type PartnerCaller, partnerTokenVerifier } from './koa-require-partner-token.ts';

export const PARTNER_API_PREFIX = '/partner-api/v1';
/** The resource indicator partners ask tokens for. */
export const partnerResource = (issuer: string) => `${issuer}/partner-api`;

export interface PartnerApiDeps {
  provider: Provider;
  issuer: string;
  jwks: PrivateJwk[];
  accounts: AccountService;
  loyalty: LoyaltyService;
  links: PartnerLinks;
  coupons: CouponService;
}

const earnBody = z.object({
  points: z.number().int().min(1).max(MAX_POINTS_PER_ENTRY),
  reason: z.string().trim().min(1).max(200),
}).strict();

/** At most this many uses per member: a member's slots are probed one by one (adapters/mongo/coupons.ts). */
const MAX_PER_MEMBER = 100;

const campaignBody = z.object({
  code: z.string().trim().toUpperCase().regex(COUPON_CODE),
  points: z.number().int().min(1).max(MAX_POINTS_PER_ENTRY),
  per_member_limit: z.number().int().min(1).max(MAX_PER_MEMBER),
  total_limit: z.number().int().min(1).max(MAX_POINTS_PER_ENTRY),
  starts_at: z.iso.datetime({ offset: true }),
  ends_at: z.iso.datetime({ offset: true }),
}).strict().refine((body) => Date.parse(body.ends_at) > Date.parse(body.starts_at), { path: ['ends_at'] });

const couponBody = z.object({ code: z.string().max(64) }).strict();

/** Why a code gave nothing, as the API says it: codes not open now look like unknown ones. */
const COUPON_ERRORS: Record<CouponProblem, () => DomainError> = {
  unknown: () => new DomainError('not_found', 'no open campaign with this code'),
  not_started: () => new DomainError('not_found', 'no open campaign with this code'),
  expired: () => new DomainError('not_found', 'no open campaign with this code'),
  used_up: () => new DomainError('conflict', 'this campaign has no uses left', { details: { reason: 'used_up' } }),
  member_limit: () => new DomainError('conflict', 'this member has used this code as often as the campaign allows', { details: { reason: 'member_limit' } }),
};

function campaignJson(campaign: Campaign): Record<string, unknown> {
  return {
    id: campaign.id,
    code: campaign.code,
    points: campaign.points,
    per_member_limit: campaign.perMemberLimit,
    total_limit: campaign.totalLimit,
    starts_at: campaign.startsAt.toISOString(),
    ends_at: campaign.endsAt.toISOString(),
    created_at: campaign.createdAt.toISOString(),
  };
}

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
  const requireToken = partnerTokenVerifier({ provider: deps.provider, issuer: deps.issuer, audience: partnerResource(deps.issuer), jwks: deps.jwks });
  const document = partnerOpenApi(deps.issuer);
  const callerOf = (ctx: Context) => ctx.state.partner as PartnerCaller;
  const linkOf = (ctx: Context) => ctx.state.link as PartnerMemberLink;

  /** The member behind :sub for this partner. Unknown and someone else's subjects look the same. */
  const loadLinkedMember: Middleware = async (ctx, next) => {
    const subject = String(ctx.params.sub ?? '');
    const link = subject.length <= 128 ? await deps.links.find(callerOf(ctx).partnerId, subject) : undefined;
    if (!link) throw new DomainError('not_found', 'no member with this subject for your organization');
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
    if (!parsed.success) throw new DomainError('invalid_input', 'body must be {"points": 1..1000000, "reason": text}');
    await deps.loyalty.ensureMember(link.accountId);
    const result = await deps.loyalty.earn({
      accountId: link.accountId,
      points: parsed.data.points,
      partnerId,
      reason: parsed.data.reason,
      idempotencyKey: `earn:${partnerId}:${key}`,
    });
    if (!result.ok && result.reason === 'idempotency_conflict') throw new DomainError('idempotency_conflict', 'this Idempotency-Key was used for a different request');
    if (!result.ok) throw new DomainError('not_found', 'no member with this subject for your organization');
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

  router.post('/campaigns', requireToken('loyalty:earn'), jsonBody(), async (ctx) => {
    const parsed = campaignBody.safeParse(ctx.request.body);
    if (!parsed.success) throw new DomainError('invalid_input', 'body must be {"code", "points", "per_member_limit", "total_limit", "starts_at", "ends_at"} with ends_at after starts_at');
    const body = parsed.data;
    const campaign = await deps.coupons.createCampaign({
      partnerId: callerOf(ctx).partnerId,
      code: body.code,
      points: body.points,
      perMemberLimit: body.per_member_limit,
      totalLimit: body.total_limit,
      startsAt: new Date(body.starts_at),
      endsAt: new Date(body.ends_at),
    });
    ctx.status = 201;
    ctx.body = campaignJson(campaign);
  });

  router.post('/members/:sub/coupons', requireToken('loyalty:earn'), loadLinkedMember, jsonBody(), async (ctx) => {
    const parsed = couponBody.safeParse(ctx.request.body);
    if (!parsed.success) throw new DomainError('invalid_input', 'body must be {"code": text}');
    const code = normaliseCouponCode(parsed.data.code);
    // Only this partner's campaigns: another partner's code is unknown here.
    const campaign = code ? await deps.coupons.findByCode(callerOf(ctx).partnerId, code) : undefined;
    const result = await deps.coupons.redeem(campaign, linkOf(ctx).accountId);
    if (!result.ok) throw COUPON_ERRORS[result.reason]();
    ctx.status = 201;
    const showBalance = linkOf(ctx).scope.split(' ').includes('loyalty');
    ctx.body = {
      id: result.entryId,
      campaign_id: result.campaign.id,
      points: result.points,
      ...(showBalance ? { points_balance: result.balance } : {}),
    };
  });

  router.all('{/*rest}', () => {
    throw new DomainError('not_found', 'no such partner API endpoint');
  });
  return router;
}
