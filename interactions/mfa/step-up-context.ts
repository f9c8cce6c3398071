// What every step of the mfa prompt shares: the signed-in account (from oidc-provider's session, never
// the form), this interaction's flow state, and the final login result at loa:2.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { ACR } from '../../config/assurance.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import type { FlowState, MfaMethod } from '../shared/flow-state.ts';
import { seeOther } from '../shared/page.ts';

export interface StepUp {
  uid: string;
  account: Account;
  /** amr of the session before this step-up. */
  amr: unknown;
  flow: FlowState;
}

export async function loadStepUp(ctx: Context, deps: InteractionDeps): Promise<StepUp> {
  const details = ctx.state.interaction as InteractionDetails;
  const accountId = details.session?.accountId;
  const account = accountId ? await deps.accounts.findById(accountId) : undefined;
  // The prompt only exists for a session with an account; one deleted meanwhile cannot step up.
  if (!account) throw new DomainError('forbidden', 'no signed-in account for this step-up');
  return { uid: details.uid, account, amr: details.session?.amr, flow: deps.flow.read(ctx, details.uid) };
}

/** Writes the flow state with `changes`; the one-shot notice of the previous page is dropped. */
export function updateFlow(ctx: Context, deps: InteractionDeps, step: StepUp, changes: FlowState): void {
  const { info: _shown, ...kept } = step.flow;
  deps.flow.write(ctx, step.uid, { ...kept, ...changes });
}

/** What a proven factor adds: a code gives two factors; a passkey with user verification is phishing-resistant. */
export interface StepUpOutcome {
  acr: string;
  /** RFC 8176 methods the factor adds to what the session already had. */
  amr: string[];
}

/** RFC 8176: "sms" for a code by text message, "otp" for every other one-time code. */
function codeOutcome(proven: MfaMethod): StepUpOutcome {
  return { acr: ACR.twoFactors, amr: [proven === 'sms' ? 'sms' : 'otp', 'mfa'] };
}

/**
 * Ends the prompt with a new login result and returns where the browser goes next: oidc-provider
 * records the stronger acr, the combined amr and a new auth_time, and gives the session a new id
 * (session fixation defence on step-up). `proven` must come from a successful check in this request
 * or from the signed flow state.
 */
export async function stepUpLocation(ctx: Context, deps: InteractionDeps, step: StepUp, proven: MfaMethod, outcome: StepUpOutcome = codeOutcome(proven)): Promise<string> {
  (ctx.state.log as Logger).info({ accountId: step.account.id, method: proven, acr: outcome.acr }, 'step-up completed');
  await deps.signIns.signedInWith(step.account.id, ctx.state.deviceHash as string | undefined, `step_up_${proven}`);
  const before = Array.isArray(step.amr) ? step.amr.filter((m): m is string => typeof m === 'string') : [];
  return deps.provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId: step.account.id, acr: outcome.acr, amr: [...new Set([...before, ...outcome.amr])], remember: true, ts: Math.floor(Date.now() / 1000) },
  }, { mergeWithLastSubmission: false });
}

/** The form-post variant: 303 to wherever oidc-provider resumes. */
export async function finishStepUp(ctx: Context, deps: InteractionDeps, step: StepUp, proven: MfaMethod): Promise<void> {
  seeOther(ctx, await stepUpLocation(ctx, deps, step, proven));
}

export function backToPrompt(ctx: Context, step: StepUp): void {
  seeOther(ctx, `/interaction/${step.uid}`);
}
