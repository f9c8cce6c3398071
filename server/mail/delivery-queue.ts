// Sends email and SMS after the response, a few at a time: a member and a stranger get their answer in the
// same time whatever the SMTP server or SMS provider costs (enumeration by timing), and a slow provider
// never holds a request. Failures are logged (and handed to the caller's hook), never dropped silently.
import type { Logger } from 'pino';
import type { DeliveryOptions, Mailer, OutgoingEmail } from '../domain/mail/mailer.ts';
import type { OutgoingSms, SmsSender } from '../domain/sms/sms-sender.ts';

interface Job {
  kind: 'email' | 'sms';
  run(): Promise<void>;
  onFailure: DeliveryOptions['onFailure'];
}

export interface DeliveryQueueOptions {
  /** Deliveries in flight at once (each holds an SMTP or HTTP connection). */
  concurrency?: number;
  /** Messages waiting at most; past it new ones are refused with an error in the log (a dead provider must not eat the memory). */
  maxWaiting?: number;
  /** Told how each delivery ended (metrics): `sent` once the provider took it, `failed` when given up (queue full included). */
  onOutcome?: (kind: Job['kind'], result: 'sent' | 'failed') => void;
}

export class DeliveryQueue {
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private readonly onOutcome: DeliveryQueueOptions['onOutcome'];
  private readonly waiting: Job[] = [];
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(logger: Logger, options: DeliveryQueueOptions = {}) {
    this.logger = logger;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.maxWaiting = Math.max(1, options.maxWaiting ?? 10_000);
    this.onOutcome = options.onOutcome;
  }

  /** Deliveries not finished yet (waiting or in flight). */
  get pending(): number {
    return this.waiting.length + this.running;
  }

  enqueue(kind: Job['kind'], run: () => Promise<void>, onFailure?: DeliveryOptions['onFailure']): void {
    const job = { kind, run, onFailure };
    if (this.waiting.length >= this.maxWaiting) {
      void this.fail(job, new Error(`delivery queue full (${this.maxWaiting} waiting)`));
      return;
    }
    this.waiting.push(job);
    this.pump();
  }

  /**
   * Resolves once everything queued so far (and anything queued meanwhile) is delivered or has failed: true;
   * or after `timeoutMs` with deliveries still pending: false (the caller logs what it leaves behind).
   */
  drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : undefined;
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running += 1;
      void this.deliver(job).finally(() => {
        this.running -= 1;
        this.pump();
        if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async deliver(job: Job): Promise<void> {
    try {
      await job.run();
      this.onOutcome?.(job.kind, 'sent');
    } catch (error) {
      await this.fail(job, error);
    }
  }

  /** Nobody waits on this answer any more: the log is where an outage shows (and the hook undoes what needs it). */
  private async fail(job: Job, error: unknown): Promise<void> {
    this.logger.error({ err: error, kind: job.kind }, `queued ${job.kind} not delivered`);
    this.onOutcome?.(job.kind, 'failed');
    try {
      await job.onFailure?.(error);
    } catch (hookError) {
      this.logger.error({ err: hookError, kind: job.kind }, `clean-up after an undelivered ${job.kind} failed`);
    }
  }
}

/** A Mailer whose send() returns once the message is queued; whoever owns the queue drains it before close(). */
export function queuedMailer(inner: Mailer, queue: DeliveryQueue): Mailer {
  return {
    async send(message: OutgoingEmail, options?: DeliveryOptions) {
      queue.enqueue('email', () => inner.send(message), options?.onFailure);
    },
    close: () => inner.close(),
  };
}

/** The SMS twin of queuedMailer (the pumping guard stays in front of it, so its refusals still answer the request). */
export function queuedSmsSender(inner: SmsSender, queue: DeliveryQueue): SmsSender {
  return {
    async send(message: OutgoingSms, options?: DeliveryOptions) {
      queue.enqueue('sms', () => inner.send(message), options?.onFailure);
    },
    close: () => inner.close(),
  };
}
