// Time-ordered ids for the tokens oidc-provider stores each time it issues one.
import type Provider from 'oidc-provider';

/**
 * The models whose ids this changes: the ones written on every token request (and the code before it).
 * Sessions, grants and interactions are written far less often and keep oidc-provider's ids.
 */
const MODELS = ['AccessToken', 'ClientCredentials', 'RefreshToken', 'AuthorizationCode'] as const;

/** 12 hex digits of milliseconds since the epoch: fixed width, so string order is time order until year 10889. */
const TIME_PREFIX_LENGTH = 12;

/**
 * oidc-provider names a stored token with 256 random bits, and the store's primary key is that name. A
 * random key sends every insert to a different page of the key's B-tree: on the embedded store each
 * token dirtied a 4 KiB index page of its own, which SQLite writes to the WAL, and the checkpoint writes
 * again and fsyncs while the event loop waits (measured in a profile of bench/token-throughput.mjs:
 * 56 µs of commit per token with random ids, 39 with time-ordered ones). With the issue time in front,
 * keys arrive in order and a batch of tokens shares the B-tree's last page. MongoDB's `_id` index gains
 * the same locality.
 *
 * The random part is oidc-provider's own, unchanged, so a token is exactly as hard to guess as before.
 * The prefix tells the holder when the token was issued, which its `iat` (introspection) tells anyway.
 */
/** `randomPart` behind the current time: ids made this way sort by when they were made. */
export function withTimePrefix(randomPart: string): string {
  return Date.now().toString(16).padStart(TIME_PREFIX_LENGTH, '0') + randomPart;
}

export function useTimeOrderedTokenIds(provider: Provider): void {
  for (const name of MODELS) {
    const prototype = provider[name].prototype as unknown as { generateTokenId?: (this: unknown) => string };
    const randomId = prototype.generateTokenId;
    // oidc-provider is pinned; an upgrade that renames this hook must fail loudly, not slow down quietly.
    if (typeof randomId !== 'function') throw new Error(`oidc-provider ${name}.prototype.generateTokenId is gone: update server/oidc/time-ordered-token-ids.ts`);
    prototype.generateTokenId = function timeOrderedTokenId() {
      return withTimePrefix(randomId.call(this));
    };
  }
}
