// The part every rate-limit store shares: rule checks, hashed keys, and LimitResult read off rate-limiter-flexible.
import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { LimitResult, LimitRule, RateLimiter, RateLimitStore } from './rate-limiter.ts';

/**
 * A week. Longer windows are not rate limits but lockouts; the cap also keeps RateLimiterMemory's expiry
 * timers under setTimeout's 24.8-day limit (past it a timer fires at once and the counter vanishes).
 */
const MAX_SECONDS = 7 * 24 * 60 * 60;

/** The Mongo store keeps one document per point allowed in a window, so a window's points stay modest. */
const MAX_POINTS = 100_000;

const ruleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, single dashes)'),
    points: z.number().int().min(1).max(MAX_POINTS),
    durationSeconds: z.number().int().min(1).max(MAX_SECONDS),
    blockSeconds: z.number().int().min(0).max(MAX_SECONDS).default(0),
  })
  .strict()
  // A block replaces the rest of the window (rate-limiter-flexible's semantics), so a shorter one would let
  // the key back in before its window ends: never what a rule means.
  .refine((rule) => rule.blockSeconds === 0 || rule.blockSeconds >= rule.durationSeconds, {
    path: ['blockSeconds'],
    message: 'must be 0 or at least durationSeconds',
  });

/** A rule that passed the checks, with blockSeconds filled in. */
export type CheckedRule = Required<LimitRule>;

/** Throws an Error naming the rule and every broken field: a bad rule is a programming error, found at boot. */
export function checkRule(rule: LimitRule): CheckedRule {
  const parsed = ruleSchema.safeParse(rule);
  if (parsed.success) return parsed.data;
  const name = typeof rule?.name === 'string' ? JSON.stringify(rule.name) : '(unnamed)';
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'rule'} ${issue.message}`).join('; ');
  throw new Error(`invalid rate-limit rule ${name}: ${issues}`);
}

/**
 * What a store keeps under a key: base64url SHA-256 of the rule name, a NUL and the caller's key, so
 * emails and IP addresses are never stored in clear and any key (empty, 10 kB, any characters) fits one
 * fixed-size column. The key is hashed as UTF-16 code units, which (unlike UTF-8) is injective even for
 * lone surrogates; rule names are kebab-case, so the NUL cannot occur in them.
 */
export function storedKey(ruleName: string, key: string): string {
  return createHash('sha256').update(ruleName).update('\0').update(key, 'utf16le').digest('base64url');
}

/** Length of every storedKey (43 base64url characters), which the SQLite table checks. */
export const STORED_KEY_LENGTH = 43;

/** rate-limiter-flexible options for a rule: keys arrive hashed and prefixed already. */
export function flexibleOptions(rule: CheckedRule) {
  return { points: rule.points, duration: rule.durationSeconds, blockDuration: rule.blockSeconds, keyPrefix: '' };
}

/** A key's window as the SQLite and Mongo stores keep it: points counted (refused ones too) and its end. */
export interface StoredWindow {
  consumed: number;
  /** Epoch milliseconds at which the window (or the block that replaced it) ends. */
  endsAt: number;
}

/** The store-side `_getRateLimiterRes` of RateLimiterStoreAbstract subclasses. */
export function windowRes(points: number, changedPoints: number, window: StoredWindow): RateLimiterRes {
  return new RateLimiterRes(
    Math.max(points - window.consumed, 0),
    Math.max(window.endsAt - Date.now(), 0),
    window.consumed,
    window.consumed === changedPoints,
  );
}

function result(rule: CheckedRule, allowed: boolean, consumed: number, msBeforeNext: number): LimitResult {
  return {
    allowed,
    consumed,
    remaining: Math.max(rule.points - consumed, 0),
    // At least 1 when refused: a Retry-After of 0 would invite an immediate retry into the same refusal.
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(msBeforeNext / 1000)),
  };
}

class FlexibleRateLimiter implements RateLimiter {
  readonly rule: CheckedRule;
  private readonly backend: RateLimiterAbstract;

  constructor(rule: CheckedRule, backend: RateLimiterAbstract) {
    this.rule = rule;
    this.backend = backend;
  }

  async consume(key: string, points = 1): Promise<LimitResult> {
    if (!Number.isSafeInteger(points) || points < 1) throw new RangeError(`rate limit ${this.rule.name}: points to consume must be a whole number >= 1, not ${points}`);
    try {
      const res = await this.backend.consume(storedKey(this.rule.name, key), points);
      return result(this.rule, true, res.consumedPoints, res.msBeforeNext);
    } catch (error) {
      // rate-limiter-flexible rejects a refused consume with its RateLimiterRes, and a store failure with an Error.
      if (error instanceof RateLimiterRes) return result(this.rule, false, error.consumedPoints, error.msBeforeNext);
      throw error;
    }
  }

  async peek(key: string): Promise<LimitResult> {
    const res = await this.backend.get(storedKey(this.rule.name, key));
    // Every rule has a duration, so a window without time left (RateLimiterMemory's timers run late) is over.
    if (!res || res.msBeforeNext <= 0) return result(this.rule, true, 0, 0);
    return result(this.rule, res.consumedPoints + 1 <= this.rule.points, res.consumedPoints, res.msBeforeNext);
  }

  async reset(key: string): Promise<void> {
    await this.backend.delete(storedKey(this.rule.name, key));
  }
}

function sameRule(a: CheckedRule, b: CheckedRule): boolean {
  return a.points === b.points && a.durationSeconds === b.durationSeconds && a.blockSeconds === b.blockSeconds;
}

/**
 * A RateLimitStore whose limiters are rate-limiter-flexible limiters built by `backend`. One limiter per rule
 * name: asking again for the same rule returns it, and a second rule under a taken name with other numbers
 * throws (names are unique, and the counters behind one name are shared).
 */
export abstract class FlexibleRateLimitStore<Backend extends RateLimiterAbstract> implements RateLimitStore {
  private readonly limiters = new Map<string, { limiter: FlexibleRateLimiter; backend: Backend }>();

  limiter(rule: LimitRule): RateLimiter {
    const checked = checkRule(rule);
    const known = this.limiters.get(checked.name);
    if (known) {
      if (sameRule(known.limiter.rule, checked)) return known.limiter;
      throw new Error(`rate-limit rule ${JSON.stringify(checked.name)} is declared twice with different numbers`);
    }
    const backend = this.backend(checked);
    const limiter = new FlexibleRateLimiter(checked, backend);
    this.limiters.set(checked.name, { limiter, backend });
    return limiter;
  }

  abstract sweepExpired(now: Date): Promise<number>;

  protected abstract backend(rule: CheckedRule): Backend;

  /** The backends built so far, one per rule name. */
  protected backends(): Backend[] {
    return [...this.limiters.values()].map(({ backend }) => backend);
  }
}
