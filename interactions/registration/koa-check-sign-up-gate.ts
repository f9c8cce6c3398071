// check-sign-up-gate: fake-account defences before an account is made. A filled honeypot gets the usual
// "check your email" step with nothing behind it (a bot learns nothing); a busy address or browser gets
// the "too many" page; a suspicious address the bot challenge first.
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

const shape = z.object({ email: emailField, password: field(1024).optional() });

export function checkSignUpGate(deps: InteractionDeps, renderForm: (ctx: Context, email: string, error: string | null, challenge: boolean, status: number) => Promise<void>) {
  return async (ctx: Context, next: Next) => {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const form = parseForm(shape, body);
    // Malformed or invalid forms go on to the handler, which explains the field errors; nothing is counted.
    if (!form || Object.keys(deps.accounts.validate(form.email, form.password ?? null)).length > 0) return next();
    const ip = String(ctx.state.clientIp);
    if (honeypotTripped(body)) {
      await deps.audit.record({ type: 'sign_up.refused', reason: 'honeypot', ip, userAgent: currentRequest()?.userAgent ?? null });
      deps.flow.write(ctx, uid, { accountId: randomUUID(), email: normaliseEmail(form.email), info: 'verify.sent' });
      return seeOther(ctx, `/interaction/${uid}/verify`);
    }
    const solved = (await deps.botChallenge.verify(uid, body.bot_challenge, body.bot_solution)) === 'ok';
    const gate = await deps.signUps.gate({ ip, deviceHash: String(ctx.state.deviceHash) }, solved, body.no_script === '1');
    if (gate.kind === 'open') return next();
    await deps.audit.record({ type: 'sign_up.refused', reason: gate.kind === 'blocked' ? 'velocity' : 'challenge', ip, userAgent: currentRequest()?.userAgent ?? null });
    if (gate.kind === 'blocked') return renderBlockedPage(ctx, deps, gate.retryAfterSeconds, 'error.blocked.sign_up');
    return renderForm(ctx, form.email, null, true, 403);
  };
}
