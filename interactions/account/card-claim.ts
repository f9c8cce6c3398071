// "Claim a card from the old program" on the account pages: the card number, then the code sent to the card's
// contact on file, then back to the security page with the points in the balance.
import type { Context } from 'koa';
import { z } from 'zod';
import type { InteractionDeps } from '../shared/deps.ts';
import { CODE_SHAPE, field, parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { verificationForm } from '../verification/input.ts';
import { hasRecentStrongSignIn, memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

// Longer than any card number typed with spaces; what is longer is refused before it is read.
const cardForm = z.object({ card_number: field(64) });

export function cardClaimPages(deps: InteractionDeps) {
  const claims = deps.cardClaims;

  const numberPage = (ctx: Context, value: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'account/card', { csrfToken: csrfFor(deps, memberOf(ctx)), action: '/account/card', value, error }, status);

  async function codePage(ctx: Context, error: string | null, info: string | null, status = 200) {
    const pending = await claims.pending(memberOf(ctx).account);
    // No live code (expired, used, never asked for): back to the number form, saying why when a code was refused.
    if (!pending) return error ? numberPage(ctx, '', error, status) : seeOther(ctx, '/account/card');
    await renderPage(ctx, deps, 'account/card-code', {
      csrfToken: csrfFor(deps, memberOf(ctx)),
      action: '/account/card/verify',
      resendAction: '/account/card',
      resendValue: pending,
      smsEnabled: claims.smsEnabled,
      error,
      info,
    }, status);
  }

  return {
    show: (ctx: Context) => numberPage(ctx, '', null),

    async start(ctx: Context) {
      const form = parseForm(cardForm, ctx.request.body);
      const started = form ? await claims.start(memberOf(ctx).account, form.card_number) : { status: 'invalid' as const };
      if (started.status === 'invalid') return numberPage(ctx, form?.card_number ?? '', 'card.invalid', 400);
      if (started.status === 'already_yours') return seeOther(ctx, '/account/security?notice=card_claimed');
      seeOther(ctx, `/account/card/verify${started.retryAfterSeconds > 0 ? '?notice=too_soon' : ''}`);
    },

    showCode: (ctx: Context) => codePage(ctx, null, ctx.query.notice === 'too_soon' ? 'code.too_soon' : 'card.sent'),

    async confirm(ctx: Context) {
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, 'code.format', null, 400);
      const member = memberOf(ctx);
      // The card's mobile becomes the account's phone only under the phone page's own rule; else it is offered.
      const result = await claims.confirm(member.account, form.code, { mayAddPhone: hasRecentStrongSignIn(member) });
      if (!result.ok) return codePage(ctx, result.reason, null, 400);
      seeOther(ctx, `/account/security?notice=${result.phoneOffered ? 'card_claimed_add_phone' : 'card_claimed'}`);
    },
  };
}
