// Contract: WebhooksRepository's delivery queue — queued once per (webhook, event), one head per member lane in
// event order, attempts recorded, and a replay that comes while an attempt is on the wire is not lost.
import { randomUUID } from 'node:crypto';
import type { DeliveryAttempt } from '../../server/domain/events/webhooks.repository.ts';
import { useStorage, type OpenStorage } from './harness.ts';

const ok = (at: Date): DeliveryAttempt => ({ at, status: 204, error: null, response: null });

export function describeWebhooksContract(open: OpenStorage): void {
  describe('webhook deliveries', () => {
    const storage = useStorage(open);
    const webhooks = () => storage().webhooks;

    async function newWebhook(): Promise<string> {
      const id = randomUUID();
      await webhooks().create({ id, url: 'https://receiver.example/hook', events: ['points.earned'], partnerId: null, secret: 'sealed', previousSecret: null, previousUntil: null, createdAt: new Date() });
      return id;
    }

    /** The due lane heads of one webhook (the store is shared by this group's tests). */
    async function dueFor(webhookId: string, now: Date) {
      return (await webhooks().due(new Date(now.getTime() + 1), 100)).filter((d) => d.webhookId === webhookId);
    }

    it('queues once per (webhook, event) and hands out one delivery per member lane, oldest event first', async () => {
      const webhookId = await newWebhook();
      const now = new Date();
      const queued = [
        { webhookId, eventId: 'evt-1', lane: 'member-a' },
        { webhookId, eventId: 'evt-2', lane: 'member-a' },
        { webhookId, eventId: 'evt-3', lane: 'member-b' },
      ];
      const before = await webhooks().pendingCount();
      await webhooks().enqueue(queued, now);
      await webhooks().enqueue(queued, now);
      expect(await webhooks().pendingCount()).toBe(before + 3);

      const heads = await dueFor(webhookId, now);
      expect(heads.map((d) => d.eventId).sort()).toEqual(['evt-1', 'evt-3']);
      expect(heads[0]).toMatchObject({ webhookId, status: 'pending', attempts: [], round: 0 });

      const first = heads.find((d) => d.eventId === 'evt-1')!;
      await webhooks().recordAttempt(first, ok(now), { status: 'delivered', nextAt: now });
      const next = await dueFor(webhookId, now);
      expect(next.map((d) => d.eventId).sort()).toEqual(['evt-2', 'evt-3']);
      expect(await webhooks().findDelivery(first.id)).toMatchObject({ status: 'delivered', attempts: [{ status: 204, error: null }] });
    });

    it('a replay made while an attempt is on the wire stands: the attempt is recorded, the delivery stays pending', async () => {
      const webhookId = await newWebhook();
      const now = new Date();
      await webhooks().enqueue([{ webhookId, eventId: 'evt-1', lane: 'member-a' }], now);
      const [inFlight] = await dueFor(webhookId, now);

      // The operator replays while the dispatcher waits for the receiver's answer.
      expect(await webhooks().requeue([{ webhookId, eventId: 'evt-1', lane: 'member-a' }], now)).toBe(1);
      await webhooks().recordAttempt(inFlight!, ok(now), { status: 'delivered', nextAt: now });

      const replayed = await webhooks().findDelivery(inFlight!.id);
      expect(replayed).toMatchObject({ status: 'pending', round: 1, attempts: [{ status: 204 }] });
      const [again] = await dueFor(webhookId, now);
      expect(again!.id).toBe(inFlight!.id);

      // The replay's own attempt settles it.
      await webhooks().recordAttempt(again!, ok(now), { status: 'delivered', nextAt: now });
      expect(await webhooks().findDelivery(inFlight!.id)).toMatchObject({ status: 'delivered', round: 1 });
      expect((await webhooks().findDelivery(inFlight!.id))!.attempts).toHaveLength(2);
    });

    it('a replay of a delivered or dead delivery queues it again; of a missing one creates it', async () => {
      const webhookId = await newWebhook();
      const now = new Date();
      await webhooks().enqueue([{ webhookId, eventId: 'evt-1', lane: '-' }], now);
      const [delivery] = await dueFor(webhookId, now);
      const before = await webhooks().pendingCount();
      await webhooks().recordAttempt(delivery!, { at: now, status: 500, error: 'http_500', response: 'down' }, { status: 'dead', nextAt: now });
      expect(await webhooks().pendingCount()).toBe(before - 1);

      await webhooks().requeue([{ webhookId, eventId: 'evt-1', lane: '-' }, { webhookId, eventId: 'evt-0', lane: '-' }], now);
      expect(await webhooks().pendingCount()).toBe(before + 1);
      expect(await webhooks().findDelivery(`${webhookId}:evt-0`)).toMatchObject({ status: 'pending', round: 0, attempts: [] });
      expect(await webhooks().findDelivery(delivery!.id)).toMatchObject({ status: 'pending', attempts: [{ error: 'http_500', response: 'down' }] });
    });
  });
}
