// "Redeem a coupon code" on the account pages: a code of any partner's campaign (single or generated), its
// points credited, then back to the security page with a notice; each refusal has one plain message.
import type { Context } from 'koa';
import { z } from 'zod';
import type { CouponProblem } from '../../server/domain/coupons/coupon-service.ts';
import { normaliseCouponCode } from '../../server/domain/coupons/coupon-rules.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { field, parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

// Longer than any code typed with spaces around it; what is longer is refused before it is read.
const couponForm = z.object({ code: field(64) });

/** An expired code says what an unknown one says: neither can be used, and the member needs no more. */
const MESSAGES: Record<CouponProblem, string> = {
  unknown: 'coupon.error.unknown',
  expired: 'coupon.error.unknown',
  not_started: 'coupon.error.not_started',
  used_up: 'coupon.error.used_up',
  member_limit: 'coupon.error.member_limit',
  code_used: 'coupon.error.code_used',
  frozen: 'coupon.error.frozen',
};

export function couponPages(deps: InteractionDeps) {
  const page = (ctx: Context, value: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'account/coupon', { csrfToken: csrfFor(deps, memberOf(ctx)), action: '/account/coupon', value, error }, status);

  return {
    show: (ctx: Context) => page(ctx, '', null),

    async redeem(ctx: Context) {
      const form = parseForm(couponForm, ctx.request.body);
      const code = form ? normaliseCouponCode(form.code) : undefined;
      const now = new Date();
      const target = code ? await deps.coupons.resolveAny(code, now) : undefined;
      const accountId = memberOf(ctx).account.id;
      // Many members redeeming one campaign from one browser (or, without its cookie, one address): coupon farming.
      const cookie = deps.deviceCookie.read(ctx);
      const use = target ? { campaignId: target.campaign.id, device: cookie ? deps.deviceCookie.hash(cookie) : `ip:${String(ctx.state.clientIp)}`, accountId } : undefined;
      const signal = use ? await deps.couponDevices.check(use) : undefined;
      if (signal) {
        await deps.audit.record({ type: 'redemption', accountId, ip: String(ctx.state.clientIp), reason: 'coupon_refused', details: { score: signal.score, signals: signal.rule, campaign_id: use?.campaignId ?? null, outcome: 'deny' } });
        return page(ctx, form?.code ?? '', 'coupon.error.device_limit', 400);
      }
      const result = await deps.coupons.redeem(target, accountId, { at: now });
      if (!result.ok) return page(ctx, form?.code ?? '', MESSAGES[result.reason], 400);
      if (use) await deps.couponDevices.record(use);
      seeOther(ctx, '/account/security?notice=coupon_redeemed');
    },
  };
}
