// Swaps oidc-provider's signing keystore and published JWKS for a new key snapshot, without a restart.
import type Provider from 'oidc-provider';
// oidc-provider keeps its keystore in a per-instance private cache and builds it once from `jwks` at
// construction; it has no public way to change keys afterwards. This module is the one place that reaches in.
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import type { KeySnapshot } from '../domain/keys/key-service.ts';

interface ProviderKeys {
  keystore: { clear(): void; add(key: Record<string, unknown>): void; [Symbol.iterator](): Iterator<{ kid?: string }> };
  jwks: { keys: Array<Record<string, unknown>> };
}

/**
 * Keys that must not sign yet (published ahead of their time) or any more (replaced, still published for the
 * tokens they signed) get key_ops ["verify"]: oidc-provider's key selection for signing skips them, and it
 * still verifies with them (id_token_hint at logout). The signing key of each algorithm comes first.
 */
export function applyKeySnapshot(provider: Provider, snapshot: KeySnapshot): void {
  const internals = instance(provider) as ProviderKeys | undefined;
  if (!internals?.keystore || !internals.jwks) throw new Error('oidc-provider keystore internals changed: update server/oidc/provider-keystore.ts');
  const signers = new Set(Object.values(snapshot.signing));
  internals.keystore.clear();
  for (const key of snapshot.keys) {
    internals.keystore.add(signers.has(key.kid) ? structuredClone(key) : { ...structuredClone(key), key_ops: ['verify'] });
  }
  internals.jwks = { keys: snapshot.publicKeys.map((key) => ({ ...key })) };
}
