// Hosted interaction pages. GET /interaction/:uid dispatches on oidc-provider's prompt name; every
// POST runs: parse-body → check-csrf → load-interaction → require-prompt → handler.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { DomainError } from '../server/domain/errors.ts';
import { codeSignInHandlers } from './code-sign-in/handlers.ts';
import { phoneSignUpHandlers } from './registration/phone-sign-up.ts';
import { emailStepHandlers } from './profile/email-step.ts';
import { consentHandlers } from './consent/handlers.ts';
import { erasureHandlers } from './erasure/handlers.ts';
import { federationHandlers } from './federation/handlers.ts';
import { homeRealmDiscovery } from './federation/koa-home-realm.ts';
import { loginHandlers } from './login/handlers.ts';
import { checkSignInGate } from './login/koa-check-sign-in-gate.ts';
import { mfaHandlers } from './mfa/handlers.ts';
import { passkeyHandlers } from './passkey/handlers.ts';
import { passkeyOfferHandlers } from './passkey/offer-handlers.ts';
import { profileHandlers } from './profile/handlers.ts';
import { purposesHandlers } from './purposes/handlers.ts';
import { termsHandlers } from './purposes/terms-handlers.ts';
import { recoveryHandlers } from './recovery/handlers.ts';
import { registrationHandlers } from './registration/handlers.ts';
import { checkSignUpGate } from './registration/koa-check-sign-up-gate.ts';
import { codeSignInRules } from './code-sign-in/limits.ts';
import { RECOVERY_RULES } from './recovery/limits.ts';
import { formKey, limitBy } from '../server/security/rate-limit/koa-rate-limit.ts';
import type { InteractionDeps, InteractionDetails } from './shared/deps.ts';
import { kioskMode } from './shared/koa-kiosk-mode.ts';
import { loadInteraction, requirePrompt } from './shared/koa-load-interaction.ts';
import { interactionLanguagePick } from './shared/language-pick.ts';
import { takeSignUpIntent } from './home/sign-up-intent.ts';
import { seeOther } from './shared/page.ts';
import { verificationHandlers } from './verification/handlers.ts';

export function interactionRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  const login = loginHandlers(deps);
  const registration = registrationHandlers(deps);
  const verification = verificationHandlers(deps);
  const recovery = recoveryHandlers(deps);
  const consent = consentHandlers(deps);
  const mfa = mfaHandlers(deps);
  const passkey = passkeyHandlers(deps);
  const offer = passkeyOfferHandlers(deps);
  const codeSignIn = codeSignInHandlers(deps);
  const phoneSignUp = phoneSignUpHandlers(deps);
  const emailStep = emailStepHandlers(deps);
  const profile = profileHandlers(deps);
  const erasure = erasureHandlers(deps);
  const federation = federationHandlers(deps);
  const purposes = purposesHandlers(deps);
  const terms = termsHandlers(deps);

  const load = loadInteraction(deps.provider);
  const loadClient: Middleware = async (ctx, next) => {
    const details = ctx.state.interaction as InteractionDetails;
    ctx.state.client = await deps.provider.Client.find(String(details.params.client_id));
    await next();
  };
  // Forms only, small: nothing on these pages needs more than a few hundred bytes.
  const parse = bodyParser({ enableTypes: ['form'], formLimit: '16kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable form body');
  } });
  // The device cookie, or on a kiosk client's pages kiosk mode instead (koa-kiosk-mode.ts).
  const device = kioskMode(deps);
  const post = [parse, deps.csrf.verify(), load, loadClient, device];
  // The passkey endpoints are called by public/passkey.js with JSON (the credential), CSRF token inside.
  const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: '32kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable JSON body');
  } });
  const postJson = [parseJson, deps.csrf.verify(), load, loadClient, device];
  const get = [load, loadClient, device];
  const signedOut = requirePrompt('login');

  router.get('/', ...get, async (ctx: Context) => {
    const { prompt } = ctx.state.interaction as InteractionDetails;
    switch (prompt.name) {
      case 'login':
        // "Create account" on the home page: the sign-up form of this interaction first (home/sign-up-intent.ts).
        if (takeSignUpIntent(ctx)) return seeOther(ctx, `/interaction/${(ctx.state.interaction as InteractionDetails).uid}/register`);
        return login.show(ctx);
      case 'mfa':
        return mfa.show(ctx);
      case 'profile':
        return profile.show(ctx);
      case 'email':
        return emailStep.show(ctx);
      case 'erasure':
        return erasure.show(ctx);
      case 'terms':
        return terms.show(ctx);
      case 'purposes':
        return purposes.show(ctx);
      case 'consent':
        return consent.show(ctx);
      default:
        throw new DomainError('invalid_input', `unsupported prompt ${prompt.name}`);
    }
  });
  // An email at a domain routed to an enterprise connection goes there (home-realm discovery), before the password gate.
  router.post('/login', ...post, signedOut, homeRealmDiscovery(deps, federation.startWith), checkSignInGate(deps), login.submit);
  router.get('/connections/link', ...get, signedOut, federation.linkPage);
  router.post('/connections/link', ...post, signedOut, federation.linkDecision);
  router.post('/connections/:id', ...post, signedOut, federation.start);
  router.get('/connections/:id/callback', ...get, signedOut, federation.finish);
  router.get('/connections/:id/saml', ...get, signedOut, federation.samlFinish);
  router.post('/abort', ...post, login.abort);
  router.post('/language', ...post, interactionLanguagePick(deps));

  router.get('/code', ...get, signedOut, codeSignIn.show);
  const byAddress = (ctx: Context) => String(ctx.state.clientIp);
  const codeRules = codeSignInRules(deps.attackProtection);
  const codeLimits = [
    limitBy(deps.rateLimits, codeRules.emailAddress, byAddress, 'error.blocked.codes'),
    limitBy(deps.rateLimits, codeRules.emailDestination, formKey('email'), 'error.blocked.codes'),
  ];
  const smsLimits = [
    limitBy(deps.rateLimits, codeRules.smsAddress, byAddress, 'error.blocked.sms'),
    limitBy(deps.rateLimits, codeRules.smsDestination, formKey('phone', true), 'error.blocked.sms'),
  ];
  const recoveryLimits = [
    limitBy(deps.rateLimits, RECOVERY_RULES.address, byAddress, 'error.blocked.codes'),
    limitBy(deps.rateLimits, RECOVERY_RULES.destination, formKey('email'), 'error.blocked.codes'),
  ];
  router.post('/code', ...post, signedOut, ...codeLimits, codeSignIn.send);
  router.get('/code/sms', ...get, signedOut, codeSignIn.showSms);
  router.post('/code/sms', ...post, signedOut, ...smsLimits, codeSignIn.sendSms);
  router.get('/code/verify', ...get, signedOut, codeSignIn.showEnter);
  router.post('/code/verify', ...post, signedOut, codeSignIn.verify);

  router.get('/register', ...get, signedOut, registration.show);
  router.get('/register/passkey', ...get, signedOut, registration.showPasskey);
  const signUpGate = checkSignUpGate(deps, registration.challengePage);
  router.post('/register/passkey', ...post, signedOut, signUpGate, registration.submitPasskey);

  router.post('/passkey/login/options', ...postJson, signedOut, passkey.loginOptions);
  router.post('/passkey/login', ...postJson, signedOut, passkey.login);
  router.get('/passkey/create', ...get, signedOut, passkey.showCreate);
  router.post('/passkey/create/options', ...postJson, signedOut, passkey.createOptions);
  router.post('/passkey/create', ...postJson, signedOut, passkey.create);
  router.get('/passkey/offer', ...get, signedOut, offer.show);
  router.post('/passkey/offer/options', ...postJson, signedOut, offer.options);
  router.post('/passkey/offer', ...postJson, signedOut, offer.create);
  router.post('/passkey/offer/skip', ...post, signedOut, offer.skip);
  router.post('/register', ...post, signedOut, signUpGate, registration.submit);
  router.get('/verify', ...get, signedOut, verification.show);
  router.post('/verify', ...post, signedOut, verification.submit);
  router.post('/verify/resend', ...post, signedOut, verification.resend);
  router.post('/verify/change', ...post, signedOut, verification.change);
  // Sign-up by mobile number (issue 21): the SMS sign-in's per-address and per-number limits, on top of the SMS guard.
  router.get('/register/phone', ...get, signedOut, phoneSignUp.show);
  // The email sign-up's gate (velocity, honeypot, bot challenge), before any SMS limit or the SMS guard spends anything.
  router.post('/register/phone', ...post, signedOut, checkSignUpGate(deps, phoneSignUp.challengePage, phoneSignUp.gateForm), ...smsLimits, phoneSignUp.send);
  router.get('/register/phone/verify', ...get, signedOut, phoneSignUp.showCode);
  router.post('/register/phone/verify', ...post, signedOut, phoneSignUp.verify);
  router.post('/register/phone/resend', ...post, signedOut, limitBy(deps.rateLimits, codeRules.smsAddress, byAddress, 'error.blocked.sms'),
    limitBy(deps.rateLimits, codeRules.smsDestination, phoneSignUp.pendingNumber, 'error.blocked.sms'), phoneSignUp.resend);

  router.get('/forgot', ...get, signedOut, recovery.showForgot);
  router.post('/forgot', ...post, signedOut, ...recoveryLimits, recovery.submitForgot);
  router.get('/reset', ...get, signedOut, recovery.showReset);
  router.post('/reset', ...post, signedOut, recovery.submitReset);
  router.post('/reset/resend', ...post, signedOut, ...recoveryLimits, recovery.resendReset);

  const stepUp = requirePrompt('mfa');
  router.post('/mfa/method', ...post, stepUp, mfa.chooseMethod);
  router.post('/mfa/send', ...post, stepUp, mfa.send);
  router.post('/mfa', ...post, stepUp, mfa.submitCode);
  router.post('/mfa/app', ...post, stepUp, mfa.submitApp);
  router.post('/mfa/recovery', ...post, stepUp, mfa.submitRecovery);
  router.post('/mfa/enrol', ...post, stepUp, mfa.startEnrolment);
  router.post('/mfa/enrol/confirm', ...post, stepUp, mfa.confirmEnrolment);
  router.post('/mfa/finish', ...post, stepUp, mfa.finish);
  router.post('/mfa/codes.txt', ...post, stepUp, mfa.downloadCodes);
  router.post('/mfa/passkey/options', ...postJson, stepUp, mfa.passkeyOptions);
  router.post('/mfa/passkey', ...postJson, stepUp, mfa.passkeyVerify);

  router.post('/profile', ...post, requirePrompt('profile'), profile.submit);
  // The email prompt (issue 21): a client requires an email of a phone-first member.
  router.post('/email', ...post, requirePrompt('email'), emailStep.submit);
  router.post('/email/verify', ...post, requirePrompt('email'), emailStep.verify);
  router.post('/profile/skip', ...post, requirePrompt('profile'), profile.skip);
  router.post('/erasure/keep', ...post, requirePrompt('erasure'), erasure.keep);
  router.post('/erasure/continue', ...post, requirePrompt('erasure'), erasure.proceed);
  router.post('/terms/accept', ...post, requirePrompt('terms'), terms.accept);
  router.post('/terms/decline', ...post, requirePrompt('terms'), terms.decline);
  router.post('/purposes', ...post, requirePrompt('purposes'), purposes.submit);
  router.post('/consent', ...post, requirePrompt('consent'), consent.submit);
  return router;
}
