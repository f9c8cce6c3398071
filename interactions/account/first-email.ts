// A phone-first member (issue 21) adding a first email: the recent sign-in by the phone is the strongest they can make.
import type { Context, Middleware } from 'koa';
import { factorClasses, FACTOR_STRENGTH, RECENT_SIGN_IN_SECONDS, strongestFactor } from '../../config/assurance.ts';
import { availableMethods } from '../mfa/methods.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { type Member, memberOf } from './member-session.ts';

/**
 * True for a member without an email whose recent sign-in proved the phone and who holds nothing that a step-up
 * could add (no password, app or passkey): asking them for two factors would be a dead end, so adding a first
 * address (which only adds a way to be reached, proven by its own code) needs what they have. Anyone with a
 * second way in still confirms it is them with both, as for every other change.
 */
export async function mayAddFirstEmail(deps: InteractionDeps, member: Member, nowSeconds = Date.now() / 1000): Promise<boolean> {
  const { account } = member;
  if (account.email !== null || account.passwordHash !== null) return false;
  if (nowSeconds - member.loginTs > RECENT_SIGN_IN_SECONDS || strongestFactor(member.amr) < FACTOR_STRENGTH.phone) return false;
  return (await availableMethods(deps, account, factorClasses(member.amr))).length === 0;
}

/** Lets a phone-first member through to adding a first email (see mayAddFirstEmail); everyone else meets `guard`. */
export function firstEmailOr(deps: InteractionDeps, guard: Middleware): Middleware {
  return async (ctx: Context, next) => {
    if (await mayAddFirstEmail(deps, memberOf(ctx))) return next();
    return guard(ctx, next);
  };
}
