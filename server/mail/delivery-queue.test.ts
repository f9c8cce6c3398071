// The delivery queue: bounded concurrency, failures logged and handed to the caller's hook, drain with a wait.
import pino from 'pino';
import { DeliveryQueue, queuedMailer } from './delivery-queue.ts';
import type { Mailer, OutgoingEmail } from '../domain/mail/mailer.ts';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** A send that finishes when the test says so. */
function gate() {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { done, open, fail };
}

describe('delivery queue', () => {
  test('send() answers at once; the message goes out after, never more than `concurrency` at a time', async () => {
    const { logger } = capturingLogger();
    const queue = new DeliveryQueue(logger, { concurrency: 2 });
    const gates = [gate(), gate(), gate()];
    let running = 0;
    let most = 0;
    let started = 0;
    const sent: string[] = [];
    const inner: Mailer = {
      async send(message: OutgoingEmail) {
        running += 1;
        most = Math.max(most, running);
        await gates[started++]!.done;
        running -= 1;
        sent.push(message.to);
      },
      async close() {},
    };
    const mailer = queuedMailer(inner, queue);
    for (const to of ['a@example.com', 'b@example.com', 'c@example.com']) await mailer.send({ to, subject: 's', text: 't' });
    expect(queue.pending).toBe(3);
    expect(await queue.drain(20)).toBe(false);
    for (const g of gates) g.open();
    expect(await queue.drain()).toBe(true);
    expect(sent).toHaveLength(3);
    expect(most).toBe(2);
  });

  test('a failed delivery is logged and handed to the caller\'s hook, and the queue goes on', async () => {
    const { logger, lines } = capturingLogger();
    const queue = new DeliveryQueue(logger);
    const hooked: unknown[] = [];
    queue.enqueue('sms', async () => {
      throw new Error('provider said 500');
    }, (error) => {
      hooked.push(error);
    });
    let later = false;
    queue.enqueue('email', async () => {
      later = true;
    });
    expect(await queue.drain()).toBe(true);
    expect(hooked).toEqual([expect.objectContaining({ message: 'provider said 500' })]);
    expect(later).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ msg: 'queued sms not delivered', kind: 'sms' })]);
  });

  test('past maxWaiting a message is refused with an error in the log (and the hook), not kept', async () => {
    const { logger, lines } = capturingLogger();
    const queue = new DeliveryQueue(logger, { concurrency: 1, maxWaiting: 1 });
    const held = gate();
    queue.enqueue('email', () => held.done);
    queue.enqueue('email', async () => {});
    const refused: unknown[] = [];
    queue.enqueue('email', async () => {}, (error) => {
      refused.push(error);
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(refused).toEqual([expect.objectContaining({ message: 'delivery queue full (1 waiting)' })]);
    expect(lines).toEqual([expect.objectContaining({ msg: 'queued email not delivered' })]);
    held.open();
    expect(await queue.drain()).toBe(true);
  });
  test('every delivery reports how it ended: sent, failed, or refused because the queue is full (metrics count these)', async () => {
    const { logger } = capturingLogger();
    const outcomes: string[] = [];
    const held = gate();
    const queue = new DeliveryQueue(logger, { concurrency: 1, maxWaiting: 1, onOutcome: (kind, result) => outcomes.push(`${kind}:${result}`) });
    queue.enqueue('email', () => held.done);
    queue.enqueue('sms', () => Promise.reject(new Error('provider down')));
    queue.enqueue('email', () => Promise.resolve());
    // The third found the one waiting slot taken: refused at once.
    expect(outcomes).toEqual(['email:failed']);
    held.open();
    expect(await queue.drain()).toBe(true);
    expect(outcomes).toEqual(['email:failed', 'email:sent', 'sms:failed']);
  });
});
