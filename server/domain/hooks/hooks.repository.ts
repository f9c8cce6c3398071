// Port: the operator's hooks (signed HTTP callouts at fixed points of sign-up, sign-in, token issuance and
// redemption) and the custom claims a post-login hook gave a member at one client.
export const HOOK_POINTS = ['pre-registration', 'post-login', 'pre-token', 'post-redemption'] as const;
export type HookPoint = (typeof HOOK_POINTS)[number];
export type FailurePolicy = 'open' | 'closed';

export interface Hook {
  id: string;
  point: HookPoint;
  url: string;
  timeoutMs: number;
  /** open: a failed call counts as "allow"; closed: it refuses what the hook guards. */
  failurePolicy: FailurePolicy;
  enabled: boolean;
  /** Claims a hook adds must have names starting with this URL (post-login, pre-token); null: no claims. */
  claimNamespace: string | null;
  /** The signing secret (whsec_...), sealed under a key from KEY_ENCRYPTION_KEY. */
  secretSealed: string;
  createdAt: Date;
  updatedAt: Date;
}

export type NewHook = Omit<Hook, 'createdAt' | 'updatedAt'>;
export type HookChanges = Partial<Pick<Hook, 'url' | 'timeoutMs' | 'failurePolicy' | 'enabled' | 'claimNamespace'>>;

/** Claims a post-login hook added for (account, client): read back when that client's tokens are issued. */
export interface HookClaims {
  accountId: string;
  clientId: string;
  claims: Record<string, unknown>;
  expiresAt: Date;
}

export interface HooksRepository {
  /** Refuses a second hook at the same point with DomainError('duplicate'): one callout per point keeps a sign-in bounded by one timeout. */
  create(hook: NewHook): Promise<Hook>;
  find(id: string): Promise<Hook | undefined>;
  list(): Promise<Hook[]>;
  /** The enabled hook at this point, if any. */
  findEnabled(point: HookPoint): Promise<Hook | undefined>;
  update(id: string, changes: HookChanges): Promise<Hook | undefined>;
  delete(id: string): Promise<boolean>;

  /** Replaces the claims of (account, client); an empty object removes them. */
  saveClaims(entry: HookClaims): Promise<void>;
  /** undefined when none or expired. */
  findClaims(accountId: string, clientId: string, now: Date): Promise<Record<string, unknown> | undefined>;
  /** Removes claims expired at `now`; returns how many. */
  sweepExpiredClaims(now: Date): Promise<number>;
}
