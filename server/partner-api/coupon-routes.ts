// The partner API's coupon routes: a partner's own campaigns (create, list, read, change, end, page their
// generated codes) and redeeming one of its codes for one of its members, idempotently. Another partner's
// campaign answers exactly as an unknown one does (404), so ids reveal nothing across partners.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { RateLimitStore } from '../security/rate-limit/rate-limiter.ts';
import { limitBy } from '../security/rate-limit/koa-rate-limit.ts';
import { normaliseCouponCode } from '../domain/coupons/coupon-rules.ts';
import type { CouponProblem, CouponService } from '../domain/coupons/coupon-service.ts';
import type { Campaign, CampaignUpdate } from '../domain/coupons/coupons.repository.ts';
import { DomainError } from '../domain/errors.ts';
import { requestHash } from '../domain/loyalty/loyalty-service.ts';
import type { PartnerMemberLink } from '../domain/partners/partners.repository.ts';
import { idempotencyKey, markReplayed } from '../member-api/idempotency.ts';
import { jsonBody } from '../middleware/koa-json-body.ts';
import { campaignJson, codeJson, parseChanges, parseNewCampaign, parsePage } from './campaign-input.ts';
import type { PartnerCaller } from './koa-require-partner-token.ts';

export interface CouponRouteDeps {
  coupons: CouponService;
  requireToken: (scope: string) => Middleware;
  loadLinkedMember: Middleware;
  rateLimits: RateLimitStore;
}

/**
 * Coupon guessing through a partner: 30 code attempts per member and partner an hour (a till scanning a
 * member's coupons needs a handful). A partner's retries of one request count too; replays are cheap anyway.
 */
export const PARTNER_COUPON_RULE = { name: 'partner-coupon-member', points: 30, durationSeconds: 3600 };

const couponBody = z.object({ code: z.string().max(64) }).strict();

/** Why a code gave nothing, as the API says it: codes not open now look like unknown ones. */
const COUPON_ERRORS: Record<CouponProblem, () => DomainError> = {
  unknown: () => new DomainError('not_found', 'no open campaign with this code'),
  not_started: () => new DomainError('not_found', 'no open campaign with this code'),
  expired: () => new DomainError('not_found', 'no open campaign with this code'),
  used_up: () => new DomainError('conflict', 'this campaign has no uses left', { details: { reason: 'used_up' } }),
  member_limit: () => new DomainError('conflict', 'this member has used this code as often as the campaign allows', { details: { reason: 'member_limit' } }),
  code_used: () => new DomainError('conflict', 'this code has been used; each generated code works once', { details: { reason: 'code_used' } }),
  frozen: () => new DomainError('redemption_frozen', 'support has paused redemptions on this member\'s account; earning points still works', { details: { reason: 'frozen_by_support' } }),
};

const UPDATE_ERRORS: Record<Exclude<CampaignUpdate, { ok: true }>['reason'], () => DomainError> = {
  not_found: () => notFound(),
  ended: () => new DomainError('conflict', 'this campaign has ended and cannot change', { details: { reason: 'ended' } }),
  below_uses: () => new DomainError('conflict', 'total_limit cannot go below the uses already taken', { details: { reason: 'below_uses' } }),
  above_codes: () => new DomainError('invalid_input', 'total_limit cannot exceed the codes generated', { details: { fields: { total_limit: 'must be at most code_count' } } }),
  window: () => new DomainError('invalid_input', 'ends_at must be after starts_at', { details: { fields: { ends_at: 'must be after starts_at' } } }),
};

const MAX_CAMPAIGN_PAGE = 100;
const MAX_CODE_PAGE = 1000;

function notFound(): DomainError {
  return new DomainError('not_found', 'no campaign with this id for your organization');
}

export function couponRoutes(router: Router, deps: CouponRouteDeps): void {
  const { coupons, requireToken, loadLinkedMember } = deps;
  const partnerOf = (ctx: Context) => (ctx.state.partner as PartnerCaller).partnerId;
  const earn = requireToken('loyalty:earn');

  /** The caller's campaign behind :id; another partner's looks like none. */
  const loadCampaign: Middleware = async (ctx, next) => {
    const id = String(ctx.params.id ?? '');
    const campaign = id.length <= 64 ? await coupons.find(partnerOf(ctx), id) : undefined;
    if (!campaign) throw notFound();
    ctx.state.campaign = campaign;
    await next();
  };
  const campaignOf = (ctx: Context) => ctx.state.campaign as Campaign;

  router.post('/campaigns', earn, jsonBody(), async (ctx) => {
    const input = parseNewCampaign(ctx.request.body);
    const partnerId = partnerOf(ctx);
    ctx.status = 201;
    if (input.kind === 'single') {
      ctx.body = campaignJson(await coupons.createCampaign({ partnerId, ...input.campaign }), 0);
      return;
    }
    // The one answer holding every code; later they are paged from /campaigns/{id}/codes.
    const { campaign, codes } = await coupons.createGeneratedCampaign({ partnerId, ...input.campaign });
    ctx.body = { ...campaignJson(campaign, 0), codes };
  });

  router.get('/campaigns', earn, async (ctx) => {
    const { limit, after } = parsePage(ctx, MAX_CAMPAIGN_PAGE, 50);
    const page = await coupons.list(partnerOf(ctx), { limit: limit + 1, after });
    const items = page.slice(0, limit);
    ctx.body = { items: items.map((campaign) => campaignJson(campaign)), next: page.length > limit ? items.at(-1)!.id : null };
  });

  router.get('/campaigns/:id', earn, loadCampaign, async (ctx) => {
    const campaign = campaignOf(ctx);
    ctx.body = campaignJson(campaign, await coupons.countUses(campaign.id));
  });

  router.patch('/campaigns/:id', earn, loadCampaign, jsonBody(), async (ctx) => {
    const changes = parseChanges(ctx.request.body);
    const updated = await coupons.update(partnerOf(ctx), campaignOf(ctx).id, changes);
    if (!updated.ok) throw UPDATE_ERRORS[updated.reason]();
    ctx.body = campaignJson(updated.campaign, await coupons.countUses(updated.campaign.id));
  });

  // Ending is its own action, not a PATCH of ends_at: it is final, and repeating it changes nothing.
  router.post('/campaigns/:id/end', earn, loadCampaign, async (ctx) => {
    const ended = await coupons.end(partnerOf(ctx), campaignOf(ctx).id);
    if (!ended) throw notFound();
    ctx.body = campaignJson(ended, await coupons.countUses(ended.id));
  });

  router.get('/campaigns/:id/codes', earn, loadCampaign, async (ctx) => {
    const campaign = campaignOf(ctx);
    const { limit, after } = parsePage(ctx, MAX_CODE_PAGE, 100);
    if (campaign.codePattern === null) throw new DomainError('conflict', 'this campaign has a single code, not generated codes', { details: { reason: 'single_code' } });
    const page = await coupons.listCodes(campaign.id, { limit: limit + 1, after });
    const items = page.slice(0, limit);
    ctx.body = { items: items.map(codeJson), next: page.length > limit ? items.at(-1)!.code : null };
  });

  const guessing = limitBy(deps.rateLimits, PARTNER_COUPON_RULE, (ctx) => `${partnerOf(ctx)}\n${(ctx.state.link as PartnerMemberLink).accountId}`);
  router.post('/members/:sub/coupons', earn, loadLinkedMember, guessing, jsonBody(), async (ctx) => {
    const partnerId = partnerOf(ctx);
    const link = ctx.state.link as PartnerMemberLink;
    const key = idempotencyKey(ctx);
    const parsed = couponBody.safeParse(ctx.request.body);
    if (!parsed.success) throw new DomainError('invalid_input', 'body must be {"code": text}');
    const code = normaliseCouponCode(parsed.data.code);
    // Only this partner's codes: another partner's code is unknown here.
    const target = code ? await coupons.resolve(partnerId, code) : undefined;
    const result = await coupons.redeem(target, link.accountId, {
      // Scoped to the partner, so two partners cannot meet on a key; the hash is what the request asked.
      idempotency: { key: `${partnerId}:${key}`, requestHash: requestHash({ accountId: link.accountId, code: code ?? parsed.data.code.trim() }) },
    });
    if (!result.ok) throw COUPON_ERRORS[result.reason]();
    markReplayed(ctx, result.replayed);
    ctx.status = 201;
    // The balance is the member's business: shown only to a partner granted the loyalty scope.
    const showBalance = link.scope.split(' ').includes('loyalty');
    ctx.body = {
      id: result.entryId,
      campaign_id: result.campaign.id,
      points: result.points,
      ...(showBalance ? { points_balance: result.balance } : {}),
    };
  });
}
