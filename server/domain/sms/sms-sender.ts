// Port: outgoing SMS (a signed HTTP webhook to the operator's SMS provider, a dev outbox otherwise).
export interface OutgoingSms {
  /** E.164 mobile number. */
  to: string;
  /** Plain text, one segment where possible; one-time codes appear as 6 digits. */
  text: string;
}

export interface SmsSender {
  /** Resolves once the provider accepted the message; rejects (nothing retried) when it did not. */
  send(message: OutgoingSms): Promise<void>;
  close(): Promise<void>;
}
