// check-sign-up-gate: fake-account defences before an account is made or a code is sent. A filled honeypot
// gets the usual "code sent" step with nothing behind it (a bot learns nothing); a busy address or browser gets
// the "too many" page; a suspicious address the bot challenge first. The same gate for email and phone sign-up.
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import { honeypotTripped } from '../../server/security/bot-challenge/honeypot.ts';
import { currentRequest } from '../../server/middleware/request-scope.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { renderBlockedPage } from '../shared/blocked-page.ts';
import { emailField, field, parseForm } from '../shared/input.ts';
import { seeOther } from '../shared/page.ts';
import { z } from 'zod';

/** What the gate needs of one sign-up form: its typed value, and the neutral answer a tripped honeypot gets. */
export interface SignUpGateForm {
  /** The value kept on the form (email or number as typed), or null when the handler must explain field errors. */
  read(ctx: Context, body: Record<string, unknown>): Promise<string | null> | string | null;
  /** The page a real sign-up goes on to, with nothing stored or sent. */
  decoy(ctx: Context, uid: string, value: string): Promise<void> | void;
}

const shape = z.object({ email: emailField, password: field(1024).optional() });

/** Sign-up by email (with a password or for a passkey): the "check your email" step of an account nobody has. */
export function emailSignUpForm(deps: InteractionDeps): SignUpGateForm {
  return {
    read(_ctx, body) {
      const form = parseForm(shape, body);
      return form && Object.keys(deps.accounts.validate(form.email, form.password ?? null)).length === 0 ? form.email : null;
    },
    decoy(ctx, uid, email) {
      deps.flow.write(ctx, uid, { accountId: randomUUID(), email: normaliseEmail(email), info: 'verify.sent' });
      seeOther(ctx, `/interaction/${uid}/verify`);
    },
  };
}

export function checkSignUpGate(
  deps: InteractionDeps,
  renderForm: (ctx: Context, value: string, error: string | null, challenge: boolean, status: number) => Promise<void>,
  signUpForm: SignUpGateForm = emailSignUpForm(deps),
) {
  return async (ctx: Context, next: Next) => {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const value = await signUpForm.read(ctx, body);
    // Malformed or invalid forms go on to the handler, which explains the field errors; nothing is counted.
    if (value === null) return next();
    const ip = String(ctx.state.clientIp);
    if (honeypotTripped(body)) {
      await deps.audit.record({ type: 'sign_up.refused', reason: 'honeypot', ip, userAgent: currentRequest()?.userAgent ?? null });
      return signUpForm.decoy(ctx, uid, value);
    }
    const solved = (await deps.botChallenge.verify(uid, body.bot_challenge, body.bot_solution)) === 'ok';
    const gate = await deps.signUps.gate({ ip, deviceHash: String(ctx.state.deviceHash) }, solved, body.no_script === '1');
    if (gate.kind === 'open') return next();
    await deps.audit.record({ type: 'sign_up.refused', reason: gate.kind === 'blocked' ? 'velocity' : 'challenge', ip, userAgent: currentRequest()?.userAgent ?? null });
    if (gate.kind === 'blocked') return renderBlockedPage(ctx, deps, gate.retryAfterSeconds, 'error.blocked.sign_up');
    return renderForm(ctx, value, null, true, 403);
  };
}
