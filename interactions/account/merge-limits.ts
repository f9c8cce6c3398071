// The merge page's security rules, as data: proving another account is a sign-in attempt against it, so tries are
// counted per signed-in member and per account named (whether or not it exists, so a limit tells nothing).
import type { LimitRule } from '../../server/security/rate-limit/rate-limiter.ts';

export const MERGE_RULES: Record<'proofMember' | 'proofTarget', LimitRule> = {
  // A member merging their own second account needs a few tries at most; a thief guessing needs many.
  proofMember: { name: 'merge-proof-member', points: 10, durationSeconds: 3600 },
  proofTarget: { name: 'merge-proof-target', points: 5, durationSeconds: 3600 },
};
