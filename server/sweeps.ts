// The periodic clean-up every instance runs: expired rows (TTL indexes are lazy, and absent on some
// Mongo-compatible servers), audit and events retention, half-done ledger posts and coupon redemptions, data exports,
// erasures past their grace period and sign-ups never verified. A job's failure is logged and never stops the others.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
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

/** Events deleted per call of the outbox retention; the daily run calls again until a call deletes fewer. */
const EVENTS_RETENTION_BATCH = 5_000;

/** A coupon use is credited within its request (seconds); one still uncredited after five minutes was cut short. */
const COUPON_RECOVERY_AGE_MS = 5 * 60 * 1000;

/**
 * Coupon redemptions a crash left half-done: first the Mongo adapter's claims taken ahead of the slots, then the
 * uses taken without their ledger earn, credited under the same key (so one whose earn went through is not paid twice).
 */
async function recoverCoupons(storage: Storage, coupons: CouponService, olderThan: Date, logger: Logger): Promise<void> {
  const settled = await storage.coupons.recoverPending(olderThan);
  const { credited, failed } = await coupons.recoverUncredited(olderThan);
  if (settled > 0 || credited > 0 || failed > 0) logger.warn({ settled, credited, failed }, 'settled half-done coupon redemptions');
}

/**
 * The outbox's retention: relayed, delivered and counted events older than EVENTS_RETENTION_DAYS go, in batches so
 * no transaction holds the store for long. An erased member's member.deleted announcement goes with them.
 */
async function pruneEvents(storage: Storage, config: Readonly<Config>, now: Date, logger: Logger): Promise<void> {
  const before = new Date(now.getTime() - config.eventsRetentionDays * 24 * 60 * 60 * 1000);
  let deleted = 0;
  for (;;) {
    const batch = await storage.events.deleteSettledBefore(before, { counted: config.analytics.rollups, limit: EVENTS_RETENTION_BATCH });
    deleted += batch;
    if (batch < EVENTS_RETENTION_BATCH) break;
    // Each batch is one synchronous transaction on SQLite: requests get a turn between two.
    await yieldToEventLoop();
  }
  if (deleted > 0) logger.info({ deleted, days: config.eventsRetentionDays }, 'events past retention deleted');
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

interface SweepState {
  auditRetainedAt: number;
}

/** One job of a pass: what to run, and the warning logged when it fails. */
interface SweepJob {
  failed: string;
  run(): Promise<unknown>;
}

/**
 * One pass of every job, one job per event-loop turn. On SQLite each job is synchronous work, and started together
 * they all ran in the timer's one turn, so requests (discovery, sign-ins) waited for the sum of the deletes; now a
 * request waits for one job at most. Each job's failure is logged and never stops the others.
 */
export async function runSweep({ config, storage, audit, coupons, exports, erasure, merges, logger }: SweepDeps, now: Date, state: SweepState): Promise<void> {
  const jobs: SweepJob[] = [];
  if (now.getTime() - state.auditRetainedAt >= AUDIT_RETENTION_INTERVAL_MS) {
    state.auditRetainedAt = now.getTime();
    jobs.push(
      {
        failed: 'audit retention failed',
        run: async () => {
          const deleted = await audit.deleteOlderThan(config.auditRetentionDays);
          if (deleted > 0) logger.info({ deleted, days: config.auditRetentionDays }, 'audit events past retention deleted');
        },
      },
      { failed: 'events retention failed', run: () => pruneEvents(storage, config, now, logger) },
    );
  }
  const recoveryCutoff = new Date(now.getTime() - LEDGER_RECOVERY_AGE_MS);
  jobs.push(
    { failed: 'expiry sweep failed', run: () => storage.oidc.sweepExpired(now) },
    { failed: 'SAML replay-cache sweep failed', run: () => storage.samlAssertionIds.sweepExpired(now) },
    { failed: 'factor-use sweep failed', run: () => storage.factors.sweepExpiredUses(now) },
    // Codes a day past expiry: strangers' unsent codes (issue 14 item 5) would otherwise pile up.
    { failed: 'code sweep failed', run: () => storage.codes.sweepExpired(new Date(now.getTime() - CODE_SWEEP_GRACE_MS)) },
    { failed: 'rate-limit sweep failed', run: () => storage.rateLimits.sweepExpired(now) },
    { failed: 'hook claims sweep failed', run: () => storage.hooks.sweepExpiredClaims(now) },
    // Ledger posts a crash left half-done (Mongo's pending claims) are settled well after any live post gave up.
    {
      failed: 'ledger recovery failed',
      run: async () => {
        const settled = await storage.loyalty.recoverPending(recoveryCutoff);
        if (settled > 0) logger.warn({ settled }, 'settled half-done ledger posts');
      },
    },
    // Holds and review decisions a crash cut short (Mongo): finished from their records (issue 21).
    {
      failed: 'held redemption recovery failed',
      run: async () => {
        const settled = await storage.heldRedemptions.recoverPending(recoveryCutoff);
        if (settled > 0) logger.warn({ settled }, 'settled half-done held redemptions');
      },
    },
    { failed: 'coupon recovery failed', run: () => recoverCoupons(storage, coupons, new Date(now.getTime() - COUPON_RECOVERY_AGE_MS), logger) },
    { failed: 'data export sweep failed', run: () => exports.sweep() },
    // Erasures whose 14-day grace period is over (and any an interruption left half-done).
    {
      failed: 'erasure sweep failed',
      run: async () => {
        const erased = await erasure.sweepDue();
        if (erased > 0) logger.info({ erased }, 'members erased after their grace period');
      },
    },
  );
  if (merges) {
    jobs.push(
      {
        failed: 'merge recovery failed',
        run: async () => {
          const finished = await merges.recoverPending(recoveryCutoff);
          if (finished > 0) logger.warn({ finished }, 'finished half-done member merges');
        },
      },
      { failed: 'merged-subject sweep failed', run: () => merges.sweepExpiredRedirects() },
    );
  }
  jobs.push({
    failed: 'unverified-account clean-up failed',
    run: async () => {
      const deleted = await deleteUnverifiedAccounts({ ...storage, logger }, config.attackProtection.unverifiedAccountDays, now);
      if (deleted > 0) logger.info({ deleted }, 'deleted sign-ups never verified');
    },
  });
  for (const job of jobs) {
    await yieldToEventLoop();
    try {
      await job.run();
    } catch (error) {
      logger.warn({ err: error }, job.failed);
    }
  }
}

/** Runs the sweeps every SWEEP_INTERVAL_MS (the first after one interval) until stop(); the timer keeps no process alive. */
export function startSweeps(deps: SweepDeps): { stop(): void } {
  const state: SweepState = { auditRetainedAt: 0 };
  let running = false;
  const timer = setInterval(() => {
    // A pass still going (a very large store) is not doubled by the next tick.
    if (running) return;
    running = true;
    void runSweep(deps, new Date(), state).finally(() => {
      running = false;
    });
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
