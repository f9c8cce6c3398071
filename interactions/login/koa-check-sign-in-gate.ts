// check-sign-in-gate: before a password is checked, the lockout decides whether it may be. A blocked
// pair or address gets the "too many attempts" page (429, Retry-After); a flagged address, a burst of
// stuffing or an email under attack gets the bot challenge first, and an email under attack also an
// unlock link for this device. Devices the account signed in on before go straight through.
import type { Context, Next } from 'koa';
import { normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import { hasForbiddenCharacters } from '../../server/domain/text.ts';
import type { SignInAttempt } from '../../server/security/lockout/sign-in-guard.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { renderBlockedPage } from '../shared/blocked-page.ts';
import { loginForm } from './input.ts';
import { renderLogin } from './page.ts';

export function checkSignInGate(deps: InteractionDeps) {
  return async (ctx: Context, next: Next) => {
    const details = ctx.state.interaction as InteractionDetails;
    const form = parseForm(loginForm, ctx.request.body);
    if (!form) return renderLogin(ctx, deps, { error: 'login.error.invalid', status: 400 });
    // Not an address at all (a control character, say): says so, which tells nothing about who is a member.
    if (hasForbiddenCharacters(form.email)) return renderLogin(ctx, deps, { error: 'email.invalid', status: 400 });
    const attempt: SignInAttempt = { email: normaliseEmail(form.email), ip: String(ctx.state.clientIp) };
    const body = ctx.request.body as Record<string, unknown>;
    const [exempt, check] = await Promise.all([
      deps.signIns.knownDevice(attempt.email, ctx.state.deviceHash as string | undefined),
      deps.botChallenge.verify(details.uid, body.bot_challenge, body.bot_solution),
    ]);
    const solved = check === 'ok';
    const gate = await deps.signIns.gate(attempt, { exempt, solved });
    if (gate.kind === 'open') {
      ctx.state.signInAttempt = attempt;
      ctx.state.loginForm = form;
      return next();
    }
    await deps.signIns.refused(attempt, gate);
    if (gate.kind === 'blocked') {
      return renderBlockedPage(ctx, deps, gate.retryAfterSeconds, gate.scope === 'pair' ? 'error.blocked.pair' : 'error.blocked.address');
    }
    if (gate.scope === 'account' && solved) {
      // The same page whether or not the email has an account: the link goes only to a real, verified one.
      await deps.signIns.sendUnlockLink(attempt.email);
      return renderLogin(ctx, deps, { email: form.email, info: 'login.info.unlock_sent', status: 403 });
    }
    // A step, not a fault (the member did nothing wrong): a neutral notice, the email kept; only the
    // password is typed again, and the check runs while they do.
    return renderLogin(ctx, deps, {
      email: form.email,
      info: 'bot_challenge.step_sign_in',
      challenge: true,
      status: 403,
    });
  };
}
