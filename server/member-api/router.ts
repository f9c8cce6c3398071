// The member API under /api/v1/me: a member's own app reads their loyalty status and redeems points
// with the member's access token for this API's resource indicator (memberApiResource in config/provider.ts).
// Per route: require-member-token → [parse-json-body] → handler.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { REDEEM_SCOPE } from '../../config/provider.ts';
import type { AccountService } from '../domain/accounts/account-service.ts';
import { accountLabel } from '../domain/accounts/account.ts';
import { DomainError } from '../domain/errors.ts';
import { textField } from '../domain/text.ts';
import type { LedgerEntry } from '../domain/loyalty/loyalty.repository.ts';
import { type LoyaltyService, MAX_POINTS_PER_ENTRY, tierFor } from '../domain/loyalty/loyalty-service.ts';
import { checkRedemption, REDEMPTION_ACR, REDEMPTION_MAX_AUTH_AGE_SECONDS } from '../domain/loyalty/redemption-policy.ts';
import { type HeldRedemptionsRepository, holdId } from '../domain/loyalty/held-redemptions.repository.ts';
import { negotiateLanguage } from '../i18n/negotiate.ts';
import { translate } from '../i18n/messages.ts';
import { type RedemptionRisk, redemptionOutcome } from '../security/risk/redemption-risk.ts';
import { HIGH_RISK_SCORE } from '../security/risk/risk-engine.ts';
import type { SecurityEvents } from '../security/security-events.ts';
import { jsonBody } from '../middleware/koa-json-body.ts';
import { idempotencyKey, markReplayed } from './idempotency.ts';
import type { SigningKeys } from '../domain/keys/key-service.ts';
import type { HookRunner } from '../hooks/hook-runner.ts';
import type { RedemptionFreezes } from '../domain/coupons/coupon-service.ts';
import { bearerChallenge, type MemberToken, memberTokenVerifier } from './koa-require-member-token.ts';

export interface MemberApiDeps {
  provider: Provider;
  issuer: string;
  /** Our signing keys: member tokens are JWTs verified against the ones published now. */
  keys: SigningKeys;
  accounts: AccountService;
  loyalty: LoyaltyService;
  /** Risk of this redemption next to the member's history (sign-in and points-fraud rules; issue 21). */
  redemptionRisk: RedemptionRisk;
  /** Redemptions the rules hold for review. */
  holds: Pick<HeldRedemptionsRepository, 'hold' | 'listByAccount'>;
  events: SecurityEvents;
  /** The operator's post-redemption hook (issue 18): told after the redemption commits, never waited for. */
  hooks?: Pick<HookRunner, 'postRedemption'>;
  /** Members whose redemptions staff froze (issue 20): refused until lifted. */
  freezes?: RedemptionFreezes;
}

const redemptionBody = z.object({
  points: z.number().int().min(1).max(MAX_POINTS_PER_ENTRY),
  reason: textField(200).default('redemption'),
}).strict();

export function entryJson(entry: LedgerEntry) {
  return {
    id: entry.id,
    kind: entry.kind,
    points: entry.points,
    balance_after: entry.balanceAfter,
    reason: entry.reason,
    created_at: entry.createdAt.toISOString(),
  };
}

/**
 * A redemption held for review: recorded and its points reserved (balance_after already without them), not final
 * until released; `message` says so in the language the app asked for (Accept-Language).
 */
export function heldJson(entry: LedgerEntry, id: string, acceptLanguage: string | undefined) {
  return {
    ...entryJson(entry),
    status: 'pending_review',
    hold_id: id,
    message: translate(negotiateLanguage(acceptLanguage), 'fraud.pending_review', { points: -entry.points }),
  };
}

export function memberApiRouter(deps: MemberApiDeps): Router {
  const router = new Router({ prefix: '/api/v1/me' });
  const tokenOf = (ctx: Context) => ctx.state.memberToken as MemberToken;
  const requireMemberToken = memberTokenVerifier({ provider: deps.provider, issuer: deps.issuer, keys: deps.keys });
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', requireMemberToken('loyalty'), async (ctx) => {
    const member = await deps.loyalty.ensureMember(tokenOf(ctx).accountId);
    ctx.body = {
      member_number: member.memberNumber,
      tier: tierFor(member.lifetimePoints),
      points_balance: member.balance,
      lifetime_points: member.lifetimePoints,
      enrolment_channel: member.enrolmentChannel,
    };
  });

  router.get('/points', requireMemberToken('loyalty'), async (ctx) => {
    const { accountId, partnerId } = tokenOf(ctx);
    // A partner's client sees its own partner's entries only: not other partners' (nor their reasons).
    const entries = partnerId ? await deps.loyalty.partnerHistory(accountId, partnerId) : await deps.loyalty.history(accountId);
    // A held redemption's entry says where its review stands (pending_review until released or rejected).
    const reviews = entries.some((entry) => entry.kind === 'hold')
      ? new Map((await deps.holds.listByAccount(accountId, 100)).map((hold) => [hold.entryId, hold.status === 'held' ? 'pending_review' : hold.status]))
      : new Map<string, string>();
    ctx.body = { entries: entries.map((entry) => (entry.kind === 'hold' ? { ...entryJson(entry), status: reviews.get(entry.id) ?? 'pending_review' } : entryJson(entry))) };
  });

  router.post('/redemptions', requireMemberToken(REDEEM_SCOPE), jsonBody(), async (ctx) => {
    const token = tokenOf(ctx);
    const key = idempotencyKey(ctx);
    const parsed = redemptionBody.safeParse(ctx.request.body);
    if (!parsed.success) throw new DomainError('invalid_input', 'body must be {"points": 1..1000000, "reason"?: text}', { details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } });
    const account = await deps.accounts.findById(token.accountId);
    if (!account) {
      bearerChallenge(ctx, { error: 'invalid_token' });
      throw new DomainError('invalid_token', 'the member of this token no longer exists');
    }
    if (await deps.freezes?.findRedemptionFreeze(account.id)) {
      throw new DomainError('redemption_frozen', 'Support has paused redemptions on this account; contact support', { details: { reason: 'frozen_by_support' } });
    }
    const ip = String(ctx.state.clientIp);
    const member = await deps.loyalty.ensureMember(account.id);
    const risk = await deps.redemptionRisk.assess({
      accountId: account.id, email: accountLabel(account), ip, points: parsed.data.points, balance: member.balance,
      credentialsChangedAt: [account.credentialsChangedAt, account.contactChangedAt].reduce<Date | null>((a, b) => (b && (!a || b > a) ? b : a), null),
    });
    const decision = redemptionOutcome(risk.score, token, deps.redemptionRisk.settings);
    // Every decision is audited with its score and the rules that fired (issue 21).
    const event = { accountId: account.id, ip, country: risk.country ?? null, details: { score: risk.score, signals: risk.signals.map((s) => s.rule).join(' '), points: parsed.data.points, outcome: decision.outcome } };
    if (!account.emailVerified) throw new DomainError('forbidden', 'only a verified member can redeem points');
    if (decision.outcome === 'deny') {
      await deps.events.record({ type: 'redemption', reason: 'denied', ...event });
      throw new DomainError('redemption_denied', 'This redemption looks like account takeover and was refused; contact support');
    }
    if (decision.outcome === 'step_up') {
      const wanted = decision.acrValues === REDEMPTION_ACR ? 'a two-factor sign-in' : 'a passkey sign-in';
      const within = `${wanted} in the last ${decision.maxAge / 60} minutes`;
      await deps.events.record({ type: 'redemption', reason: risk.score >= HIGH_RISK_SCORE ? 'refused_risk' : 'refused_step_up', ...event });
      // RFC 9470: the client sends the member back through the authorization endpoint with these.
      bearerChallenge(ctx, {
        error: 'insufficient_user_authentication',
        error_description: `Redeeming points needs ${within}`,
        acr_values: decision.acrValues,
        max_age: String(decision.maxAge),
      });
      throw new DomainError('insufficient_user_authentication', `Redeeming points needs ${within}`);
    }
    // The sign-in is strong and fresh enough for this risk: what is left is the freeze after a credential change.
    const check = checkRedemption(account, token, Date.now(), REDEMPTION_MAX_AUTH_AGE_SECONDS);
    if (!check.ok && check.reason === 'frozen') {
      ctx.set('Retry-After', String(check.retryAfterSeconds ?? 0));
      throw new DomainError('redemption_frozen', 'Redemptions are paused for 24 hours after a password or phone change');
    }
    if (!check.ok) throw new DomainError('forbidden', 'only a verified member can redeem points');

    const request = {
      accountId: account.id,
      points: parsed.data.points,
      // The organization that asked: the client's partner, or the program itself for its own apps.
      partnerId: token.partnerId ?? null,
      reason: parsed.data.reason,
      // Scoped to the app and the member: two apps (or two members) cannot collide on a key.
      idempotencyKey: `redeem:${token.clientId}:${account.id}:${key}`,
    };
    const result = decision.outcome === 'hold'
      ? await deps.holds.hold({ ...request, requestHash: deps.loyalty.redemptionHash(request), score: risk.score, signals: risk.signals.map((s) => s.rule) })
      : await deps.loyalty.redeem(request);
    if (!result.ok && result.reason === 'insufficient_points') throw new DomainError('insufficient_points', 'not enough points');
    if (!result.ok && result.reason === 'idempotency_conflict') throw new DomainError('idempotency_conflict', 'this Idempotency-Key was used for a different request');
    if (!result.ok) throw new DomainError('not_found', 'no loyalty member for this account');
    // Held (now or by an earlier try of this request): recorded, points reserved, final only once a person releases it.
    if (result.entry.kind === 'hold') {
      if (!result.replayed) await deps.events.record({ type: 'redemption', reason: 'held', ...event });
      markReplayed(ctx, result.replayed);
      ctx.status = 202;
      ctx.body = heldJson(result.entry, holdId(request.idempotencyKey), ctx.get('Accept-Language'));
      return;
    }
    if (!result.replayed) await deps.events.record({ type: 'redemption', reason: 'redeemed', ...event });
    if (!result.replayed) {
      deps.hooks?.postRedemption({
        sub: account.id, client_id: token.clientId, partner_id: token.partnerId ?? null, entry_id: result.entry.id, points: result.entry.points, balance_after: result.entry.balanceAfter, reason: result.entry.reason,
      }, account.id);
    }
    markReplayed(ctx, result.replayed);
    ctx.status = 201;
    ctx.body = entryJson(result.entry);
  });

  return router;
}
