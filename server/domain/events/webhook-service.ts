// Webhook subscriptions for the admin API: checked targets and event types, secrets shown once and sealed at
// rest, rotation with an overlap during which the old secret still signs, delivery history and replays.
import { lookup } from 'node:dns/promises';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { decrypt, encrypt } from '../../security/crypto.ts';
import type { OutboundClient } from '../../security/outbound/outbound-fetch.ts';
import { DomainError } from '../errors.ts';
import type { EventsRepository } from './events.repository.ts';
import { isEventType } from './event-types.ts';
import { partnerMayReceive } from './partner-view.ts';
import { newWebhookSecret } from './webhook-signing.ts';
import { subjectFor, type Audience } from './webhook-audience.ts';
import type { Delivery, NewDelivery, Webhook, WebhooksRepository } from './webhooks.repository.ts';

/** How long a rotated-out secret still signs alongside the new one: receivers have a day to switch. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
/** Events one range replay requeues at most (a larger range is replayed in several calls). */
export const MAX_REPLAY = 1000;

export interface WebhookServiceDeps extends Audience {
  repository: WebhooksRepository;
  events: EventsRepository;
  partnerExists(id: string): Promise<boolean>;
  sealKey: Buffer;
  outbound: Pick<OutboundClient, 'targetProblem'>;
  /** Resolves a host name (rejects when it does not resolve); the system resolver unless a test stands one in. */
  resolve?: (host: string) => Promise<unknown>;
  now?: () => Date;
}

export interface NewWebhookInput {
  url: string;
  events: string[];
  partnerId: string | null;
}

function invalid(field: string, problem: string): DomainError {
  return new DomainError('invalid_input', `invalid webhook: ${field} ${problem}`, { details: { fields: { [field]: problem } } });
}

export class WebhookService {
  private readonly deps: WebhookServiceDeps;
  private readonly now: () => Date;
  private readonly resolve: (host: string) => Promise<unknown>;

  constructor(deps: WebhookServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    this.resolve = deps.resolve ?? ((host) => lookup(host));
  }

  /** Creates the subscription; the secret is in the answer only. */
  async create(input: NewWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    const unknown = input.events.find((type) => !isEventType(type));
    if (unknown !== undefined) throw invalid('events', `names an unknown event type: ${unknown}`);
    if (input.partnerId !== null) {
      if (!(await this.deps.partnerExists(input.partnerId))) throw invalid('partner_id', 'names no partner');
      const withheld = input.events.find((type) => isEventType(type) && !partnerMayReceive(type));
      if (withheld !== undefined) throw invalid('events', `${withheld} is not sent to a partner's webhook`);
    }
    await this.checkTarget(input.url);
    const secret = newWebhookSecret();
    const id = `wh_${randomUUID().replace(/-/g, '')}`;
    const webhook: Webhook = {
      id, url: input.url, events: [...new Set(input.events)], partnerId: input.partnerId,
      secret: encrypt(this.deps.sealKey, secret, this.associated(id)), previousSecret: null, previousUntil: null, createdAt: this.now(),
    };
    await this.deps.repository.create(webhook);
    return { webhook, secret };
  }

  /**
   * https only (http to a loopback receiver outside production, as the outbound policy allows), never a literal
   * private address or a host that resolves to one, and a host that resolves at all. Delivery checks the
   * resolved address again on every connection, so a name re-pointed later is refused then.
   */
  private async checkTarget(url: string): Promise<void> {
    const problem = await this.deps.outbound.targetProblem(url);
    if (problem) throw invalid('url', problem);
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) return;
    try {
      await this.resolve(host);
    } catch {
      throw invalid('url', `host ${host} does not resolve`);
    }
  }

  private associated(id: string): string {
    return `webhook-secret:${id}`;
  }

  list(): Promise<Webhook[]> {
    return this.deps.repository.list();
  }

  async find(id: string): Promise<Webhook> {
    const webhook = await this.deps.repository.find(id);
    if (!webhook) throw new DomainError('not_found', 'no such webhook');
    return webhook;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.deps.repository.delete(id))) throw new DomainError('not_found', 'no such webhook');
  }

  /** A new secret (shown once); the old one keeps signing, as a second signature, for ROTATION_OVERLAP_MS. */
  async rotate(id: string): Promise<{ secret: string; previousUntil: Date }> {
    const webhook = await this.find(id);
    const secret = newWebhookSecret();
    const previousUntil = new Date(this.now().getTime() + ROTATION_OVERLAP_MS);
    await this.deps.repository.rotateSecret(id, encrypt(this.deps.sealKey, secret, this.associated(id)), webhook.secret, previousUntil);
    return { secret, previousUntil };
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
  signingSecrets(webhook: Webhook, now: Date): string[] {
    const secrets = [decrypt(this.deps.sealKey, webhook.secret, this.associated(webhook.id))];
    if (webhook.previousSecret && webhook.previousUntil && webhook.previousUntil.getTime() > now.getTime()) {
      secrets.push(decrypt(this.deps.sealKey, webhook.previousSecret, this.associated(webhook.id)));
    }
    return secrets;
  }

  async deliveries(id: string, limit: number): Promise<Delivery[]> {
    await this.find(id);
    return this.deps.repository.listDeliveries(id, limit);
  }

  /** Sends one delivery again (the same webhook-id, so a deduplicating receiver still sees it once). */
  async replayDelivery(id: string, deliveryId: string): Promise<number> {
    await this.find(id);
    const delivery = await this.deps.repository.findDelivery(deliveryId);
    if (!delivery || delivery.webhookId !== id) throw new DomainError('not_found', 'no such delivery');
    return this.deps.repository.requeue([{ webhookId: id, eventId: delivery.eventId, lane: delivery.lane }], this.now());
  }

  /** Queues every event of [from, to) this webhook gets (again, or for the first time if it is newer than them). */
  async replayRange(id: string, from: Date, to: Date): Promise<number> {
    const webhook = await this.find(id);
    const events = await this.deps.events.listByTime({ from, to, limit: MAX_REPLAY });
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      const subject = await subjectFor(webhook, event, this.deps);
      if (subject !== undefined) deliveries.push({ webhookId: id, eventId: event.id, lane: event.memberId ?? '-' });
    }
    return this.deps.repository.requeue(deliveries, this.now());
  }
}
