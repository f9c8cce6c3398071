// Port: counters in fixed windows, shared by every process on one store (rate-limiter-flexible underneath).
// Rules are data declared next to the routes they protect; a store turns a rule into a limiter.

export interface LimitRule {
  /**
   * Unique, kebab-case ("sign-in-pair"); hashed with every key, so two rules never share a counter. Limiters
   * of one store for the same name share counters; the same name with other numbers throws.
   */
  name: string;
  /** Points one window holds (a whole number, 1 to 100,000); a consume that would go past them is refused. */
  points: number;
  /** Window length in whole seconds (1 to a week), from the key's first consume. */
  durationSeconds: number;
  /**
   * From the first refused consume, the key stays refused this long, then starts afresh (0 or absent: until
   * the window ends). The block replaces what is left of the window, so it must be 0 or at least durationSeconds.
   */
  blockSeconds?: number;
}

export interface LimitResult {
  /** Whether this consume fitted in the window (peek: whether a consume of one point would). */
  allowed: boolean;
  /**
   * Points consumed in the current window, this call's included (0 when the key has no window). Refused
   * consumes count too (as in rate-limiter-flexible), so it may exceed the rule's points.
   */
  consumed: number;
  /** Points left in the window (never below 0). */
  remaining: number;
  /** Seconds until the key may consume again: 0 while allowed, else the block's or the window's end, rounded up (at least 1). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  readonly rule: LimitRule;
  /**
   * Adds `points` (default 1, a whole number >= 1, else RangeError) to the key's window. Of any number of
   * concurrent consumes, from any process on the store, no more than `rule.points` points are ever allowed
   * in one window. Keys may be any string (emails, IPs, "email|ip"): stores keep only a hash of rule and key.
   */
  consume(key: string, points?: number): Promise<LimitResult>;
  /** The key's state without consuming. */
  peek(key: string): Promise<LimitResult>;
  /** Forgets the key's window and block (a success ends a failure streak). */
  reset(key: string): Promise<void>;
}

/** One per storage adapter (SQLite, MongoDB) plus memory for unit tests. */
export interface RateLimitStore {
  /** Checks the rule (throws an Error naming what is wrong): call it once per rule, at boot, not per request. */
  limiter(rule: LimitRule): RateLimiter;
  /** Forgets windows and blocks that ended before `now`; returns how many (stores may also expire lazily). */
  sweepExpired(now: Date): Promise<number>;
}
