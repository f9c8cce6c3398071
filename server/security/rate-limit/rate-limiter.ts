// Port: counters in fixed windows, shared by every process on one store (rate-limiter-flexible underneath).
// Rules are data declared next to the routes they protect; a store turns a rule into a limiter.

export interface LimitRule {
  /** Unique, kebab-case ("sign-in-pair"); prefixes every key, so two rules never share a counter. */
  name: string;
  /** Points one window holds; a consume that would go past them is refused. */
  points: number;
  /** Window length, from the key's first consume. */
  durationSeconds: number;
  /** Once the points are spent, the key stays refused this long (0 or absent: until the window ends). */
  blockSeconds?: number;
}

export interface LimitResult {
  /** Whether this consume fitted in the window (peek: whether a consume of one point would). */
  allowed: boolean;
  /** Points consumed in the current window, this call's included (0 when the key has no window). */
  consumed: number;
  /** Points left in the window (never below 0). */
  remaining: number;
  /** Seconds until the key may consume again: 0 while allowed, else the block's or the window's end, rounded up. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  readonly rule: LimitRule;
  /**
   * Adds `points` (default 1) to the key's window. Of any number of concurrent consumes, from any process
   * on the store, no more than `rule.points` points are ever allowed in one window.
   */
  consume(key: string, points?: number): Promise<LimitResult>;
  /** The key's state without consuming. */
  peek(key: string): Promise<LimitResult>;
  /** Forgets the key's window and block (a success ends a failure streak). */
  reset(key: string): Promise<void>;
}

/** One per storage adapter (SQLite, MongoDB) plus memory for unit tests. */
export interface RateLimitStore {
  limiter(rule: LimitRule): RateLimiter;
  /** Forgets windows and blocks that ended before `now`; returns how many (stores may also expire lazily). */
  sweepExpired(now: Date): Promise<number>;
}
