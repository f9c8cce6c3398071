// "Access history" (issue 17 item 7): the member's own sign-ins, failures, factor changes, redemptions and
// ended suspicious sessions of the last 90 days, in words, newest first, from the audit log, 20 a page.
import type { Context } from 'koa';
import type { AuditEventType } from '../../server/domain/audit/audit.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { countryName, describeUserAgent } from '../../server/sessions/describe-device.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { pageLanguage, renderPage } from '../shared/page.ts';
import { memberOf } from './member-session.ts';

export const HISTORY_DAYS = 90;
const PAGE_SIZE = 20;
const CURSOR = /^[A-Za-z0-9_.-]{1,200}$/;

/** What the member sees, each with its own sentence (account.history.event.<type with _ for .>). */
export const HISTORY_TYPES: readonly AuditEventType[] = [
  'sign_in.success', 'sign_in.failure', 'sign_in.blocked', 'sign_in.step_up', 'factor.added', 'factor.removed',
  'password.changed', 'phone.changed', 'email.changed', 'redemption', 'session.hijack_suspected',
];

/** Redemptions the points-fraud rules held or refused get their own sentence, not "Points redeemed" (issue 21). */
const REDEMPTION_OUTCOMES: Readonly<Record<string, string>> = { held: '_held', hold_rejected: '_hold_rejected', denied: '_refused', coupon_refused: '_refused' };

export function accessHistory(deps: InteractionDeps) {
  return async (ctx: Context) => {
    const { account } = memberOf(ctx);
    const language = await pageLanguage(ctx, deps);
    const before = typeof ctx.query.before === 'string' && CURSOR.test(ctx.query.before) ? ctx.query.before : undefined;
    const query = { accountId: account.id, types: [...HISTORY_TYPES], from: new Date(Date.now() - HISTORY_DAYS * 86_400_000), limit: PAGE_SIZE };
    let page;
    try {
      page = await deps.audit.list({ ...query, ...(before ? { before } : {}) });
    } catch (error) {
      // A cursor that is not ours (edited, or from before a key change): the first page instead.
      if (!(error instanceof DomainError) || error.code !== 'invalid_input') throw error;
      page = await deps.audit.list(query);
    }
    await renderPage(ctx, deps, 'account/history', {
      days: HISTORY_DAYS,
      events: page.events.map((event) => ({
        messageId: `account.history.event.${event.type.replace('.', '_')}${REDEMPTION_OUTCOMES[event.type === 'redemption' ? (event.reason ?? '') : ''] ?? ''}`,
        at: event.at,
        place: countryName(event.country, language),
        ...describeUserAgent(event.userAgent),
      })),
      nextUrl: page.next ? `/account/history?before=${encodeURIComponent(page.next)}` : null,
      firstUrl: before ? '/account/history' : null,
    });
  };
}
