// The namespaced claims a post-login hook returned, in that client's ID tokens. oidc-provider keeps only the
// claims its scopes name in an ID token, and hook claims have operator-chosen URL names, so they are set
// as extra claims when the token is issued (the access tokens get them in extraTokenClaims, config/provider.ts).
import type Provider from 'oidc-provider';
import type { HookRunner } from '../hooks/hook-runner.ts';

interface IdTokenInternals {
  available: { sub?: unknown };
  client?: { clientId: string };
  set(key: string, value: unknown): void;
  issue(this: IdTokenInternals, options?: { use?: string }): Promise<string>;
}

export function useHookClaimsInIdTokens(provider: Provider, hooks: Pick<HookRunner, 'claimsFor'>): void {
  const prototype = (provider as unknown as { IdToken: { prototype: IdTokenInternals } }).IdToken.prototype;
  const issue = prototype.issue;
  // oidc-provider is pinned; an upgrade that renames this must fail loudly, not drop the claims quietly.
  if (typeof issue !== 'function') throw new Error('oidc-provider IdToken.prototype.issue is gone: update server/oidc/hook-claims.ts');
  prototype.issue = async function issueWithHookClaims(options) {
    // `available.sub` is the account id here: the pairwise subject is computed later, from it.
    const accountId = this.available.sub;
    if (options?.use === 'idtoken' && typeof accountId === 'string' && this.client) {
      const claims = await hooks.claimsFor(accountId, this.client.clientId);
      for (const [name, value] of Object.entries(claims ?? {})) this.set(name, value);
    }
    return issue.call(this, options);
  };
}
