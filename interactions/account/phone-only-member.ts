// A phone-first member (issue 21) whose only way in is the phone adds a first email or passkey with the
// recent sign-in by that phone: it is the strongest they can make, and a two-factor confirmation would be a dead end.
// (A password waits for the email: passwords sign in by email, and with both the usual confirmation works.)
import type { Context, Middleware } from 'koa';
import { factorClasses, FACTOR_STRENGTH, RECENT_SIGN_IN_SECONDS, strongestFactor } from '../../config/assurance.ts';
import { availableMethods } from '../mfa/methods.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { type Member, memberOf } from './member-session.ts';

/**
 * True for a member without an email or password whose recent sign-in proved the phone and who holds nothing a
 * step-up could add (no app, no passkey): adding a way in (each proven on its own: the address by its code, the
 * passkey by the authenticator) then needs what they have. Anyone with a second way in still confirms it is them
 * with both, as for every other change; removing anything is never eased.
 */
export async function mayAddFirstWayIn(deps: InteractionDeps, member: Member, nowSeconds = Date.now() / 1000): Promise<boolean> {
  const { account } = member;
  if (account.email !== null || account.passwordHash !== null || account.phone === null) return false;
  if (nowSeconds - member.loginTs > RECENT_SIGN_IN_SECONDS || strongestFactor(member.amr) < FACTOR_STRENGTH.phone) return false;
  return (await availableMethods(deps, account, factorClasses(member.amr))).length === 0;
}

/** Lets such a member through to adding a first way in (see mayAddFirstWayIn); everyone else meets `guard`. */
export function phoneOnlyOr(deps: InteractionDeps, guard: Middleware): Middleware {
  return async (ctx: Context, next) => {
    if (await mayAddFirstWayIn(deps, memberOf(ctx))) return next();
    return guard(ctx, next);
  };
}
