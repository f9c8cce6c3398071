// The event stream's moving parts, started with the container: webhook subscriptions (the admin API's service),
// the dispatcher that relays the outbox and delivers to them (when WEBHOOKS_DISPATCHER is on), and the analytics
// rollups that count the same outbox on their own lease (when ANALYTICS_ROLLUPS is on).
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { AnalyticsRollup } from './domain/analytics/analytics-rollup.ts';
import { EventDispatcher } from './domain/events/event-dispatcher.ts';
import { WebhookService } from './domain/events/webhook-service.ts';
import type { Storage } from './domain/storage.ts';
import type { Metrics } from './metrics/metrics.ts';
import { deriveKey } from './security/crypto.ts';
import type { OutboundClient } from './security/outbound/outbound-fetch.ts';

export interface EventStreamDeps {
  config: Readonly<Config>;
  storage: Storage;
  kek: Buffer;
  /** The SSRF-safe client of the webhook policy (https only, no private addresses). */
  webhookClient: OutboundClient;
  logger: Logger;
  metrics: Metrics;
}

export function startEventStream({ config, storage, kek, webhookClient, logger, metrics }: EventStreamDeps) {
  const audience = { partners: storage.partners, pairwiseSalt: deriveKey(kek, 'pairwise-subjects') };
  const webhooks = new WebhookService({
    ...audience,
    repository: storage.webhooks,
    events: storage.events,
    partnerExists: async (id) => (await storage.partners.find(id)) !== undefined,
    sealKey: deriveKey(kek, 'webhook-secrets'),
    outbound: webhookClient,
  });
  // A receiver being down never reaches a member's request: events wait in the outbox, deliveries in their queue.
  const dispatcher = config.webhooks.dispatcher
    ? new EventDispatcher({
      ...audience,
      events: storage.events,
      webhooks: storage.webhooks,
      service: webhooks,
      outbound: webhookClient,
      logger,
      pollMs: config.webhooks.pollMs,
      retryBaseMs: config.webhooks.retryBaseMs,
      retryWindowMs: config.webhooks.retryWindowSeconds * 1000,
      onOutcome: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
    })
    : undefined;
  dispatcher?.start();
  // Analytics counters follow the outbox on their own lease and marks: a slow rollup never holds up webhooks.
  const analytics = config.analytics.rollups
    ? new AnalyticsRollup({ repository: storage.analytics, leases: storage.events, logger, pollMs: config.webhooks.pollMs, retentionDays: config.analytics.retentionDays })
    : undefined;
  analytics?.start();
  return { webhooks, dispatcher, analytics };
}
