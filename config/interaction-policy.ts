// The interaction policy: which prompts (login, mfa, consent) an authorization request must pass.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy as policy } from 'oidc-provider';
import { ACR, acrRank, isSignedInAcr, requiredRank } from './assurance.ts';
import { clientMetadata } from '../server/oidc/client-metadata.ts';

const { Check, Prompt } = policy;

export interface PolicyDeps {
  /** Whether the account has a passkey: only then can a request for phr be met. */
  hasPasskey(accountId: string): Promise<boolean>;
  /** Whether profile fields are due for this member and request (see ProfileService.due). */
  profileDue(accountId: string, request: { clientRequires: readonly string[]; redeeming: boolean }): Promise<boolean>;
  /** Whether the account is scheduled for deletion (issue 17: signing in offers to keep it). */
  erasureScheduled(accountId: string): Promise<boolean>;
  /** Issue 17: whether the member has not answered one of these purposes in its current version. */
  purposesDue?(accountId: string, purposes: readonly string[]): Promise<boolean>;
  /** Issue 17: whether the member has not accepted the current terms version (TERMS_VERSION). */
  termsDue?(accountId: string): Promise<boolean>;
  /** Issue 21: whether the account has no email (a phone-first member), for clients that require one. */
  emailMissing?(accountId: string): Promise<boolean>;
}

/** What the client and the request need from the member's profile. */
export function profileRequest(ctx: KoaContextWithOIDC): { clientRequires: readonly string[]; redeeming: boolean } {
  const required = (ctx.oidc.client ? (clientMetadata(ctx.oidc.client) as { required_claims?: unknown }) : undefined)?.required_claims;
  const scope = String(ctx.oidc.params?.scope ?? '').split(' ');
  return { clientRequires: Array.isArray(required) ? required.filter((c): c is string => typeof c === 'string') : [], redeeming: scope.includes(REDEEM_SCOPE_NAME) };
}

const REDEEM_SCOPE_NAME = 'loyalty:redeem';

/** `profile` runs after mfa and before consent: ask for the fields that are due (progressive profiling). */
function profilePrompt(deps: PolicyDeps) {
  return new Prompt(
    { name: 'profile', requestable: false },
    new Check('profile_incomplete', 'profile fields are needed', 'interaction_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return Check.NO_NEED_TO_PROMPT;
      return (await deps.profileDue(accountId, profileRequest(ctx))) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
}

/**
 * `email` (issue 21) runs before `profile`: a phone-first member (no email) signing in to a client that lists
 * `email` in required_claims adds and proves an address first (interactions/profile/email-step.ts).
 */
function emailPrompt(deps: PolicyDeps) {
  return new Prompt(
    { name: 'email', requestable: false },
    new Check('email_missing', 'the client requires an email', 'interaction_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !deps.emailMissing || !profileRequest(ctx).clientRequires.includes('email')) return Check.NO_NEED_TO_PROMPT;
      return (await deps.emailMissing(accountId)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
}

/**
 * The rank this request needs, capped at what this member can reach (phr only with a passkey, else
 * two factors) so that an unreachable ask yields the strongest level available instead of a loop.
 */
export async function stepUpTarget(ctx: KoaContextWithOIDC, deps: PolicyDeps): Promise<number> {
  const { params, client, claims, session } = ctx.oidc;
  const needed = requiredRank({
    acrValues: params?.acr_values,
    claimsAcr: claims?.id_token?.acr as { value?: unknown; values?: unknown } | undefined,
    clientRequiresMfa: (client ? clientMetadata(client) : undefined)?.require_mfa === true,
  });
  // A session below every signed-in level (a risky sign-in, RISK_PENDING_ACR) needs two factors whatever
  // the client asked for: the same rule (isSignedInAcr) as the account pages and the member API.
  if (session?.accountId && !isSignedInAcr(session.acr) && needed < acrRank(ACR.twoFactors)) return acrRank(ACR.twoFactors);
  if (needed <= acrRank(ACR.twoFactors)) return needed;
  const reachable = session?.accountId && (await deps.hasPasskey(session.accountId)) ? acrRank(ACR.phishingResistant) : acrRank(ACR.twoFactors);
  return Math.min(needed, reachable);
}

/**
 * `mfa` runs after `login`: when the session's acr is weaker than the request needs, the member proves
 * a second factor. oidc-provider only enforces acr when it is an essential claim, and then by sending
 * the member back to the login prompt, which cannot raise the level; so its two acr checks are taken
 * out of `login` and every acr request (acr_values, claims, the client's require_mfa) is decided here.
 */
function mfaPrompt(deps: PolicyDeps) {
  return new Prompt(
    { name: 'mfa', requestable: false },
    async (ctx) => ({ acr: ctx.oidc.acr ?? null, target: await stepUpTarget(ctx, deps) }),
    new Check('acr_step_up', 'a stronger authentication is required', 'interaction_required', async (ctx) => {
      const { session } = ctx.oidc;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT; // login comes first
      return acrRank(session.acr) < (await stepUpTarget(ctx, deps)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
    // Listed second so a risky sign-in reads as such on the page (the first check already prompts for it).
    new Check('risk_step_up', 'the sign-in looked unusual: a second factor is required', 'interaction_required', (ctx) => (
      ctx.oidc.session?.accountId && !isSignedInAcr(ctx.oidc.session.acr) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT
    )),
  );
}

/**
 * `erasure` runs after mfa: a member whose account is scheduled for deletion is asked, right after signing in,
 * whether to keep it or go on. Only after a sign-in of this request (result.login), and once (result.erasure),
 * so single sign-on and the prompts after it never ask again.
 */
function erasurePrompt(deps: PolicyDeps) {
  return new Prompt(
    { name: 'erasure', requestable: false },
    new Check('erasure_scheduled', 'the account is scheduled for deletion', 'interaction_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const result = (ctx.oidc as { result?: Record<string, unknown> }).result;
      if (!accountId || !result?.login || result.erasure) return Check.NO_NEED_TO_PROMPT;
      return (await deps.erasureScheduled(accountId)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
}

/** The purposes the client needs an answer to (client metadata required_purposes). */
export function requiredPurposes(client: { metadata(): unknown } | undefined): string[] {
  const wanted = (client ? (clientMetadata(client as { metadata(): object }) as { required_purposes?: unknown }) : undefined)?.required_purposes;
  return Array.isArray(wanted) ? wanted.filter((id): id is string => typeof id === 'string') : [];
}

/**
 * `terms` runs right after the sign-in of this request: a member who has not accepted the current terms version
 * accepts it to continue (declining ends the request with access_denied). Asked once per request (result.terms).
 */
function termsPrompt(deps: PolicyDeps) {
  return new Prompt(
    { name: 'terms', requestable: false },
    new Check('terms_outdated', 'the current terms must be accepted', 'interaction_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const result = (ctx.oidc as { result?: Record<string, unknown> }).result;
      if (!accountId || !deps.termsDue || result?.terms) return Check.NO_NEED_TO_PROMPT;
      return (await deps.termsDue(accountId)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
}

/** `purposes` runs before consent: the client's required purposes the member has not answered are asked (a no is an answer). */
function purposesPrompt(deps: PolicyDeps) {
  return new Prompt(
    { name: 'purposes', requestable: false },
    new Check('purposes_unanswered', 'the client needs an answer to some purposes', 'interaction_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const wanted = requiredPurposes(ctx.oidc.client);
      if (!accountId || !deps.purposesDue || wanted.length === 0) return Check.NO_NEED_TO_PROMPT;
      return (await deps.purposesDue(accountId, wanted)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
}

export function interactionPolicy(deps: PolicyDeps): InstanceType<typeof Prompt>[] {
  const prompts = policy.base();
  const login = prompts.get('login');
  if (!login) throw new Error('oidc-provider base policy has no login prompt');
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  prompts.add(mfaPrompt(deps), prompts.indexOf(login) + 1);
  prompts.add(profilePrompt(deps), prompts.indexOf(login) + 2);
  prompts.add(erasurePrompt(deps), prompts.indexOf(login) + 2);
  // Issue 21: the email a client requires, before the profile fields.
  prompts.add(emailPrompt(deps), prompts.indexOf(login) + 3);
  // Issue 17: terms after the sign-in's own prompts, the client's purposes just before its consent page.
  const consent = prompts.get('consent');
  prompts.add(termsPrompt(deps), consent ? prompts.indexOf(consent) : prompts.length);
  prompts.add(purposesPrompt(deps), consent ? prompts.indexOf(consent) : prompts.length);
  return prompts;
}
