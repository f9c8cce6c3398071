// Every Prometheus metric the provider exports, on one registry per container: names, help, labels and buckets in one place.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Sign-in methods as labels (audit reasons mapped onto them); anything else is `other`, so the label stays bounded. */
export const SIGN_IN_METHODS = ['password', 'email_code', 'sms_code', 'passkey', 'step_up', 'other'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];
export const SIGN_IN_OUTCOMES = ['success', 'failure', 'blocked', 'challenged', 'step_up'] as const;
export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[number];

export interface Metrics {
  registry: Registry;
  /** Filled from per-request tallies when scraped (see koa-http-metrics.ts). */
  httpRequests: Counter<'method' | 'route' | 'code'>;
  httpDuration: Histogram<'method' | 'route'>;
  signIns: Counter<'method' | 'outcome'>;
  signUps: Counter<'channel'>;
  deliveries: Counter<'kind' | 'result'>;
  attackProtection: Counter<'rule'>;
  kdfDuration: Histogram<'operation'>;
  /** Operator hook calls by point and outcome (the decision, or why the call failed). */
  hookCalls: Counter<'point' | 'outcome'>;
  hookDuration: Histogram<'point'>;
  /** Email and SMS waiting in the delivery queue; read when scraped. */
  deliveryQueuePending: Gauge;
  /** Webhook delivery attempts by outcome: delivered, failed (to be retried), dead (dead-lettered). */
  webhookDeliveries: Counter<'outcome'>;
  /** Outbox events not yet relayed, and webhook deliveries waiting; read from the store when scraped. */
  outboxBacklog: Gauge<'queue'>;
  /** Runs `hook` at every scrape before the request counter is read (the HTTP middleware moves its tallies in). */
  beforeScrape(hook: () => void): void;
}

/** Seconds: from a cached discovery document (sub-millisecond) to a slow argon2-bound sign-in or a stalled store. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** argon2id at m=19 MiB, t=2 takes tens of milliseconds; the tail shows a starved thread pool. */
const KDF_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5];

/** Seconds: a hook times out after at most 10 s; most answer within tens of milliseconds. */
const HOOK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];

export interface OutboxBacklog {
  events(): Promise<number>;
  deliveries(): Promise<number>;
}

export function createMetrics(options: { deliveryQueuePending?: () => number; outboxBacklog?: () => OutboxBacklog | undefined } = {}): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, handles, GC) and event-loop lag (nodejs_eventloop_lag_* from a monitorEventLoopDelay histogram).
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const pendingOf = options.deliveryQueuePending;
  const scrapeHooks: Array<() => void> = [];
  return {
    registry,
    httpRequests: new Counter({
      name: 'loyalty_http_requests_total', help: 'HTTP requests by method, route template and status code.', labelNames: ['method', 'route', 'code'], registers,
      collect() {
        for (const hook of scrapeHooks) hook();
      },
    }),
    httpDuration: new Histogram({
      name: 'loyalty_http_request_duration_seconds', help: 'HTTP request latency by method and route template, until the response is handed to Node.', labelNames: ['method', 'route'], buckets: HTTP_BUCKETS, registers,
    }),
    signIns: new Counter({
      name: 'loyalty_sign_ins_total', help: 'Sign-in attempts on the hosted pages by method and outcome (from the audit log).', labelNames: ['method', 'outcome'], registers,
    }),
    signUps: new Counter({
      name: 'loyalty_sign_ups_total', help: 'New accounts created by sign-up, by enrolment channel (a repeated sign-up of an existing address is not counted).', labelNames: ['channel'], registers,
    }),
    deliveries: new Counter({
      name: 'loyalty_message_deliveries_total', help: 'Email and SMS handed to the provider (sent) or given up on (failed).', labelNames: ['kind', 'result'], registers,
    }),
    attackProtection: new Counter({
      name: 'loyalty_attack_protection_blocks_total', help: 'Attack-protection refusals and challenges by rule (audit event type and reason).', labelNames: ['rule'], registers,
    }),
    kdfDuration: new Histogram({
      name: 'loyalty_kdf_duration_seconds', help: 'argon2id time per password hash or verification (dummy verifications included).', labelNames: ['operation'], buckets: KDF_BUCKETS, registers,
    }),
    hookCalls: new Counter({
      name: 'loyalty_hook_calls_total', help: 'Operator hook calls by point and outcome: the decision (allow, deny, step_up, delivered) or why the call failed (timeout, http_error, invalid_json, invalid_answer, unreachable, refused).', labelNames: ['point', 'outcome'], registers,
    }),
    hookDuration: new Histogram({
      name: 'loyalty_hook_duration_seconds', help: 'Operator hook call time by point, until the answer is read or the hook timeout.', labelNames: ['point'], buckets: HOOK_BUCKETS, registers,
    }),
    deliveryQueuePending: new Gauge({
      name: 'loyalty_delivery_queue_pending', help: 'Email and SMS queued or in flight.', registers,
      collect() {
        if (pendingOf) this.set(pendingOf());
      },
    }),
    webhookDeliveries: new Counter({
      name: 'loyalty_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome: delivered, failed (retried later) or dead (dead-lettered after the retry window).', labelNames: ['outcome'], registers,
    }),
    outboxBacklog: new Gauge({
      name: 'loyalty_outbox_backlog', help: 'Domain events waiting in the outbox to be relayed (queue=events) and webhook deliveries pending (queue=deliveries).', labelNames: ['queue'], registers,
      async collect() {
        const backlog = options.outboxBacklog?.();
        if (!backlog) return;
        // A store that does not answer leaves the last values: a scrape never fails on it.
        const [events, deliveries] = await Promise.all([backlog.events(), backlog.deliveries()]).catch(() => [undefined, undefined]);
        if (events !== undefined) this.set({ queue: 'events' }, events);
        if (deliveries !== undefined) this.set({ queue: 'deliveries' }, deliveries);
      },
    }),
    beforeScrape(hook) {
      scrapeHooks.push(hook);
    },
  };
}
