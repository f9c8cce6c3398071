// Typed domain errors: one code, one HTTP status, one i18n key; mapped to responses in one error handler.
export type ErrorCode =
  | 'duplicate'
  | 'not_found'
  | 'conflict'
  | 'invalid_input'
  | 'invalid_credentials'
  | 'code_invalid'
  | 'code_expired'
  | 'code_exhausted'
  | 'too_soon'
  /** A rate limit refused the request; details.retryAfterSeconds becomes Retry-After. */
  | 'rate_limited'
  | 'weak_password'
  | 'unauthorized'
  | 'forbidden'
  | 'store_unavailable'
  | 'unsupported_media_type'
  | 'payload_too_large'
  // Bearer-token APIs (RFC 6750, RFC 9470) and the points ledger.
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'insufficient_points'
  | 'idempotency_conflict'
  | 'redemption_frozen'
  /** The points-fraud rules refused a redemption outright (issue 21). */
  | 'redemption_denied';

const STATUS: Record<ErrorCode, number> = {
  duplicate: 409,
  not_found: 404,
  conflict: 409,
  invalid_input: 400,
  invalid_credentials: 401,
  code_invalid: 400,
  code_expired: 400,
  code_exhausted: 400,
  too_soon: 429,
  rate_limited: 429,
  weak_password: 400,
  unauthorized: 401,
  forbidden: 403,
  store_unavailable: 503,
  unsupported_media_type: 415,
  payload_too_large: 413,
  invalid_token: 401,
  insufficient_scope: 403,
  insufficient_user_authentication: 401,
  insufficient_points: 409,
  idempotency_conflict: 409,
  redemption_frozen: 403,
  redemption_denied: 403,
};

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Whether `message` may be shown to the caller; internal details never are. */
  readonly expose: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { expose?: boolean; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.status = STATUS[code];
    this.expose = options.expose ?? this.status < 500;
    this.details = options.details;
  }
}

/** Guard for invariants: `assertThat(account, 'not_found', 'no such account')`. */
export function assertThat(condition: unknown, code: ErrorCode, message: string): asserts condition {
  if (!condition) throw new DomainError(code, message);
}
