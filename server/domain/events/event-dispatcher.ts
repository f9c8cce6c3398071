// The background worker of the outbox: under a lease (one process at a time on a store), relays committed
// events oldest first into each matching webhook's delivery queue, then delivers the head of every
// (webhook, member) lane per Standard Webhooks, retrying with exponential backoff and jitter until the retry
// window is spent, then dead-lettering. Later consumers (analytics rollups) subscribe with `onRelayed`.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { describeOutboundFailure, type OutboundClient } from '../../security/outbound/outbound-fetch.ts';
import type { DomainEvent } from './domain-event.ts';
import type { EventsRepository } from './events.repository.ts';
import { partnerData } from './partner-view.ts';
import { mergedSubject, subjectFor, type Audience } from './webhook-audience.ts';
import { signatureHeader } from './webhook-signing.ts';
import type { WebhookService } from './webhook-service.ts';
import type { Delivery, DeliveryAttempt, DeliveryStatus, NewDelivery, Webhook, WebhooksRepository } from './webhooks.repository.ts';

const LEASE_NAME = 'event-dispatcher';
/** Renewed every tick; another process takes over this long after a holder died. */
const LEASE_MS = 30_000;
const RELAY_BATCH = 200;
/** Lane heads delivered in parallel per round (the outbound agent keeps at most 8 connections per origin). */
const DELIVERY_BATCH = 64;
/** No single wait between tries is longer than this, however many failures came before. */
const MAX_RETRY_WAIT_MS = 60 * 60 * 1000;
/** The first bytes of a receiver's answer kept with the attempt. */
const RESPONSE_SNIPPET = 256;
/** Pending events older than this whose change may have failed are settled (Mongo's recoverable step). */
const PENDING_EVENT_AGE_MS = 60_000;
const RECOVERY_EVERY_MS = 60_000;

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead';

export interface DispatcherDeps extends Audience {
  events: EventsRepository;
  webhooks: WebhooksRepository;
  service: Pick<WebhookService, 'signingSecrets'>;
  outbound: OutboundClient;
  logger: Logger;
  pollMs: number;
  retryBaseMs: number;
  retryWindowMs: number;
  /** Told of every delivery attempt's outcome (metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
  /** Told of every batch of events once relayed (a hook for later consumers such as analytics rollups). */
  onRelayed?: (events: readonly DomainEvent[]) => Promise<void>;
  now?: () => Date;
}

/** The nominal wait after the n-th failure (1-based): base, doubling, capped. Jitter is applied on top. */
export function retryWait(failures: number, baseMs: number): number {
  return Math.min(MAX_RETRY_WAIT_MS, baseMs * 2 ** Math.min(failures - 1, 40));
}

/** Dead once the nominal waits after `failures` failures add up past the window (a count, not a clock: no race with time). */
export function retryWindowSpent(failures: number, baseMs: number, windowMs: number): boolean {
  let total = 0;
  for (let n = 1; n <= failures; n += 1) {
    total += retryWait(n, baseMs);
    if (total > windowMs) return true;
  }
  return false;
}

export class EventDispatcher {
  private readonly deps: DispatcherDeps;
  private readonly owner = randomUUID();
  private readonly now: () => Date;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private recoveredAt = 0;

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Finishes the round in flight (each delivery is bounded by the outbound timeout) and gives the lease up. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
    await this.deps.events.release(LEASE_NAME, this.owner).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await this.tick();
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'event dispatcher round failed');
      }
      if (!busy && !this.stopped) {
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

  /** One round; true when it found work (the next round starts at once). */
  async tick(): Promise<boolean> {
    const now = this.now();
    if (!(await this.deps.events.lease(LEASE_NAME, this.owner, now, new Date(now.getTime() + LEASE_MS)))) return false;
    if (now.getTime() - this.recoveredAt >= RECOVERY_EVERY_MS) {
      this.recoveredAt = now.getTime();
      const settled = await this.deps.events.recoverPending(new Date(now.getTime() - PENDING_EVENT_AGE_MS));
      if (settled > 0) this.deps.logger.warn({ settled }, 'settled events a crash left pending');
    }
    const relayed = await this.relay();
    const delivered = await this.deliverDue();
    return relayed > 0 || delivered > 0;
  }

  private async relay(): Promise<number> {
    const events = await this.deps.events.unpublished(RELAY_BATCH);
    if (events.length === 0) return 0;
    const webhooks = await this.deps.webhooks.list();
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      for (const webhook of webhooks) {
        if ((await subjectFor(webhook, event, this.deps)) !== undefined) {
          deliveries.push({ webhookId: webhook.id, eventId: event.id, lane: event.memberId ?? '-' });
        }
      }
    }
    // Queued before marked: a crash in between queues them again, which the (webhook, event) key absorbs.
    await this.deps.webhooks.enqueue(deliveries, this.now());
    await this.deps.onRelayed?.(events);
    await this.deps.events.markPublished(events.map((event) => event.id), this.now());
    return events.length;
  }

  private async deliverDue(): Promise<number> {
    const due = await this.deps.webhooks.due(this.now(), DELIVERY_BATCH);
    if (due.length === 0) return 0;
    const webhooks = new Map((await this.deps.webhooks.list()).map((webhook) => [webhook.id, webhook]));
    const events = new Map((await this.deps.events.findMany([...new Set(due.map((d) => d.eventId))])).map((event) => [event.id, event]));
    // One delivery per lane at a time (due() returns lane heads only): lanes go in parallel, a member's in order.
    await Promise.all(due.map((delivery) => this.deliver(delivery, webhooks.get(delivery.webhookId), events.get(delivery.eventId))));
    return due.length;
  }

  private async deliver(delivery: Delivery, webhook: Webhook | undefined, event: DomainEvent | undefined): Promise<void> {
    const now = this.now();
    if (!webhook || !event) {
      // The webhook was deleted, or the event is gone: nothing can be sent for it.
      await this.deps.webhooks.recordAttempt(delivery, { at: now, status: null, error: webhook ? 'event_missing' : 'webhook_deleted', response: null }, { status: 'dead', nextAt: now });
      this.deps.onOutcome?.('dead');
      return;
    }
    const attempt = await this.send(webhook, event, now);
    const failures = delivery.attempts.filter((a) => a.error !== null).length + (attempt.error === null ? 0 : 1);
    let next: { status: DeliveryStatus; nextAt: Date };
    let outcome: DeliveryOutcome;
    if (attempt.error === null) {
      next = { status: 'delivered', nextAt: now };
      outcome = 'delivered';
    } else if (retryWindowSpent(failures, this.deps.retryBaseMs, this.deps.retryWindowMs)) {
      next = { status: 'dead', nextAt: now };
      outcome = 'dead';
    } else {
      // Full jitter over the upper half: receivers coming back are not hit by every sender at once.
      const wait = retryWait(failures, this.deps.retryBaseMs);
      next = { status: 'pending', nextAt: new Date(now.getTime() + Math.round(wait * (0.5 + Math.random() / 2))) };
      outcome = 'failed';
    }
    await this.deps.webhooks.recordAttempt(delivery, attempt, next);
    this.deps.onOutcome?.(outcome);
  }

  /** One attempt: never throws (a receiver down is a failed attempt, retried later). */
  private async send(webhook: Webhook, event: DomainEvent, now: Date): Promise<DeliveryAttempt> {
    try {
      const subject = await subjectFor(webhook, event, this.deps);
      // The partner unlinked or withdrew the scope since: nothing is sent, and the delivery is done.
      if (subject === undefined) return { at: now, status: null, error: null, response: 'withheld: no longer granted' };
      const data = webhook.partnerId === null ? event.data : { ...partnerData(event, webhook.partnerId), ...mergedSubject(webhook.partnerId, event, this.deps) };
      const body = JSON.stringify({ type: event.type, timestamp: event.time.toISOString(), data: { ...(subject === null ? {} : { sub: subject }), ...data } });
      const timestamp = Math.floor(now.getTime() / 1000);
      const response = await this.deps.outbound.fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(this.deps.service.signingSecrets(webhook, now), event.id, timestamp, body),
          'user-agent': 'loyalty-idp-webhooks/1',
        },
        body,
      });
      const text = await response.text().catch(() => '');
      const ok = response.status >= 200 && response.status < 300;
      return { at: now, status: response.status, error: ok ? null : `http_${response.status}`, response: text.slice(0, RESPONSE_SNIPPET) || null };
    } catch (error) {
      return { at: now, status: null, error: describeOutboundFailure(error), response: null };
    }
  }
}
