// The interaction policy: which prompts (login, mfa, consent) an authorization request must pass.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy as policy } from 'oidc-provider';
import { ACR, acrRank, requiredRank } from './assurance.ts';

const { Check, Prompt } = policy;

/** The strongest level the hosted pages can reach today (passkeys, for phr, come with the factors issue). */
const HIGHEST_REACHABLE = acrRank(ACR.twoFactors);

/** The rank this request needs, capped at what we can deliver so an unreachable ask cannot loop. */
export function stepUpTarget(ctx: KoaContextWithOIDC): number {
  const { params, client, claims } = ctx.oidc;
  const needed = requiredRank({
    acrValues: params?.acr_values,
    claimsAcr: claims?.id_token?.acr as { value?: unknown; values?: unknown } | undefined,
    clientRequiresMfa: client?.metadata().require_mfa === true,
  });
  return Math.min(needed, HIGHEST_REACHABLE);
}

/**
 * `mfa` runs after `login`: when the session's acr is weaker than the request needs, the member proves
 * a second factor. oidc-provider only enforces acr when it is an essential claim, and then by sending
 * the member back to the login prompt, which cannot raise the level; so its two acr checks are taken
 * out of `login` and every acr request (acr_values, claims, the client's require_mfa) is decided here.
 */
function mfaPrompt() {
  return new Prompt(
    { name: 'mfa', requestable: false },
    (ctx) => ({ acr: ctx.oidc.acr ?? null, target: stepUpTarget(ctx) }),
    new Check('acr_step_up', 'a stronger authentication is required', 'interaction_required', (ctx) => {
      const { session } = ctx.oidc;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT; // login comes first
      return acrRank(session.acr) < stepUpTarget(ctx) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
}

export function interactionPolicy(): InstanceType<typeof Prompt>[] {
  const prompts = policy.base();
  const login = prompts.get('login');
  if (!login) throw new Error('oidc-provider base policy has no login prompt');
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  prompts.add(mfaPrompt(), prompts.indexOf(login) + 1);
  return prompts;
}
