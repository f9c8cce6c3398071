// Our own token verifiers (partner and member APIs) check signatures against the keys currently published.
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { SigningKeys } from '../domain/keys/key-service.ts';

/**
 * A jose key getter over the JWKS this instance publishes right now: rebuilt when the key set changes
 * (rotation, retirement), so a token signed by a just-published key verifies and one signed by a retired
 * key does not. Local, not fetched: the keys are ours.
 */
export function currentKeySet(keys: SigningKeys): JWTVerifyGetKey {
  let version = -1;
  let getKey: JWTVerifyGetKey | undefined;
  return (header, token) => {
    if (!getKey || version !== keys.version) {
      version = keys.version;
      getKey = createLocalJWKSet({ keys: keys.snapshot().publicKeys });
    }
    return getKey(header, token);
  };
}
