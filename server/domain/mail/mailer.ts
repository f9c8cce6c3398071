// Port: outgoing email (SMTP in deployments, a dev outbox otherwise).
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** The catalogue language the message is written in: the program's signature follows it. */
  lang?: string;
  /** The sender's display name (the program's name, server/mail/branded-mailer.ts). */
  fromName?: string;
}

/** What a caller wants done if a message sent after the response cannot be delivered. */
export interface DeliveryOptions {
  /** Called (after the failure is logged) when a queued message could not be delivered, e.g. to drop its code. */
  onFailure?: (error: unknown) => Promise<void> | void;
}

export interface Mailer {
  /** Direct mailers resolve once the server accepted the message; the app's queued mailer once it is queued. */
  send(message: OutgoingEmail, options?: DeliveryOptions): Promise<void>;
  close(): Promise<void>;
}
