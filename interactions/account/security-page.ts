// The account-security page: sign-in methods (password, passkeys), second factors (authenticator app,
// phone), the member's other sessions and their loyalty card, with a one-shot notice after each change.
import type { Context } from 'koa';
import { maskEmail } from '../../server/domain/accounts/email-address.ts';
import { mayAddFirstWayIn } from './phone-only-member.ts';
import { formatPhone } from '../../server/domain/accounts/phone-number.ts';
import { passwordProvesMailbox } from '../../server/domain/accounts/mailbox-password.ts';
import type { HeldRedemption } from '../../server/domain/loyalty/held-redemptions.repository.ts';
import { availableMethods } from '../mfa/methods.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage } from '../shared/page.ts';
import { wayBack } from '../../server/branding/way-back.ts';
import { hasRecentStrongSignIn, type Member, memberOf } from './member-session.ts';
import { linkedAccountsOf } from './linked-accounts.ts';
import { linkableConnections } from './link-account.ts';

/** Notices a redirect may ask for (?notice=...): an allowlist, so the query cannot inject text. */
const NOTICES = new Set([
  'reauth_needed', 'reauth_stronger', 'last_way_in', 'passkey_added', 'passkey_removed', 'passkey_renamed', 'app_added', 'app_removed',
  'codes_regenerated', 'phone_added', 'phone_removed', 'sessions_ended', 'not_found', 'card_claimed', 'card_claimed_add_phone', 'coupon_redeemed',
  'passkey_name_invalid', 'email_changed', 'export_requested', 'deletion_scheduled', 'deletion_cancelled', 'link_removed',
  'link_added', 'link_exists', 'link_taken', 'link_failed', 'link_cancelled',
]);
/** After these, the page suggests signing out everywhere else (the change may be a lost device). */
const FACTOR_CHANGES = new Set(['passkey_removed', 'app_removed', 'phone_removed', 'app_added', 'passkey_added', 'phone_added']);

async function latestExport(deps: InteractionDeps, accountId: string): Promise<{ url: string; expiresAt: Date } | { pending: true } | null> {
  const stored = await deps.exports.latest(accountId);
  if (!stored) return null;
  return stored.archive === null ? { pending: true } : { url: `/account/export/${encodeURIComponent(stored.id)}`, expiresAt: stored.expiresAt };
}

/** The member's held redemptions still waiting for review, counted for the card section; null when there are none. */
function pendingReview(holds: readonly HeldRedemption[]): { count: number; points: number } | null {
  const waiting = holds.filter((hold) => hold.status === 'held');
  return waiting.length ? { count: waiting.length, points: waiting.reduce((sum, hold) => sum + hold.points, 0) } : null;
}

export function csrfFor(deps: InteractionDeps, member: Member): string {
  return deps.csrf.tokenFor(`account\0${member.sessionId}`);
}

export function securityPage(deps: InteractionDeps) {
  return async (ctx: Context) => {
    const member = memberOf(ctx);
    const { account } = member;
    const notice = typeof ctx.query.notice === 'string' && NOTICES.has(ctx.query.notice) ? ctx.query.notice : null;
    const app = await deps.totp.enrolled(account.id);
    const passkeys = await deps.passkeys.list(account.id);
    const loyalty = await deps.loyalty.ensureMember(account.id);
    const canChange = hasRecentStrongSignIn(member);
    // After a reset by email, every way in this member has proves the mailbox (the password included):
    // "Confirm it is you" could only end on the step-up's dead end, so the page says why instead.
    const reauthBlocked = !canChange && passwordProvesMailbox(account) && (await availableMethods(deps, account, new Set(['mailbox']))).length === 0;
    await renderPage(ctx, deps, 'account/security', {
      csrfToken: csrfFor(deps, member),
      email: account.email,
      maskedEmail: account.email ? maskEmail(account.email) : null,
      hasPassword: account.passwordHash !== null,
      // Shown as members write it ("+52 55 1234 5678"), never the stored E.164.
      phone: account.phone ? formatPhone(account.phone) : null,
      smsEnabled: deps.phones.enabled,
      linkedAccounts: await linkedAccountsOf(deps, account.id),
      // "Link another": every connection (the account page has no client to narrow them).
      linkable: await linkableConnections(deps),
      passkeys: passkeys.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt, synced: p.backedUp })),
      // The last passkey of an account without a password is its only way in: no remove button.
      lastWayIn: account.passwordHash === null && passkeys.length <= 1,
      // Dates go to the messages as Date: ICU ({date, date, medium}) writes them for the page language.
      app: app ? { createdAt: app.createdAt, lastUsedAt: app.lastUsedAt } : null,
      recoveryCodesLeft: app ? await deps.totp.recoveryCodesLeft(account.id) : 0,
      canChange,
      // A phone-first member's first email or passkey (see phone-only-member.ts), without the two-factor confirmation.
      canAddFirstWayIn: !canChange && (await mayAddFirstWayIn(deps, member)),
      reauthBlocked,
      // Recent enough but not strong enough to remove that factor: the way to confirm with a stronger one.
      reauthStronger: notice === 'reauth_stronger',
      reauthUrl: '/account/sign-in?reauth=1',
      memberNumber: loyalty.memberNumber,
      balance: loyalty.balance,
      // Redemptions held for review: their points are set aside (already out of the balance) until a person decides.
      pendingReview: pendingReview(await deps.heldRedemptions.listByAccount(account.id, 100)),
      notice: notice ? `account.notice.${notice}` : null,
      suggestEndSessions: notice !== null && FACTOR_CHANGES.has(notice),
      // After a claim whose card had a mobile: it is added through the phone page, under that page's rule and code.
      offerPhone: notice === 'card_claimed_add_phone' && !account.phone && deps.phones.enabled,
      // No dead ends: the way back to the program's home (BRANDING_FILE home_url, else our home page).
      wayBack: wayBack(undefined),
      // Scheduled for deletion: the date, and "Keep my account" on every visit until then.
      deletionScheduled: (await deps.erasure.scheduled(account.id))?.eraseAt ?? null,
      // The emailed link lands here after signing in (no return path on hosted pages): the archive is linked here too.
      latestExport: await latestExport(deps, account.id),
    });
  };
}
