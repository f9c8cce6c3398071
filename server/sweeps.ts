// The periodic clean-up every instance runs: expired rows (TTL indexes are lazy, and absent on some
// Mongo-compatible servers), audit retention, half-done ledger posts and coupon redemptions, data exports,
// erasures past their grace period and sign-ups never verified. Each job logs its own failure and never stops the others.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { deleteUnverifiedAccounts } from './domain/accounts/unverified-cleanup.ts';
import type { AuditLog } from './domain/audit/audit-log.ts';
import type { CouponService } from './domain/coupons/coupon-service.ts';
import type { MemberErasure } from './domain/privacy/member-erasure.ts';
import type { MemberMerge } from './domain/merge/member-merge.ts';
import type { MemberExports } from './domain/privacy/member-export.ts';
import type { Storage } from './domain/storage.ts';

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** Expired codes stay a day, so a member is told "expired" rather than "wrong" (as Mongo's TTL index keeps them). */
const CODE_SWEEP_GRACE_MS = 24 * 60 * 60 * 1000;
/** A retried post settles a pending claim after 5 s (adapters/mongo/loyalty.ts); this sweep is for keys nobody retries. */
const LEDGER_RECOVERY_AGE_MS = 5 * 60 * 1000;
/** Audit retention runs on the first sweep after boot, then once a day (each instance; deleting twice is harmless). */
const AUDIT_RETENTION_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** A coupon use is credited within its request (seconds); one still uncredited after five minutes was cut short. */
const COUPON_RECOVERY_AGE_MS = 5 * 60 * 1000;

/**
 * Coupon redemptions a crash left half-done: first the Mongo adapter's claims taken ahead of the slots, then the
 * uses taken without their ledger earn, credited under the same key (so one whose earn went through is not paid twice).
 */
async function recoverCoupons(storage: Storage, coupons: CouponService, olderThan: Date, logger: Logger): Promise<void> {
  try {
    const settled = await storage.coupons.recoverPending(olderThan);
    const { credited, failed } = await coupons.recoverUncredited(olderThan);
    if (settled > 0 || credited > 0 || failed > 0) logger.warn({ settled, credited, failed }, 'settled half-done coupon redemptions');
  } catch (error) {
    logger.warn({ err: error }, 'coupon recovery failed');
  }
}

export interface SweepDeps {
  config: Readonly<Config>;
  storage: Storage;
  audit: AuditLog;
  coupons: CouponService;
  exports: MemberExports;
  erasure: MemberErasure;
  /** Merges a crash left half-done (Mongo) are finished; old-sub redirects past their 90 days go (issue 21). */
  merges?: MemberMerge;
  logger: Logger;
}

/** Runs the sweeps every SWEEP_INTERVAL_MS (the first after one interval) until stop(); the timer keeps no process alive. */
export function startSweeps({ config, storage, audit, coupons, exports, erasure, merges, logger }: SweepDeps): { stop(): void } {
  let auditRetainedAt = 0;
  const timer = setInterval(() => {
    const now = new Date();
    if (now.getTime() - auditRetainedAt >= AUDIT_RETENTION_INTERVAL_MS) {
      auditRetainedAt = now.getTime();
      audit.deleteOlderThan(config.auditRetentionDays)
        .then((deleted) => deleted > 0 && logger.info({ deleted, days: config.auditRetentionDays }, 'audit events past retention deleted'))
        .catch((error: unknown) => logger.warn({ err: error }, 'audit retention failed'));
    }
    storage.oidc.sweepExpired(now).catch((error: unknown) => logger.warn({ err: error }, 'expiry sweep failed'));
    storage.samlAssertionIds.sweepExpired(now).catch((error: unknown) => logger.warn({ err: error }, 'SAML replay-cache sweep failed'));
    storage.factors.sweepExpiredUses(now).catch((error: unknown) => logger.warn({ err: error }, 'factor-use sweep failed'));
    // Codes a day past expiry: strangers' unsent codes (issue 14 item 5) would otherwise pile up.
    storage.codes.sweepExpired(new Date(now.getTime() - CODE_SWEEP_GRACE_MS)).catch((error: unknown) => logger.warn({ err: error }, 'code sweep failed'));
    storage.rateLimits.sweepExpired(now).catch((error: unknown) => logger.warn({ err: error }, 'rate-limit sweep failed'));
    storage.hooks.sweepExpiredClaims(now).catch((error: unknown) => logger.warn({ err: error }, 'hook claims sweep failed'));
    // Ledger posts a crash left half-done (Mongo's pending claims) are settled well after any live post gave up.
    storage.loyalty.recoverPending(new Date(now.getTime() - LEDGER_RECOVERY_AGE_MS))
      .then((settled) => settled > 0 && logger.warn({ settled }, 'settled half-done ledger posts'))
      .catch((error: unknown) => logger.warn({ err: error }, 'ledger recovery failed'));
    // Holds and review decisions a crash cut short (Mongo): finished from their records (issue 21).
    storage.heldRedemptions.recoverPending(new Date(now.getTime() - LEDGER_RECOVERY_AGE_MS))
      .then((settled) => settled > 0 && logger.warn({ settled }, 'settled half-done held redemptions'))
      .catch((error: unknown) => logger.warn({ err: error }, 'held redemption recovery failed'));
    void recoverCoupons(storage, coupons, new Date(now.getTime() - COUPON_RECOVERY_AGE_MS), logger);
    exports.sweep().catch((error: unknown) => logger.warn({ err: error }, 'data export sweep failed'));
    // Erasures whose 14-day grace period is over (and any an interruption left half-done).
    erasure.sweepDue()
      .then((erased) => erased > 0 && logger.info({ erased }, 'members erased after their grace period'))
      .catch((error: unknown) => logger.warn({ err: error }, 'erasure sweep failed'));
    merges?.recoverPending(new Date(now.getTime() - LEDGER_RECOVERY_AGE_MS))
      .then((finished) => finished > 0 && logger.warn({ finished }, 'finished half-done member merges'))
      .catch((error: unknown) => logger.warn({ err: error }, 'merge recovery failed'));
    merges?.sweepExpiredRedirects().catch((error: unknown) => logger.warn({ err: error }, 'merged-subject sweep failed'));
    deleteUnverifiedAccounts({ ...storage, logger }, config.attackProtection.unverifiedAccountDays, now)
      .then((deleted) => deleted > 0 && logger.info({ deleted }, 'deleted sign-ups never verified'))
      .catch((error: unknown) => logger.warn({ err: error }, 'unverified-account clean-up failed'));
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
