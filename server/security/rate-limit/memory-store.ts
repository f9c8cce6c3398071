// In-process rate-limit store over RateLimiterMemory: for unit tests and a single process (counters die with it).
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { FlexibleRateLimitStore, flexibleOptions, type CheckedRule } from './flexible-store.ts';
import type { RateLimitStore } from './rate-limiter.ts';

class MemoryRateLimitStore extends FlexibleRateLimitStore<RateLimiterMemory> {
  protected backend(rule: CheckedRule): RateLimiterMemory {
    return new RateLimiterMemory(flexibleOptions(rule));
  }

  /** Windows also vanish on their own (RateLimiterMemory sets a timer per key); this drops those due by `now`. */
  async sweepExpired(now: Date): Promise<number> {
    let removed = 0;
    for (const backend of this.backends()) {
      for (const { key, expiresAt } of backend.dump().storage) {
        if (expiresAt !== null && expiresAt <= now.getTime() && (await backend.delete(key))) removed += 1;
      }
    }
    return removed;
  }
}

export function createMemoryRateLimitStore(): RateLimitStore {
  return new MemoryRateLimitStore();
}
