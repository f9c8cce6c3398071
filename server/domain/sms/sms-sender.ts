// Port: outgoing SMS (a signed HTTP webhook to the operator's SMS provider, a dev outbox otherwise).
import type { DeliveryOptions } from '../mail/mailer.ts';

export interface OutgoingSms {
  /** E.164 mobile number. */
  to: string;
  /** Plain text, one segment where possible; one-time codes appear as 6 digits. */
  text: string;
}

export interface SmsSender {
  /**
   * Direct senders resolve once the provider accepted the message and reject (nothing retried) when it did
   * not; the app's queued sender resolves once queued and calls `options.onFailure` on a failed delivery.
   */
  send(message: OutgoingSms, options?: DeliveryOptions): Promise<void>;
  close(): Promise<void>;
}
