// The analytics outbox consumer: under its own lease, counts committed events into the rollups (its own
// marks over the outbox, independent of webhook relaying) and prunes counters past the retention period.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventsRepository } from '../events/events.repository.ts';
import type { AnalyticsRepository } from './analytics.repository.ts';
import { DAY_MS } from './rollup-rules.ts';

const LEASE_NAME = 'analytics-rollup';
const LEASE_MS = 30_000;
const BATCH = 500;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

export interface AnalyticsRollupDeps {
  repository: AnalyticsRepository;
  leases: Pick<EventsRepository, 'lease' | 'release'>;
  logger: Logger;
  pollMs: number;
  retentionDays: number;
  /** Told how many events each round counted (metrics, benchmarks). */
  onCounted?: (count: number) => void;
  now?: () => Date;
}

export class AnalyticsRollup {
  private readonly deps: AnalyticsRollupDeps;
  private readonly owner = randomUUID();
  private readonly now: () => Date;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private prunedAt = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(deps: AnalyticsRollupDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
    await this.deps.leases.release(LEASE_NAME, this.owner).catch(() => undefined);
  }

  /** Rounds until the outbox holds nothing left to count (tests, and a caller that wants fresh figures). */
  async catchUp(): Promise<number> {
    let total = 0;
    for (let counted = await this.tick(); counted > 0; counted = await this.tick()) total += counted;
    return total;
  }

  /** One round: the number of events counted (0 when idle or another process holds the lease). */
  tick(): Promise<number> {
    // One round at a time in this process (the loop and a caller's catchUp): the lease only separates processes.
    const round = this.chain.then(() => this.round());
    this.chain = round.catch(() => undefined);
    return round;
  }

  private async round(): Promise<number> {
    const now = this.now();
    if (!(await this.deps.leases.lease(LEASE_NAME, this.owner, now, new Date(now.getTime() + LEASE_MS)))) return 0;
    if (now.getTime() - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now.getTime();
      const removed = await this.deps.repository.prune(new Date(now.getTime() - this.deps.retentionDays * DAY_MS), now);
      if (removed > 0) this.deps.logger.info({ removed }, 'analytics rollups pruned');
    }
    const counted = await this.deps.repository.rollUp(BATCH);
    if (counted > 0) this.deps.onCounted?.(counted);
    return counted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let counted = 0;
      try {
        counted = await this.tick();
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'analytics rollup round failed');
      }
      // Only a full batch goes on at once: a trickle waits for the next poll and is counted in one larger round
      // (one transaction for many events, not one per sign-in: bench/analytics.ts).
      if (counted < BATCH && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.deps.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
