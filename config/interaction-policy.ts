// The interaction policy: which prompts (login, consent, later MFA and profile) a request must pass.
import { interactionPolicy as policy } from 'oidc-provider';

/** oidc-provider's login and consent prompts; later issues add checks (MFA, step-up, profile). */
export function interactionPolicy(): InstanceType<typeof policy.Prompt>[] {
  return policy.base();
}
