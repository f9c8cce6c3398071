// Contract: WebhooksRepository's delivery queue — queued once per (webhook, event), one head per member lane in
// event order, attempts recorded, and a replay that comes while an attempt is on the wire is not lost.
import { randomUUID } from 'node:crypto';
import { eventId, type DomainEvent } from '../../server/domain/events/domain-event.ts';
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

    it('deleting a webhook deletes its deliveries, sent or not, and leaves other webhooks\' alone', async () => {
      const [gone, kept] = [await newWebhook(), await newWebhook()];
      const now = new Date();
      await webhooks().enqueue([{ webhookId: gone, eventId: 'evt-1', lane: '-' }, { webhookId: gone, eventId: 'evt-2', lane: 'x' }, { webhookId: kept, eventId: 'evt-1', lane: '-' }], now);
      const [sent] = (await dueFor(gone, now)).filter((d) => d.eventId === 'evt-1');
      await webhooks().recordAttempt(sent!, ok(now), { status: 'delivered', nextAt: now });

      expect(await webhooks().delete(gone)).toBe(true);
      expect(await webhooks().findDelivery(`${gone}:evt-1`)).toBeUndefined();
      expect(await webhooks().findDelivery(`${gone}:evt-2`)).toBeUndefined();
      expect(await webhooks().findDelivery(`${kept}:evt-1`)).toMatchObject({ status: 'pending' });
      expect(await webhooks().delete(gone)).toBe(false);
    });
  });

  describe('events retention', () => {
    const storage = useStorage(open);
    const DAY = 24 * 60 * 60 * 1000;
    const event = (time: Date): DomainEvent => ({ id: eventId(time), type: 'points.earned', time, memberId: randomUUID(), data: { points: 1 } });

    it('deletes only old events that are relayed, counted and delivered, with their deliveries', async () => {
      const { events, webhooks, analytics } = storage();
      const now = Date.now();
      const old = [event(new Date(now - 40 * DAY)), event(new Date(now - 39 * DAY)), event(new Date(now - 38 * DAY))];
      const recent = event(new Date(now - DAY));
      const unrelayed = event(new Date(now - 37 * DAY));
      await events.append([...old, recent, unrelayed]);
      await events.markPublished([...old, recent].map((e) => e.id), new Date());
      const webhookId = randomUUID();
      await webhooks.create({ id: webhookId, url: 'https://receiver.example/hook', events: ['points.earned'], partnerId: null, secret: 'sealed', previousSecret: null, previousUntil: null, createdAt: new Date() });
      await webhooks.enqueue(old.map((e) => ({ webhookId, eventId: e.id, lane: e.memberId! })), new Date());
      // The first two were delivered; the third still waits for its receiver.
      for (const delivered of old.slice(0, 2)) {
        const [head] = (await webhooks.due(new Date(Date.now() + 1), 100)).filter((d) => d.eventId === delivered.id);
        await webhooks.recordAttempt(head!, { at: new Date(), status: 204, error: null, response: null }, { status: 'delivered', nextAt: new Date() });
      }
      const before = new Date(now - 30 * DAY);

      // Nothing counted yet: with rollups on, nothing goes.
      expect(await events.deleteSettledBefore(before, { counted: true, limit: 100 })).toBe(0);
      while ((await analytics.rollUp(100)) > 0);

      expect(await events.deleteSettledBefore(before, { counted: true, limit: 1 })).toBe(1);
      expect(await events.deleteSettledBefore(before, { counted: true, limit: 100 })).toBe(1);
      expect(await events.deleteSettledBefore(before, { counted: true, limit: 100 })).toBe(0);
      const left = (await events.findMany([...old, recent, unrelayed].map((e) => e.id))).map((e) => e.id).sort();
      // findMany answers relayed-or-ready events; the unrelayed one is checked through the backlog below.
      expect(left).toEqual([old[2]!.id, recent.id, unrelayed.id].sort());
      expect(await webhooks.findDelivery(`${webhookId}:${old[0]!.id}`)).toBeUndefined();
      expect(await webhooks.findDelivery(`${webhookId}:${old[2]!.id}`)).toMatchObject({ status: 'pending' });
    });
  });
}
