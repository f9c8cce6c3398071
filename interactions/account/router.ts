// The member's account pages under /account: sign in through the provider, then see and change how
// they sign in. Every POST runs: parse-body → load-member → check-csrf (bound to the session) →
// [require-recent-strong-sign-in] → handler.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';
import { appSettings } from './app-settings.ts';
import { appsPage } from './apps-page.ts';
import { cardClaimPages } from './card-claim.ts';
import { languageSettings } from './language-settings.ts';
import { couponPages } from './coupon.ts';
import { loadMember, memberOf, requireRecentStrongSignIn, requireSignInAsStrongAs } from './member-session.ts';
import { FACTOR_STRENGTH } from '../../config/assurance.ts';
import { passkeySettings } from './passkey-settings.ts';
import { passwordSettings } from './password-settings.ts';
import { phoneSettings } from './phone-settings.ts';
import { privacySettings } from './privacy-settings.ts';
import { securityPage } from './security-page.ts';
import { sessionSettings } from './session-settings.ts';
import { sessionsPage } from './sessions-page.ts';
import { accessHistory } from './access-history.ts';
import { emailSettings, undoCsrfBinding } from './email-settings.ts';
import { phoneOnlyOr } from './phone-only-member.ts';
import { signOutPages } from './sign-out.ts';
import { accountSignIn } from './sign-in.ts';
import { ACCOUNT_RULES } from './limits.ts';
import { linkedAccountSettings } from './linked-accounts.ts';
import { accountLinking } from './link-account.ts';
import { consentSettings } from './consent-settings.ts';
import { formKey, limitBy } from '../../server/security/rate-limit/koa-rate-limit.ts';
import { mergePages, mergeTargetKey } from './merge-pages.ts';
import { MERGE_RULES } from './merge-limits.ts';

export function accountRouter(deps: InteractionDeps, options: { issuer: string; secure: boolean }): Router {
  const router = new Router({ prefix: '/account' });
  const signIn = accountSignIn(deps, options);
  const passkeys = passkeySettings(deps);
  const app = appSettings(deps);
  const phone = phoneSettings(deps);
  const password = passwordSettings(deps);
  const sessions = sessionSettings(deps);
  const card = cardClaimPages(deps);
  const coupon = couponPages(deps);
  const signOut = signOutPages(deps);
  const privacy = privacySettings(deps);
  const linked = linkedAccountSettings(deps);

  const member = loadMember(deps);
  const csrf = deps.csrf.verify((ctx) => `account\0${memberOf(ctx).sessionId}`);
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable form body');
  } });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '32kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable JSON body');
  } });
  const post = [form, member, csrf];
  const strong = [...post, requireRecentStrongSignIn];
  // Removing a factor needs a sign-in at least as strong as it (see FACTOR_STRENGTH in config/assurance.ts).
  const asStrongAsDevice = [...strong, requireSignInAsStrongAs(FACTOR_STRENGTH.device)];
  const asStrongAsPhone = [...strong, requireSignInAsStrongAs(FACTOR_STRENGTH.phone)];

  router.get('/', (ctx) => seeOther(ctx, '/account/security'));
  router.get('/sign-in', signIn.start);
  router.get('/callback', signIn.callback);
  router.get('/security', member, securityPage(deps));

  router.post('/sessions/end-others', ...post, sessions.endOthers);
  // Sessions, devices and access history (issue 17 item 7). Ending a session or forgetting a device takes
  // access away, never adds it: like "Sign out everywhere else", a signed-in member with a CSRF token may.
  const devices = sessionsPage(deps);
  router.get('/sessions', member, devices.show);
  router.post('/sessions/:uid/end', ...post, devices.endSession);
  router.post('/devices/:id/forget', ...post, devices.forgetDevice);
  router.get('/history', member, accessHistory(deps));
  router.post('/sign-out', ...post, signOut.signOut);
  router.get('/signed-out', signOut.signedOut);
  router.post('/language', ...post, languageSettings(deps));

  // A phone-first member's first passkey, with the recent phone sign-in they can make (see phone-only-member.ts).
  const firstPasskey = [json, member, csrf, phoneOnlyOr(deps, requireRecentStrongSignIn)];
  router.post('/passkeys/options', ...firstPasskey, passkeys.options);
  router.post('/passkeys', ...firstPasskey, passkeys.create);
  router.post('/passkeys/:id/rename', ...post, passkeys.rename);
  router.post('/passkeys/:id/remove', ...asStrongAsDevice, passkeys.remove);
  router.post('/linked/remove', ...strong, linked.remove);
  // "Link another" (issue 16): a new way in, so a recent strong sign-in starts it; the callback is bound to it.
  const linking = accountLinking(deps);
  router.post('/linked/start', ...strong, linking.start);
  router.get('/linked/callback/:id', member, linking.callback);

  router.post('/app', ...strong, app.start);
  router.get('/app', member, app.show);
  router.post('/app/confirm', ...strong, app.confirm);
  router.post('/app/remove', ...asStrongAsDevice, app.remove);
  // New recovery codes are new device-class credentials: as strong a sign-in as removing the app.
  router.post('/recovery-codes', ...asStrongAsDevice, app.regenerateCodes);
  router.post('/recovery-codes.txt', ...post, app.downloadCodes);

  // Changing the email replaces the mailbox way in (codes, password reset): like the phone, a recent strong
  // sign-in that proved at least a mailbox-strength factor, for the form, the code and its resend.
  const email = emailSettings(deps);
  // A phone-first member adds a first email with the recent phone sign-in they can make (see phone-only-member.ts).
  const asStrongAsMailboxOnly = requireSignInAsStrongAs(FACTOR_STRENGTH.mailbox);
  const firstEmailOrStrong = phoneOnlyOr(deps, (ctx, next) => requireRecentStrongSignIn(ctx, () => asStrongAsMailboxOnly(ctx, next)));
  router.get('/email', member, phoneOnlyOr(deps, requireRecentStrongSignIn), email.show);
  router.post('/email', ...post, firstEmailOrStrong, email.start);
  router.get('/email/verify', member, phoneOnlyOr(deps, requireRecentStrongSignIn), email.showCode);
  router.post('/email/verify', ...post, firstEmailOrStrong, email.confirm);
  // The old address's "this was not me" link: no session needed (its owner may be locked out); the token is
  // in the query (never logged) and the POST's CSRF token is bound to it.
  router.get('/email/undo', email.showUndo);
  router.post('/email/undo', form, deps.csrf.verify(undoCsrfBinding), email.undo);

  router.get('/phone', member, phone.show);
  router.post('/phone', ...strong, phone.start);
  router.get('/phone/verify', member, phone.showCode);
  router.post('/phone/verify', ...strong, phone.confirm);
  router.post('/phone/remove', ...asStrongAsPhone, phone.remove);

  // A new password is a new way in: the form and the change both need a recent strong sign-in.
  router.get('/password', member, requireRecentStrongSignIn, password.show);
  router.post('/password', ...strong, password.change);

  // Claiming a card adds points, not a way in: a signed-in member with a CSRF token is enough (the code to
  // the card's contact is the proof that matters).
  router.get('/card', member, card.show);
  const byMember = (ctx: Parameters<typeof memberOf>[0]) => memberOf(ctx).account.id;
  router.post('/card', ...post,
    limitBy(deps.rateLimits, ACCOUNT_RULES.cardClaimMember, byMember, 'error.blocked.codes'),
    limitBy(deps.rateLimits, ACCOUNT_RULES.cardClaimCard, formKey('card_number', true), 'error.blocked.codes'),
    card.start);
  router.get('/card/verify', member, card.showCode);
  router.post('/card/verify', ...post, card.confirm);

  // A coupon adds points the partner chose to give: a signed-in member with a CSRF token is enough.
  router.get('/coupon', member, coupon.show);
  router.post('/coupon', ...post, limitBy(deps.rateLimits, ACCOUNT_RULES.couponMember, byMember), coupon.redeem);

  // "Download my data": each request builds a whole archive, so a few a day per member.
  router.get('/export', member, privacy.showExport);
  router.post('/export', ...post, limitBy(deps.rateLimits, ACCOUNT_RULES.exportMember, byMember), privacy.requestExport);
  router.get('/export/:id', member, privacy.download);
  // "Delete my account": scheduling needs a recent strong sign-in; keeping the account needs only the session.
  router.get('/delete', member, privacy.showDelete);
  router.post('/delete', ...strong, privacy.requestDelete);
  router.post('/delete/cancel', ...post, privacy.cancelDelete);
  // "Apps and partners" (issue 17 item 2): stopping to share takes access away, never adds it, so like ending a
  // session a signed-in member with a CSRF token may (after the confirmation page); no recent sign-in needed.
  const apps = appsPage(deps);
  router.get('/apps', member, apps.show);
  router.get('/apps/stop', member, apps.confirm);
  router.post('/apps/stop', ...post, apps.stop);
  // "Privacy choices" (issue 17 items 1 and 3): giving and withdrawing are equally easy, a signed-in member with a
  // CSRF token; a receipt is emailed on request, a few a day.
  const consents = consentSettings(deps, options.issuer);
  router.get('/consents', member, consents.show);
  router.post('/consents', ...post, limitBy(deps.rateLimits, ACCOUNT_RULES.consentChangeMember, byMember), consents.change);
  router.get('/consents/receipts/:id', member, consents.download);
  router.post('/consents/receipts/:id/email', ...post, limitBy(deps.rateLimits, ACCOUNT_RULES.receiptEmailMember, byMember), consents.email);
  // "Merge another account" (issue 21): proving the other account is a sign-in attempt against it (limited per member
  // and per name typed, and under the sign-in lockout); the merge itself needs a recent strong sign-in of this one.
  const merge = mergePages(deps);
  router.get('/merge', member, merge.show);
  router.post('/merge', ...post,
    limitBy(deps.rateLimits, MERGE_RULES.proofMember, byMember),
    limitBy(deps.rateLimits, MERGE_RULES.proofTarget, mergeTargetKey),
    merge.start);
  const byMemberLimit = limitBy(deps.rateLimits, MERGE_RULES.proofMember, byMember);
  router.post('/merge/passkey/options', json, member, csrf, merge.passkeyOptions);
  router.post('/merge/passkey', json, member, csrf, byMemberLimit, merge.passkey);
  router.get('/merge/code', member, merge.showCode);
  router.post('/merge/code', ...post, merge.confirmCode);
  router.get('/merge/review', member, merge.review);
  router.post('/merge/confirm', ...strong, merge.confirm);
  router.post('/merge/cancel', ...post, merge.cancel);
  return router;
}
